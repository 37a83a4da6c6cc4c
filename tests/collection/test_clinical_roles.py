"""The released clinical table: every column has the role the recipe gives it, as in
``medanon table``; identifying columns never reach the release."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pydicom
import pytest

from medanon.collection.run import ClinicalInput, PrivateRunResult, run_private
from medanon.custody.keys import SecretKey
from medanon.dicom.pseudonyms import patient_pseudonym
from medanon.errors import ConfigurationError, InputError, RecipeError
from medanon.privacy.roles import Role
from medanon.profile.recipe import Recipe, parse_recipe
from medanon.runner.run import RunOptions
from medanon.sample.cohort import make_patient
from medanon.sample.derive import Deriver

from .conftest import COHORT_SIZE, DIAGNOSES

ONE = RunOptions(workers=1)
SECTION = ('[privacy]\nk = 5\nl = 2\nmax_suppression = 0.1\n'
           'quasi_identifiers = ["age", "PatientSex", "clinical:smoker_years"]\n'
           'sensitive = "clinical:diagnosis"\n')
ROLES = ('identifying = ["patient_name", "clinical:email", "phone"]\n'
         'pseudonymise = ["mrn"]\ninsensitive = ["site_zip"]\n')
COLUMNS = ["PatientID", "patient_name", "mrn", "email", "phone", "site_zip", "diagnosis",
           "smoker_years", "dose"]


def _rows() -> list[dict[str, str]]:
    d = Deriver(0)
    rows = []
    for index in range(COHORT_SIZE):
        patient = make_patient(d, index)
        rows.append({"PatientID": patient.patient_id, "patient_name": patient.name,
                     "mrn": f"M{9100000 + index * 7}",
                     "email": f"person{index}.tester@example.org",
                     "phone": f"+44 20 7946 {index:04d}", "site_zip": f"0{2100 + index % 4}",
                     "diagnosis": DIAGNOSES[(index * 7 + index // 3) % len(DIAGNOSES)],
                     "smoker_years": str(5 + (index * 13) % 40), "dose": f"{index % 5}.5"})
    return rows


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("roles") / "clinical.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(_rows())
    return path


@pytest.fixture(scope="module")
def released(cohort: Path, table: Path, run_key: SecretKey,
             tmp_path_factory: pytest.TempPathFactory) -> PrivateRunResult:
    recipe = parse_recipe(SECTION + ROLES)
    return run_private(cohort, tmp_path_factory.mktemp("released") / "out", recipe, run_key,
                       options=ONE, clinical=ClinicalInput(table, "PatientID"))


def test_no_identifying_value_reaches_the_release(released: PrivateRunResult) -> None:
    release = b"".join(p.read_bytes() for p in sorted(released.release.iterdir()))
    leaked = [(name, row[name]) for row in _rows()
              for name in ("PatientID", "patient_name", "mrn", "email", "phone")
              if row[name].encode() in release or
              row[name].split("^")[0].encode() in release]
    assert not leaked, f"{len(leaked)} identifying values in the release"


def test_columns_follow_their_roles(released: PrivateRunResult, run_key: SecretKey) -> None:
    for name in ("clinical.csv", "clinical.parquet"):
        from medanon.privacy.tableio import read_table

        read = read_table(released.release / name)
        text = read.text if read.text is not None else read.table
        assert text.column_names == ["patient", "mrn", "site_zip", "diagnosis",
                                     "smoker_years", "dose", "class", "class_size"]
        rows = {r["patient"]: r for r in text.to_pylist()}
        truth = {patient_pseudonym(run_key, "id:" + r["PatientID"]): r for r in _rows()}
        assert set(rows) == set(released.plan.patients)
        for patient, row in rows.items():
            assert row["mrn"] == patient_pseudonym(run_key, "id:" + truth[patient]["mrn"])
            assert row["site_zip"] == truth[patient]["site_zip"]  # leading zero kept
            assert row["diagnosis"] == truth[patient]["diagnosis"]
    parquet = pq.read_table(released.release / "clinical.parquet")
    assert parquet.schema.field("site_zip").type == pa.string()
    assert parquet.schema.field("mrn").type == pa.string()


def test_the_key_is_the_output_patient_id(released: PrivateRunResult) -> None:
    written = {str(pydicom.dcmread(p, stop_before_pixels=True).PatientID)
               for p in released.release.parent.rglob("*.dcm")}
    clinical = pq.read_table(released.release / "clinical.parquet")
    assert set(clinical.column("patient").to_pylist()) == written


def test_unclassified_columns_are_named_with_a_warning(released: PrivateRunResult) -> None:
    from medanon.cli.privacy_run import summary_lines

    assert released.unclassified_clinical == ("dose",)
    privacy = json.loads((released.release / "privacy.json").read_text())
    assert privacy["clinical_columns_unclassified"] == ["dose"]
    assert privacy["clinical_columns"] == {
        "patient_name": "identifying", "mrn": "pseudonymised", "email": "identifying",
        "phone": "identifying", "site_zip": "insensitive", "diagnosis": "sensitive",
        "smoker_years": "quasi-identifier", "dose": "insensitive (unclassified)"}
    lines = summary_lines(released.plan, released.release, released.output_check,
                          released.unclassified_clinical)
    assert any("warning: 1 clinical column(s) given no role, kept as read: dose" in line
               for line in lines)


@pytest.mark.parametrize(("roles", "column", "reason"), [
    (ROLES.replace('"phone"', ""), "phone", "its name"),
    (ROLES.replace('"clinical:email", ', ""), "email", "its name"),
    (ROLES.replace('"patient_name", ', ""), "patient_name", "its name"),
    (ROLES.replace('pseudonymise = ["mrn"]\n', ""), "mrn", "its name"),
])
def test_a_column_that_looks_identifying_is_refused_without_a_role(
        cohort: Path, table: Path, run_key: SecretKey, tmp_path: Path, roles: str,
        column: str, reason: str) -> None:
    recipe = parse_recipe(SECTION + roles)
    with pytest.raises(ConfigurationError, match=f"column '{column}' looks like a direct "
                                                 f"identifier \\({reason}\\)") as caught:
        run_private(cohort, tmp_path / "out", recipe, run_key, options=ONE,
                    clinical=ClinicalInput(table, "PatientID"))
    assert f'identifying = ["{column}"]' in str(caught.value)
    assert not any(value in str(caught.value) for row in _rows() for value in row.values()
                   if len(value) > 4)
    assert not (tmp_path / "out" / ".medanon" / "privacy-plan.json").exists()
    assert not list((tmp_path / "out").rglob("*.dcm"))


def test_values_that_look_identifying_are_refused_too(cohort: Path, run_key: SecretKey,
                                                      tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    rows = _rows()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["PatientID", "diagnosis", "smoker_years", "contact"])
        writer.writerows([r["PatientID"], r["diagnosis"], r["smoker_years"], r["email"]]
                         for r in rows)
    with pytest.raises(ConfigurationError, match=r"'contact' .*values are e-mail addresses"):
        run_private(cohort, tmp_path / "out", parse_recipe(SECTION), run_key, options=ONE,
                    clinical=ClinicalInput(path, "PatientID"))


def test_the_command_line_refuses_with_one_error_line(cohort: Path, table: Path,
                                                      tmp_path: Path) -> None:
    recipe = tmp_path / "r.toml"
    recipe.write_text(SECTION + ROLES.replace('"phone"', ""), encoding="utf-8")
    key = tmp_path / "k.key"
    subprocess.run([sys.executable, "-m", "medanon.cli.main", "keygen", str(key)], check=True,
                   capture_output=True)
    done = subprocess.run([sys.executable, "-m", "medanon.cli.main", "run", str(cohort),
                           str(tmp_path / "out"), "--recipe", str(recipe), "--key", str(key),
                           "--workers", "1", "--clinical", str(table)],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("medanon: error:")]
    assert len(errors) == 1 and "'phone'" in errors[0] and "+44" not in done.stderr


def test_roles_of_unknown_columns_and_of_the_key_are_refused(
        cohort: Path, table: Path, run_key: SecretKey, tmp_path: Path) -> None:
    clinical = ClinicalInput(table, "PatientID")
    with pytest.raises(InputError, match="column 'weight' is not in the table"):
        run_private(cohort, tmp_path / "a", parse_recipe(SECTION + ROLES.replace(
            "site_zip", "site_zip\", \"weight")), run_key, options=ONE, clinical=clinical)
    with pytest.raises(ConfigurationError, match="'PatientID' is the clinical key column"):
        run_private(cohort, tmp_path / "b", parse_recipe(SECTION + ROLES.replace(
            'pseudonymise = ["mrn"]', 'pseudonymise = ["mrn", "PatientID"]')), run_key,
            options=ONE, clinical=clinical)


def test_roles_without_a_clinical_table_are_refused(cohort: Path, run_key: SecretKey,
                                                   tmp_path: Path) -> None:
    recipe = parse_recipe('[privacy]\nk = 5\nmax_suppression = 0.1\n'
                          'quasi_identifiers = ["age"]\nidentifying = ["patient_name"]\n')
    with pytest.raises(ConfigurationError, match=r"names clinical columns \(patient_name\)"):
        run_private(cohort, tmp_path / "out", recipe, run_key, options=ONE)


def test_the_role_keys_are_those_of_medanon_table(tmp_path: Path,
                                                 write_recipe: Callable[[str], Recipe]) -> None:
    from medanon.privacy.config import load_toml

    section = write_recipe(SECTION + ROLES).privacy
    assert section is not None
    assert section.clinical_roles == {"insensitive": ("site_zip",),
                                      "identifying": ("patient_name", "email", "phone"),
                                      "pseudonymise": ("mrn",)}
    config = tmp_path / "table.toml"
    config.write_text('qi = ["age"]\nk = 5\n' + ROLES)
    loaded = load_toml(config)
    assert {key: tuple(n.removeprefix("clinical:") for n in loaded[key])
            for key in section.clinical_roles} == section.clinical_roles
    assert "identifying" in section.canonical()
    plain = parse_recipe(SECTION).privacy
    assert plain is not None
    assert not {"insensitive", "identifying", "pseudonymise"} & set(plain.canonical())


@pytest.mark.parametrize(("roles", "message"), [
    ('identifying = "patient_name"\n', "privacy.identifying: expected a list"),
    ('identifying = ["dose"]\ninsensitive = ["dose"]\n', "'dose' is also in insensitive"),
    ('insensitive = ["clinical:diagnosis"]\n', "'diagnosis' is already a quasi-identifier"),
    ('insensitive = ["smoker_years"]\n', "'smoker_years' is already a quasi-identifier"),
])
def test_role_keys_are_checked_with_the_recipe(roles: str, message: str) -> None:
    with pytest.raises(RecipeError, match=message):
        parse_recipe(SECTION + roles)


def test_the_shipped_recipe_says_what_every_sample_clinical_column_is(tmp_path: Path) -> None:
    from medanon.collection.clinical import clinical_roles
    from medanon.privacy.tableio import read_table
    from medanon.profile.recipe import load_recipe
    from medanon.sample.cohort import write_clinical

    recipe = load_recipe(Path(__file__).parents[2] / "recipes" / "privacy-k5.toml")
    assert recipe.privacy is not None
    write_clinical(tmp_path / "clinical.csv")
    roles = clinical_roles(read_table(tmp_path / "clinical.csv").table, "PatientID",
                           recipe.privacy)
    assert roles.unclassified == ()
    assert roles.named(Role.IDENTIFYING) == ["patient_name"]
