"""``medanon table`` makes every column's role explicit, as ARX does: quasi-identifier,
sensitive, insensitive (kept), identifying (removed or pseudonymised)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from medanon.cli.table import register
from medanon.custody.keys import write_key
from medanon.dicom.pseudonyms import patient_pseudonym
from medanon.errors import ConfigurationError, InputError
from medanon.privacy.columns import is_code_name, is_identifier_name

ROWS = 24
MRN = [f"{i:06d}" for i in range(120, 120 + ROWS)]
ZIP = [("02139", "02141", "02142", "10002")[i % 4] for i in range(ROWS)]
ICD = [("E11", "E11.9", "E10.1", "I10")[i % 4] for i in range(ROWS)]
AGE = [str(30 + (i * 7) % 50) for i in range(ROWS)]
NOTE = [f"visit {i % 3}" for i in range(ROWS)]


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    application = typer.Typer()

    @application.callback()
    def _root() -> None:
        """Test root."""

    register(application)
    return application


def text_of(path: Path) -> pa.Table:
    names = ["mrn", "zip", "icd10", "age", "note", "equivalence_class", "suppressed"]
    return pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string())))


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "in.csv"
    lines = ["mrn,zip,icd10,age,note"] + [",".join(row) for row in
                                          zip(MRN, ZIP, ICD, AGE, NOTE, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(app: typer.Typer, *args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(app, ["table", *args])
    return result.exit_code, result.output, result.exception


def test_unclassified_identifier_is_refused_by_name(app: typer.Typer, source: Path) -> None:
    code, _, error = run(app, str(source), str(source.with_name("out.csv")), "--qi",
                         "zip,age", "--k", "4", "--insensitive", "icd10,note")
    assert isinstance(error, ConfigurationError)
    assert "'mrn' looks like a direct identifier (its name)" in str(error)
    assert "--pseudonymise mrn" in str(error)
    assert not any(value in str(error) for value in MRN)
    assert not source.with_name("out.csv").exists()


def test_identifier_values_are_refused_under_an_innocent_name(app: typer.Typer,
                                                              tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    rows = [f"{30 + i % 5},person{i}@example.org" for i in range(ROWS)]
    path.write_text("age,contact\n" + "\n".join(rows) + "\n", encoding="utf-8")
    _, _, error = run(app, str(path), str(tmp_path / "o.csv"), "--qi", "age", "--k", "4")
    assert isinstance(error, ConfigurationError)
    assert "e-mail addresses" in str(error) and "example.org" not in str(error)


def test_unclassified_columns_are_listed_and_kept(app: typer.Typer, source: Path) -> None:
    out = source.with_name("out.csv")
    code, output, error = run(app, str(source), str(out), "--qi", "zip,age", "--k", "4",
                              "--identifying", "mrn")
    assert code == 0, (output, error)
    assert "warning: 2 column(s) given no role, kept as read: icd10, note" in output
    report = json.loads(out.with_suffix(".json").read_text())
    assert report["columns"]["note"] == "insensitive (unclassified)"
    assert report["columns"]["mrn"] == "identifying"
    assert report["settings"]["hierarchies"]["zip"]["masking"] == "right"  # automatic


def test_csv_round_trip_codes_text_and_pseudonyms(app: typer.Typer, source: Path,
                                                  tmp_path: Path) -> None:
    key_file = tmp_path / "k.key"
    key = write_key(key_file)
    out = tmp_path / "out.csv"
    code, output, error = run(app, str(source), str(out), "--qi", "zip,icd10,age",
                              "--k", "4", "--insensitive", "note", "--pseudonymise", "mrn",
                              "--key", str(key_file))
    assert code == 0, (output, error)
    assert "warning" not in output
    table = text_of(out)
    assert table.column("mrn").to_pylist() == [patient_pseudonym(key, "id:" + m) for m in MRN]
    assert table.column("note").to_pylist() == NOTE
    for original, published in zip(ZIP, table.column("zip").to_pylist(), strict=True):
        assert "-" not in published and "{" not in published  # a mask, never a range or set
        assert published == "*" or original.startswith(published.rstrip("*"))
    for original, published in zip(ICD, table.column("icd10").to_pylist(), strict=True):
        assert published == "*" or original.startswith(published.rstrip("*"))


def test_parquet_round_trip_keeps_types_and_removes_identifiers(app: typer.Typer,
                                                                tmp_path: Path) -> None:
    source, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    dose = [float(i) / 4 for i in range(ROWS)]
    pq.write_table(pa.table({"mrn": MRN, "zip": ZIP, "age": [int(a) for a in AGE],
                             "dose": dose}), source)
    code, output, error = run(app, str(source), str(out), "--qi", "zip,age", "--k", "4",
                              "--identifying", "mrn", "--insensitive", "dose")
    assert code == 0, (output, error)
    published = pq.read_table(out)
    assert "mrn" not in published.column_names
    assert published.column("dose").to_pylist() == dose
    assert all("-" not in z and "{" not in z for z in published.column("zip").to_pylist())


def test_explicitly_kept_identifier_is_written_exactly(app: typer.Typer, source: Path) -> None:
    out = source.with_name("out.csv")
    code, output, error = run(app, str(source), str(out), "--qi", "zip", "--k", "6",
                              "--insensitive", "mrn,icd10,age,note")
    assert code == 0, (output, error)
    assert text_of(out).column("mrn").to_pylist() == MRN
    assert text_of(out).column("age").to_pylist() == AGE


def test_roles_from_toml(app: typer.Typer, source: Path, tmp_path: Path) -> None:
    config = tmp_path / "t.toml"
    config.write_text('qi = ["zip", "age"]\nk = 4\nidentifying = ["mrn"]\n'
                      'insensitive = ["icd10", "note"]\n[hierarchies]\n'
                      'age = { intervals = [10, 20], lower = 0, upper = 90 }\n')
    out = tmp_path / "out.csv"
    code, output, error = run(app, str(source), str(out), "--config", str(config))
    assert code == 0, (output, error)
    ages = text_of(out).column("age").to_pylist()
    assert set(ages) <= {"30-39", "40-49", "50-59", "60-69", "70-79", "20-39", "40-59",
                         "60-79", "*"}


@pytest.mark.parametrize("extra, error, message", [
    (["--insensitive", "zip"], ConfigurationError, "both quasi-identifier and insensitive"),
    (["--identifying", "nothere"], InputError, "'nothere' is not in the table"),
    (["--pseudonymise", "mrn", "--key", "/nonexistent/k.key"], Exception, "k.key"),
])
def test_role_errors_are_single_messages(app: typer.Typer, source: Path,
                                         extra: list[str], error: type[Exception],
                                         message: str) -> None:
    out = source.with_name("out.csv")
    _, _, raised = run(app, str(source), str(out), "--qi", "zip", "--k", "4", *extra)
    assert isinstance(raised, error) and message in str(raised)
    assert not out.exists()


@pytest.mark.parametrize("name, code, identifier", [
    ("PatientID", True, True), ("zip_code", True, False), ("ZIP3", True, False),
    ("icd10cm", True, False), ("home_phone", True, True), ("last_name", False, True),
    ("email", False, True), ("age", False, False), ("education-num", False, False),
    ("hours-per-week", False, False), ("native-country", False, False),
])
def test_names(name: str, code: bool, identifier: bool) -> None:
    assert is_code_name(name) is code
    assert is_identifier_name(name) is identifier
