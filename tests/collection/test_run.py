"""Two-pass privacy runs: k and l over patients, truthfulness, consistency, identity."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pydicom
import pytest

from medanon.collection.patients import completed_years
from medanon.collection.run import PLAN_NAME, ClinicalInput, PrivateRunResult, run_private
from medanon.custody.keys import SecretKey
from medanon.privacy.checker import check
from medanon.profile.recipe import Recipe
from medanon.runner.run import RunOptions, run_folder

QIS = ["age", "PatientSex", "PatientSize", "PatientWeight"]
HEADER_QIS = {"age": "PatientAge", "PatientSex": "PatientSex", "PatientSize": "PatientSize",
              "PatientWeight": "PatientWeight"}
PRIVACY = """
[privacy]
k = 5
l = 2
max_suppression = 0.1
quasi_identifiers = ["age", "PatientSex", "PatientSize", "PatientWeight"]
sensitive = "clinical:diagnosis"
represent = "{represent}"
"""
#: The cohort's clinical table: its name column removed, its smoking history kept.
ROLES = 'identifying = ["patient_name"]\ninsensitive = ["smoker_years"]\n'
ONE = RunOptions(workers=1)


def _run(src: Path, dst: Path, recipe: Recipe, key: SecretKey, clinical: Path | None
         ) -> PrivateRunResult:
    return run_private(src, dst, recipe, key, options=ONE,
                       clinical=ClinicalInput(clinical, "PatientID") if clinical else None)


def _headers(dst: Path) -> dict[str, list[dict[str, str | None]]]:
    """Per output PatientID, the quasi-identifier attributes of each of its files."""
    by_patient: dict[str, list[dict[str, str | None]]] = {}
    for path in sorted(dst.rglob("*.dcm")):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        values = {k: (str(ds[k].value) if k in ds and ds[k].value is not None else
                      ("" if k in ds else None)) for k in HEADER_QIS.values()}
        values["method"] = "\\".join(ds.DeidentificationMethod)
        values["StudyDate"] = str(ds.get("StudyDate", ""))
        by_patient.setdefault(str(ds.PatientID), []).append(values)
    for files in by_patient.values():  # the first study's files first
        files.sort(key=lambda values: values["StudyDate"] or "99999999")
    return by_patient


def _contains(published: str, value: float | str) -> bool:
    if isinstance(value, str):
        members = published.strip("{}").split(",")
        return value in members
    low, _, high = published.partition("-")
    return float(low) - 1e-9 <= value <= float(high or low) + 1e-9


@pytest.fixture(scope="module")
def midpoint_run(cohort: Path, clinical_csv: Path, run_key: SecretKey,
                 tmp_path_factory: pytest.TempPathFactory) -> PrivateRunResult:
    folder = tmp_path_factory.mktemp("midpoint")
    recipe_path = folder / "recipe.toml"
    recipe_path.write_text(PRIVACY.format(represent="midpoint") + ROLES, encoding="utf-8")
    from medanon.profile.recipe import load_recipe

    return _run(cohort, folder / "out", load_recipe(recipe_path), run_key, clinical_csv)


def test_release_table_has_exactly_the_columns(midpoint_run: PrivateRunResult) -> None:
    table = pcsv.read_csv(midpoint_run.release / "patients.csv")
    assert table.column_names == ["patient", *QIS, "class", "class_size"]
    parquet = pq.read_table(midpoint_run.release / "patients.parquet")
    assert parquet.column_names == table.column_names
    assert parquet.num_rows == table.num_rows == len(midpoint_run.plan.patients)


def test_k_and_l_hold_over_patients_in_the_release(midpoint_run: PrivateRunResult) -> None:
    release = midpoint_run.release
    patients = pq.read_table(release / "patients.parquet")
    clinical = pq.read_table(release / "clinical.parquet")
    assert clinical.column("patient").to_pylist() == patients.column("patient").to_pylist() \
        or sorted(clinical.column("patient").to_pylist()) == \
        sorted(patients.column("patient").to_pylist())
    diagnosis = dict(zip(clinical.column("patient").to_pylist(),
                         clinical.column("diagnosis").to_pylist(), strict=True))
    joined = patients.append_column(
        "diagnosis", [[diagnosis[p] for p in patients.column("patient").to_pylist()]])
    report = check(joined, QIS, "diagnosis", k=5, l=2)
    assert report.passed, report.violations
    assert report.records == len(set(patients.column("patient").to_pylist()))


def test_k_holds_over_patients_in_the_headers(midpoint_run: PrivateRunResult) -> None:
    import pyarrow as pa

    headers = _headers(midpoint_run.release.parent)
    rows = {name: [files[0][HEADER_QIS[name]] or "" for files in headers.values()]
            for name in QIS}
    report = check(pa.table(rows), QIS, k=5)
    assert report.passed, report.violations
    assert report.records == len(midpoint_run.plan.patients)


def test_every_file_of_a_patient_carries_the_same_values(midpoint_run: PrivateRunResult
                                                         ) -> None:
    headers = _headers(midpoint_run.release.parent)
    assert any(len(files) > 1 for files in headers.values())
    later_ages = 0
    for files in headers.values():
        first = files[0]
        for f in files:
            assert {**f, "PatientAge": None, "StudyDate": None} == \
                {**first, "PatientAge": None, "StudyDate": None}
            age, first_age = f["PatientAge"], first["PatientAge"]
            assert bool(age) == bool(first_age)
            if age and first_age:  # grown by the whole years between the (shifted) dates
                years = completed_years(_date(first["StudyDate"]), _date(f["StudyDate"]))
                assert int(age[:3]) == int(first_age[:3]) + (years or 0)
                later_ages += age != first_age
        assert "k-anonymity k=5 l=2 distinct per patient" in first["method"]
    assert later_ages > 0  # the cohort has studies a year or more after the first


def _date(text: str | None) -> dt.date:
    assert text
    return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def test_published_and_header_values_contain_the_truth(midpoint_run: PrivateRunResult,
                                                       cohort: Path, run_key: SecretKey
                                                       ) -> None:
    from medanon.scan import scan_folder

    truth = {p.patient: p.values for p in
             scan_folder(cohort, run_key, workers=1, census=False).patient_rows()}
    headers = _headers(midpoint_run.release.parent)
    table = pcsv.read_csv(midpoint_run.release / "patients.csv",
                          convert_options=pcsv.ConvertOptions(
                              column_types={name: "string" for name in QIS}))
    for row in table.to_pylist():
        header = headers[row["patient"]][0]
        for name in QIS:
            value = truth[row["patient"]][name]
            assert value is not None and _contains(row[name], value), name
            written = header[HEADER_QIS[name]]
            if written:  # a header value lies inside the published value
                number = float(written.rstrip("Y")) if name != "PatientSex" else written
                assert _contains(row[name], number), name


def test_suppressed_patients_have_no_file(midpoint_run: PrivateRunResult) -> None:
    headers = _headers(midpoint_run.release.parent)
    plan = midpoint_run.plan
    assert set(headers) == set(plan.patients)
    assert not set(plan.suppressed) & set(headers)
    privacy = json.loads((midpoint_run.release / "privacy.json").read_text())
    assert privacy["suppressed_patients"] == list(plan.suppressed)
    assert privacy["metrics"]["suppressed"] == len(plan.suppressed)
    assert set(privacy["metrics"]["gcp_per_qi"]) == set(QIS)
    for name in ("dm", "cavg", "prosecutor_highest", "marketer", "gcp"):
        assert name in privacy["metrics"]
    withheld = midpoint_run.run.report.counts.get("withheld", 0)
    written = sum(len(files) for files in headers.values())
    assert withheld == privacy["counts"]["files"] - written > 0


def test_clinical_release_drops_identifiers_and_unmatched_rows(
        midpoint_run: PrivateRunResult, clinical_csv: Path) -> None:
    clinical = pcsv.read_csv(midpoint_run.release / "clinical.csv")
    assert "PatientID" not in clinical.column_names
    assert "patient_name" not in clinical.column_names
    assert clinical.column_names[0] == "patient"
    assert "smoker_years" in clinical.column_names
    text = (midpoint_run.release / "clinical.csv").read_text()
    for line in clinical_csv.read_text().splitlines()[1:]:
        assert line.split(",")[0] not in text
    counts = json.loads((midpoint_run.release / "privacy.json").read_text())["counts"]
    assert counts["clinical_rows_without_images"] == 2
    assert counts["patients_without_clinical_row"] == 0


def test_outside_the_privacy_section_output_is_identical(
        cohort: Path, run_key: SecretKey, tmp_path: Path,
        write_recipe: Callable[[str], Recipe]) -> None:
    private = write_recipe(PRIVACY.format(represent="omit").replace("l = 2\n", "")
                           .replace('sensitive = "clinical:diagnosis"\n', ""))
    plain = write_recipe("")
    result = _run(cohort, tmp_path / "private", private, run_key, None)
    run_folder(cohort, tmp_path / "plain", plain, run_key, options=ONE)
    privacy_tags = {"PatientAge", "PatientSex", "PatientSize", "PatientWeight",
                    "DeidentificationMethod"}
    compared = 0
    for path in sorted((tmp_path / "private").rglob("*.dcm")):
        relative = path.relative_to(tmp_path / "private")
        a = pydicom.dcmread(path)
        b = pydicom.dcmread(tmp_path / "plain" / relative)
        assert a.preamble == b.preamble and a.file_meta == b.file_meta
        for keyword in privacy_tags:
            a.pop(keyword, None)
            b.pop(keyword, None)
        assert a == b
        compared += 1
    assert compared == result.run.report.counts["written"] > 0


def test_a_rerun_changes_nothing_and_a_changed_plan_is_refused(
        cohort: Path, run_key: SecretKey, tmp_path: Path,
        write_recipe: Callable[[str], Recipe],
        make_tree: Callable[[Path], dict[str, bytes]]) -> None:
    from medanon.errors import ConfigurationError

    recipe = write_recipe(PRIVACY.format(represent="omit").replace("l = 2\n", "")
                          .replace('sensitive = "clinical:diagnosis"\n', ""))
    dst = tmp_path / "out"
    _run(cohort, dst, recipe, run_key, None)
    first = make_tree(dst)
    _run(cohort, dst, recipe, run_key, None)
    assert make_tree(dst) == first
    other = write_recipe(PRIVACY.format(represent="omit").replace("k = 5", "k = 6")
                         .replace("l = 2\n", "").replace('sensitive = "clinical:diagnosis"\n',
                                                         ""))
    with pytest.raises(ConfigurationError, match="recipe differs"):
        _run(cohort, dst, other, run_key, None)


def test_a_run_stopped_after_planning_resumes_to_the_same_output(
        cohort: Path, run_key: SecretKey, tmp_path: Path,
        write_recipe: Callable[[str], Recipe], make_tree: Callable[[Path], dict[str, bytes]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    recipe = write_recipe(PRIVACY.format(represent="midpoint").replace("l = 2\n", "")
                          .replace('sensitive = "clinical:diagnosis"\n', ""))
    _run(cohort, tmp_path / "whole", recipe, run_key, None)
    import medanon.collection.run as collection_run

    def killed(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt
    monkeypatch.setattr(collection_run, "run_folder", killed)
    with pytest.raises(KeyboardInterrupt):
        _run(cohort, tmp_path / "resumed", recipe, run_key, None)
    assert (tmp_path / "resumed" / ".medanon" / PLAN_NAME).is_file()
    monkeypatch.undo()
    _run(cohort, tmp_path / "resumed", recipe, run_key, None)
    assert make_tree(tmp_path / "resumed") == make_tree(tmp_path / "whole")


def test_a_clinical_quasi_identifier_is_generalised_in_both_tables(
        cohort: Path, clinical_csv: Path, run_key: SecretKey, tmp_path: Path,
        write_recipe: Callable[[str], Recipe]) -> None:
    recipe = write_recipe('[privacy]\nk = 5\nmax_suppression = 0.1\n'
                          'quasi_identifiers = ["age", "clinical:smoker_years"]\n'
                          'sensitive = "clinical:diagnosis"\nl = 2\n'
                          'identifying = ["patient_name"]\n')
    result = _run(cohort, tmp_path / "out", recipe, run_key, clinical_csv)
    patients = pcsv.read_csv(result.release / "patients.csv", convert_options=pcsv.ConvertOptions(
        column_types={"age": "string", "clinical:smoker_years": "string"}))
    assert patients.column_names == ["patient", "age", "clinical:smoker_years", "class",
                                     "class_size"]
    clinical = pcsv.read_csv(result.release / "clinical.csv", convert_options=pcsv.ConvertOptions(
        column_types={"smoker_years": "string"}))
    released = dict(zip(patients.column("patient").to_pylist(),
                        patients.column("clinical:smoker_years").to_pylist(), strict=True))
    in_clinical = dict(zip(clinical.column("patient").to_pylist(),
                           clinical.column("smoker_years").to_pylist(), strict=True))
    assert in_clinical == released
    with clinical_csv.open(encoding="utf-8") as handle:
        true = {row.split(",")[0]: float(row.split(",")[3]) for row in handle.readlines()[1:]}
    from medanon.dicom.pseudonyms import patient_pseudonym

    for original, years in true.items():
        pseudonym = patient_pseudonym(run_key, "id:" + original)
        if pseudonym in released:
            assert _contains(released[pseudonym], years)
    report = check(patients.append_column("diagnosis", [[
        dict(zip(clinical.column("patient").to_pylist(), clinical.column("diagnosis").to_pylist(),
                 strict=True))[p] for p in patients.column("patient").to_pylist()]]),
        ["age", "clinical:smoker_years"], "diagnosis", k=5, l=2)
    assert report.passed, report.violations


def test_the_summary_shows_the_models_loss_and_counts(midpoint_run: PrivateRunResult) -> None:
    from medanon.cli.privacy_run import summary_lines

    text = "\n".join(summary_lines(midpoint_run.plan, midpoint_run.release,
                                   midpoint_run.output_check))
    assert "k = 5, l = 2 (distinct, achieved" in text
    assert f"smallest class {midpoint_run.plan.metrics['smallest_class']}" in text
    assert f"{len(midpoint_run.plan.suppressed)} patients suppressed" in text
    for name in QIS:
        assert f"{name} " in text.split("information loss")[1]
    assert "clinical table: 62 rows, 2 without images, 0 patients without a row" in text
    assert str(midpoint_run.release / "patients.csv") in text


def test_a_restart_without_the_clinical_table_leaves_none_behind(
        cohort: Path, clinical_csv: Path, run_key: SecretKey, tmp_path: Path,
        write_recipe: Callable[[str], Recipe]) -> None:
    from medanon.errors import ConfigurationError

    with_clinical = write_recipe(PRIVACY.format(represent="omit") + ROLES)
    dst = tmp_path / "out"
    _run(cohort, dst, with_clinical, run_key, clinical_csv)
    assert (dst / "medanon-release" / "clinical.csv").is_file()
    without = write_recipe(PRIVACY.format(represent="omit").replace("l = 2\n", "")
                           .replace('sensitive = "clinical:diagnosis"\n', ""))
    with pytest.raises(ConfigurationError, match="differs"):
        _run(cohort, dst, without, run_key, None)
    run_private(cohort, dst, without, run_key, options=RunOptions(workers=1, restart=True))
    assert not (dst / "medanon-release" / "clinical.csv").exists()
    assert not (dst / "medanon-release" / "clinical.parquet").exists()


def test_the_python_api_runs_both_passes_and_refuses_one_dataset(
        cohort: Path, run_key: SecretKey, tmp_path: Path,
        write_recipe: Callable[[str], Recipe]) -> None:
    from medanon.api import deidentify_dataset, deidentify_folder
    from medanon.errors import ConfigurationError

    recipe = write_recipe(PRIVACY.format(represent="omit").replace("l = 2\n", "")
                          .replace('sensitive = "clinical:diagnosis"\n', ""))
    result = deidentify_folder(cohort, tmp_path / "api", run_key, recipe, options=ONE)
    assert result.report.counts["written"] > 0
    assert (tmp_path / "api" / "medanon-release" / "patients.csv").is_file()
    with pytest.raises(ConfigurationError, match=r"\[privacy\] section"):
        run_folder(cohort, tmp_path / "plain", recipe, run_key, options=ONE)
    first = next(cohort.rglob("*.dcm"))
    with pytest.raises(ConfigurationError, match="whole collection"):
        deidentify_dataset(pydicom.dcmread(first), run_key, recipe)
