"""Code columns (MRN, ZIP) survive ``medanon table`` as text; unknown suffixes are refused."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from medanon.cli.table import register
from medanon.errors import ConfigurationError, InputError
from medanon.privacy.builders import masking_hierarchy
from medanon.privacy.tableio import read_table

MRN = [f"{i:06d}" for i in range(100, 112)]
ZIP = ["02139", "02139", "02138", "02138", "10002", "10002",
       "02139", "02138", "10002", "10002", "10002", "10002"]
DOSE = ["1.50", "2", "3.0", "1e3", "5", "6", "7", "8", "9", "10", "11", "12"]


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Test root."""

    register(app)
    return app


def write_csv(path: Path) -> None:
    lines = ["mrn,zip,dose"] + [f"{m},{z},{d}" for m, z, d in zip(MRN, ZIP, DOSE, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def contained(original: str, published: str) -> bool:
    """A published value covers the original: itself, a mask of it, a set holding it, '*'."""
    if published == "*":
        return True
    if published.startswith("{"):
        return original in published.strip("{}").split(",")
    kept = published.rstrip("*")
    return len(published) == len(original) and original.startswith(kept)


def check_zip(published: list[str]) -> None:
    for original, value in zip(ZIP, published, strict=True):
        assert "-" not in value  # never a numeric range
        assert contained(original, value), (original, value)


def test_codes_are_read_as_text(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    write_csv(source)
    read = read_table(source)
    assert read.table.column("mrn").to_pylist() == MRN
    assert read.table.column("zip").to_pylist() == ZIP
    assert pa.types.is_floating(read.table.column("dose").type)


def test_csv_round_trip_keeps_codes_and_text(app: typer.Typer, tmp_path: Path) -> None:
    source, output = tmp_path / "in.csv", tmp_path / "out.csv"
    write_csv(source)
    result = CliRunner().invoke(app, ["table", str(source), str(output), "--qi", "zip",
                                      "--k", "6", "--insensitive", "mrn,dose"])
    assert result.exit_code == 0, result.output
    text = pcsv.read_csv(output, convert_options=pcsv.ConvertOptions(
        column_types={"mrn": pa.string(), "zip": pa.string(), "dose": pa.string()}))
    assert text.column("mrn").to_pylist() == MRN
    assert text.column("dose").to_pylist() == DOSE
    check_zip(text.column("zip").to_pylist())
    assert "0213*" in text.column("zip").to_pylist()  # masked, not a range or a set
    assert "000100" in output.read_text(encoding="utf-8")


def test_parquet_round_trip_keeps_types_and_values(app: typer.Typer, tmp_path: Path) -> None:
    source, output = tmp_path / "in.parquet", tmp_path / "out.parquet"
    dose = [float(d) for d in DOSE]
    pq.write_table(pa.table({"mrn": MRN, "zip": ZIP, "dose": dose}), source)
    result = CliRunner().invoke(app, ["table", str(source), str(output), "--qi", "zip",
                                      "--k", "3", "--insensitive", "mrn,dose"])
    assert result.exit_code == 0, result.output
    out = pq.read_table(output)
    assert out.column("mrn").type == pa.string()
    assert out.column("mrn").to_pylist() == MRN
    assert out.column("dose").type == pa.float64()
    assert out.column("dose").to_pylist() == dose
    check_zip([str(v) for v in out.column("zip").to_pylist()])


@pytest.mark.parametrize("flag", [None, "--aggregate"])
def test_unknown_output_suffix_is_refused(app: typer.Typer, tmp_path: Path,
                                          flag: str | None) -> None:
    source = tmp_path / "in.csv"
    write_csv(source)
    output = tmp_path / ("out.xlsx" if flag is None else "out.csv")
    args = ["table", str(source), str(output), "--qi", "zip", "--k", "3", "--insensitive", "mrn"]
    if flag is not None:
        args += [flag, str(tmp_path / "agg.xlsx")]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, ConfigurationError)
    assert ".xlsx" in str(result.exception)
    assert list(tmp_path.iterdir()) == [source]


def test_unknown_input_suffix_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "in.xlsx"
    write_csv(source)
    with pytest.raises(InputError, match="reads and writes only"):
        read_table(source)


def test_masking_keeps_the_length_of_codes_of_one_length() -> None:
    mask = masking_hierarchy(["021", "020", "021"])
    assert mask is not None
    assert mask.path("021") == ("021", "02*", "0**", "*")
    mixed = masking_hierarchy(["021", "2141"])
    assert mixed is not None and mixed.path("2141")[-2:] == ("2*", "*")
    with pytest.raises(ConfigurationError, match="without '\\*'"):
        masking_hierarchy(["02*", "021"])


def test_csv_output_keeps_the_bytes_of_columns_not_generalised(app: typer.Typer,
                                                                tmp_path: Path) -> None:
    source, output = tmp_path / "in.csv", tmp_path / "out.csv"
    write_csv(source)
    result = CliRunner().invoke(app, ["table", str(source), str(output), "--qi", "zip",
                                      "--k", "6", "--insensitive", "mrn,dose"])
    assert result.exit_code == 0, result.output
    rows = [line.split(",") for line in output.read_text(encoding="utf-8").splitlines()[1:]]
    assert [row[0] for row in rows] == MRN and [row[2] for row in rows] == DOSE


def test_a_value_that_needs_quotes_is_quoted_and_reads_back(tmp_path: Path) -> None:
    from medanon.privacy.tableio import write_table

    table = pa.table({"note": ["a, b", 'say "x"', "plain"], "zip": ["02139"] * 3})
    write_table(table, tmp_path / "o.csv")
    back = pcsv.read_csv(tmp_path / "o.csv", convert_options=pcsv.ConvertOptions(
        column_types={"zip": pa.string()}))
    assert back.to_pylist() == table.to_pylist()
