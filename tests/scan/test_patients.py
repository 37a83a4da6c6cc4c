"""The patient table: ages, first study, order independence, against pydicom."""

from __future__ import annotations

from collections import defaultdict
from itertools import permutations

import pydicom
import pytest

from medanon.custody.keys import SecretKey
from medanon.dicom.pseudonyms import patient_pseudonym
from medanon.sample import SampleCollection
from medanon.scan import ScanResult
from medanon.scan.patients import PatientPart, _age
from medanon.scan.record import FileRecord, FileStatus


@pytest.mark.parametrize("patient_age, birth, study, expected", [
    ("065Y", "", "", (65.0, "PatientAge")),
    ("006M", "", "", (0.5, "PatientAge")),
    ("014D", "", "", (round(14 / 365.25, 2), "PatientAge")),
    ("65", "19500301", "20150228", (64.0, "PatientBirthDate")),  # invalid AS: from dates
    ("", "19500301", "20150301", (65.0, "PatientBirthDate")),
    ("", "1950", "20150301", (None, "")),  # unparseable: missing, never an error
    ("", "20200101", "20150301", (None, "")),  # born after the study: missing
])
def test_age_policy(patient_age: str, birth: str, study: str,
                    expected: tuple[float | None, str]) -> None:
    assert _age(patient_age, birth, study) == expected


def _record(patient: str, study: int, date: str, **traits: str) -> FileRecord:
    characteristics = (("StudyDate", date), *traits.items())
    return FileRecord(FileStatus.DICOM, 10, patient=patient, study=study, series=study * 10,
                      instance=None, characteristics=characteristics)


def test_first_study_decides_and_order_does_not_matter() -> None:
    records = [
        _record("MAP1", 1, "20200105", PatientAge="071Y", PatientWeight="80", PatientSex="F"),
        _record("MAP1", 2, "20180105", PatientAge="069Y", PatientWeight="85", PatientSex="F"),
        _record("MAP1", 2, "20180105", PatientAge="069Y", PatientWeight="85", PatientSex="M"),
        _record("MAP1", 2, "20180105", PatientAge="069Y", PatientWeight="85", PatientSex="F"),
    ]
    tables = []
    for order in permutations(records):
        parts = [PatientPart() for _ in order]
        for part, record in zip(parts, order, strict=True):
            part.add(record)
        total = PatientPart()
        for part in parts:
            total.merge(part)
        tables.append(total.rows())
    assert all(table == tables[0] for table in tables)
    (row,) = tables[0]
    assert row["age"] == 69.0 and row["first_study_year"] == 2018
    assert row["PatientWeight"] == 85.0 and row["PatientSex"] == "F"
    assert row["studies"] == 2 and row["files"] == 4 and row["series"] == 2
    assert row["values_differ"] == "PatientSex,PatientWeight"


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
    rows = {r["patient"]: r for r in scanned.patient_rows()}
    assert set(rows) == set(first)
    for patient, (date, age) in first.items():
        assert rows[patient]["studies"] == len(studies[patient])
        assert rows[patient]["first_study_year"] == int(date[:4])
        if age:
            assert rows[patient]["age"] == float(int(age[:3])), patient
