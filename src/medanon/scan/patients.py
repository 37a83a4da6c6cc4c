"""The patient table: one row per patient, with the candidate quasi-identifiers.

The unit of privacy is the patient, so the row describes the patient as the collection
shows them at their first study (the earliest StudyDate; ties broken by the study's UID
digest, so the choice never depends on the order files were read in): the age then, sex,
size, weight and the other candidates, each the most frequent non-empty value of that
study's files (else of all the patient's files). ``values_differ`` names the
characteristics whose non-empty values disagree between the patient's files.

Age policy: PatientAge (``065Y``, ``006M``, ``003W``, ``010D``, in years) when the first
study carries a valid one, else full years from PatientBirthDate to that StudyDate; an
unparseable or absent value leaves the age missing (``age_source`` says which applied).
The same holds for PatientSize and PatientWeight: a value that is not a number is missing.

Workers fold files into a :class:`PatientPart`; parts merge in any order to the same rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from medanon.scan.record import FileRecord

#: Characteristics that describe the patient, not the study: they should agree.
PATIENT_LEVEL = ("PatientSex", "PatientBirthDate", "EthnicGroup", "PatientSize",
                 "PatientWeight")
#: Text columns of the table, as their DICOM keywords.
TEXT_COLUMNS = ("PatientSex", "EthnicGroup", "BodyPartExamined", "Manufacturer",
                "ManufacturerModelName")
NUMBER_COLUMNS = ("PatientSize", "PatientWeight")
#: The table's columns, in order.
COLUMNS = ("patient", "studies", "series", "files", "age", "age_source", "PatientSex",
           "PatientSize", "PatientWeight", "EthnicGroup", "first_study_year",
           "BodyPartExamined", "Manufacturer", "ManufacturerModelName", "values_differ")
_AGE = re.compile(r"^(\d{3})([DWMY])$")
_DAYS_PER_UNIT = {"D": 1 / 365.25, "W": 7 / 365.25, "M": 1 / 12, "Y": 1.0}
_NO_DATE = "99999999"


@dataclass
class _Study:
    date: str = _NO_DATE
    files: int = 0
    series: set[int] = field(default_factory=set)
    traits: Counter[tuple[str, str]] = field(default_factory=Counter)

    def merge(self, other: _Study) -> None:
        self.date = min(self.date, other.date)
        self.files += other.files
        self.series |= other.series
        self.traits.update(other.traits)


class PatientPart:
    """Patients seen in some files: per patient, per study, the counts and values."""

    def __init__(self) -> None:
        self.patients: dict[str, dict[int, _Study]] = {}

    def add(self, record: FileRecord) -> None:
        """Fold one DICOM file in."""
        if record.patient is None:
            return
        studies = self.patients.setdefault(record.patient, {})
        key = record.study if record.study is not None else 0
        study = studies.get(key)
        if study is None:
            study = studies[key] = _Study()
        study.files += 1
        if record.series is not None:
            study.series.add(record.series)
        for keyword, text in record.characteristics:
            if keyword == "StudyDate":
                if _valid_date(text) is not None:
                    study.date = min(study.date, text[:8])
            elif text:
                study.traits[(keyword, text)] += 1

    def merge(self, other: PatientPart) -> None:
        """Add another part (from another batch of files)."""
        for patient, studies in other.patients.items():
            mine = self.patients.setdefault(patient, {})
            for key, study in studies.items():
                if key in mine:
                    mine[key].merge(study)
                else:
                    mine[key] = study

    def __len__(self) -> int:
        return len(self.patients)

    def rows(self) -> list[dict[str, Any]]:
        """The table, one dict per patient, sorted by pseudonym."""
        return [_row(patient, self.patients[patient]) for patient in sorted(self.patients)]


def _row(patient: str, studies: dict[int, _Study]) -> dict[str, Any]:
    first_key = min(studies, key=lambda k: (studies[k].date, k))
    first = studies[first_key]
    everywhere: Counter[tuple[str, str]] = Counter()
    for study in studies.values():
        everywhere.update(study.traits)

    def chosen(keyword: str) -> str:
        return _most_frequent(first.traits, keyword) or _most_frequent(everywhere, keyword)

    age, source = _age(_most_frequent(first.traits, "PatientAge"),
                       _most_frequent(first.traits, "PatientBirthDate") or
                       _most_frequent(everywhere, "PatientBirthDate"), first.date)
    row: dict[str, Any] = {
        "patient": patient,
        "studies": len(studies),
        "series": sum(len(s.series) for s in studies.values()),
        "files": sum(s.files for s in studies.values()),
        "age": age,
        "age_source": source,
        "first_study_year": int(first.date[:4]) if first.date != _NO_DATE else None,
    }
    for keyword in TEXT_COLUMNS:
        row[keyword] = chosen(keyword) or None
    for keyword in NUMBER_COLUMNS:
        row[keyword] = _number(chosen(keyword))
    differ = [k for k in PATIENT_LEVEL if len({t for (kw, t) in everywhere if kw == k}) > 1]
    row["values_differ"] = ",".join(differ)
    return {column: row[column] for column in COLUMNS}


def _most_frequent(traits: Counter[tuple[str, str]], keyword: str) -> str:
    """The most frequent value of ``keyword`` (ties: the smallest), or ''."""
    candidates = [(-n, text) for (kw, text), n in traits.items() if kw == keyword]
    return min(candidates)[1] if candidates else ""


def _age(patient_age: str, birth_date: str, study_date: str) -> tuple[float | None, str]:
    match = _AGE.match(patient_age)
    if match:
        return round(int(match[1]) * _DAYS_PER_UNIT[match[2]], 2), "PatientAge"
    birth, study = _valid_date(birth_date), _valid_date(study_date)
    if birth is not None and study is not None and birth <= study:
        years = study.year - birth.year - ((study.month, study.day) < (birth.month, birth.day))
        return float(years), "PatientBirthDate"
    return None, ""


def _valid_date(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text[:8], "%Y%m%d").date() if len(text) >= 8 else None
    except ValueError:
        return None


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None
