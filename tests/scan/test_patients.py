"""The patient table of a scan: the privacy run's rows, folded as files stream in."""

from __future__ import annotations

from collections import defaultdict
from itertools import permutations

import pydicom

from medanon.collection.patients import FileRow, aggregate_patients, parse_age_string
from medanon.custody.keys import SecretKey
from medanon.dicom.pseudonyms import patient_pseudonym
from medanon.sample import SampleCollection
from medanon.scan import ScanResult
from medanon.scan.patients import PatientPart


def _row(patient: str, study: str, date: str | None, **values: float | str | None) -> FileRow:
    return FileRow(patient, study, date, values)


ROWS = [
    _row("MAP1", "s1", "2020-01-05", age=71.0, PatientWeight=80.0, PatientSex="F"),
    _row("MAP1", "s2", "2018-01-05", age=69.0, PatientWeight=None, PatientSex="F"),
    _row("MAP1", "s2", "2018-01-05", age=69.0, PatientWeight=None, PatientSex="F"),
    _row("MAP1", "s2", "2018-01-05", age=69.0, PatientWeight=85.0, PatientSex="F"),
    _row("MAP2", "s3", None, age=None, PatientWeight=60.0, PatientSex="M"),
]


def test_folded_rows_give_the_table_every_file_row_gives() -> None:
    reference = aggregate_patients(ROWS)
    for order in permutations(ROWS):
        parts = [PatientPart() for _ in order]
        for part, row in zip(parts, order, strict=True):
            part.add(row)
        total = PatientPart()
        for part in reversed(parts):
            total.merge(part)
        assert total.rows() == reference
        assert len(total) == 2
    (first, second) = reference
    assert first.files == 4 and first.studies == 2 and first.values["age"] == 69.0
    assert second.values["age"] is None and second.files == 1


def test_ages_match_the_sample_headers(sample: SampleCollection, scanned: ScanResult,
                                       scan_key: SecretKey) -> None:
    first: dict[str, tuple[str, str]] = {}
    studies: dict[str, set[str]] = defaultdict(set)
    for f in sample.dicom_files:
        ds = pydicom.dcmread(sample.root / f.path, stop_before_pixels=True)
        patient = patient_pseudonym(scan_key, "id:" + str(ds.PatientID))
        studies[patient].add(str(ds.StudyInstanceUID))
        date, age = str(ds.get("StudyDate", "")), str(ds.get("PatientAge", ""))
        if patient not in first or (date, age) < first[patient]:
            first[patient] = (date, age)
    rows = {r.patient: r for r in scanned.patient_rows()}
    assert set(rows) == set(first)
    for patient, (date, age) in first.items():
        assert rows[patient].studies == len(studies[patient])
        assert rows[patient].values["first_study_year"] == float(date[:4])
        if age:
            assert rows[patient].values["age"] == float(parse_age_string(age) or -1), patient


def test_without_the_census_the_counts_and_patient_table_are_the_same(
        sample: SampleCollection, scanned: ScanResult, scan_key: SecretKey) -> None:
    from medanon.scan import scan_folder

    headers_only = scan_folder(sample.root, scan_key, workers=1, census=False)
    assert headers_only.patient_rows() == scanned.patient_rows()
    assert headers_only.tally.inventory == scanned.tally.inventory
    assert headers_only.summary()["files"] == scanned.summary()["files"]
    assert scanned.census_rows() and not headers_only.census_rows()
