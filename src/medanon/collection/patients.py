"""Candidate quasi-identifiers: one row per file, then one row per patient.

Collection-level privacy treats the patient as the unit: whatever the number of files
and studies, a patient is one record of the table the privacy engine generalises. This
module turns a header dataset into a :class:`FileRow` (pure: the dataset is read, never
changed) and folds the rows of a collection into one :class:`PatientRow` per patient.

Rows are keyed by the patient's keyed pseudonym, the very PatientID medanon writes
(:func:`medanon.dicom.pseudonyms.patient_pseudonym`, an HMAC of the key); the original
PatientID never leaves this module. Studies are counted by a keyed hash of their UID.

Policy for values that cannot be read (documented in the README as well):

- an unparseable or out-of-range value (``PatientAge`` "abc", a weight of "-3", a size
  of "1,75", a birth date after the study) is *missing*, exactly like an absent one;
  the keyword is recorded in :attr:`FileRow.unparseable` (never the value) so a report
  can count such files;
- ``age`` comes from PatientAge when it is present and readable, otherwise from
  PatientBirthDate and StudyDate (completed years); ages are whole years (``006M`` is 0);
- a patient's value of an attribute is the one of its first study (earliest StudyDate;
  files without a StudyDate come last), the first readable one when that study's files
  lack it, so ``age`` is the age at the first study and ``first_study_year`` its year.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from medanon.custody.keys import SecretKey

if TYPE_CHECKING:
    import pyarrow as pa
    from pydicom.dataset import Dataset

Value = str | float
#: The derived quasi-identifiers (not DICOM keywords).
AGE = "age"
FIRST_STUDY_YEAR = "first_study_year"
DERIVED = (AGE, FIRST_STUDY_YEAR)
#: Keywords read as numbers (DS): size in metres, weight in kilograms.
NUMERIC_KEYWORDS = frozenset({"PatientSize", "PatientWeight"})
#: The candidate quasi-identifiers every row carries (more keywords can be asked for).
CANDIDATE_KEYWORDS = ("PatientSex", "PatientSize", "PatientWeight", "EthnicGroup",
                      "Manufacturer", "ManufacturerModelName", "BodyPartExamined")
CANDIDATES = (AGE, *CANDIDATE_KEYWORDS, FIRST_STUDY_YEAR)
#: Plausible bounds: a value outside is treated as unparseable (a unit slip, a typo).
MAX_AGE_YEARS = 150
MAX_SIZE_METRES = 3.0
MAX_WEIGHT_KG = 700.0
SEX_VALUES = frozenset({"M", "F", "O"})

_AS = re.compile(r"^(\d{3})([DWMY])$")
_DA = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DS = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DAYS_PER_UNIT = {"D": 1.0, "W": 7.0, "M": 365.25 / 12, "Y": 365.25}


@dataclass(frozen=True)
class FileRow:
    """The candidate quasi-identifiers of one file (None: missing or unreadable).

    ``study_date`` (ISO ``YYYY-MM-DD``) is kept only to order a patient's studies; it is
    never published.
    """

    patient: str
    study: str
    study_date: str | None
    values: Mapping[str, Value | None]
    unparseable: tuple[str, ...] = ()


@dataclass(frozen=True)
class PatientRow:
    """One patient: the values at the first study, and how many studies and files."""

    patient: str
    values: Mapping[str, Value | None]
    studies: int
    files: int
    first_study_date: str | None = None
    unparseable: tuple[str, ...] = field(default=())
    study_years: Mapping[str, int] = field(default_factory=dict)
    """Whole years from the first study to each later dated study (only those of 1 or more)."""


def parse_age_string(text: str) -> int | None:
    """Whole years of a DICOM AS value (``065Y``, ``006M``, ``003W``, ``010D``), or None."""
    match = _AS.match(text.strip())
    if match is None:
        return None
    years = int(match.group(1)) * _DAYS_PER_UNIT[match.group(2)] / 365.25
    whole = int(math.floor(years + 1e-9))
    return whole if whole <= MAX_AGE_YEARS else None


def parse_date(text: str) -> dt.date | None:
    """A DA value as a date, or None when it is not a valid calendar date."""
    match = _DA.match(text.strip())
    if match is None:
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def completed_years(birth: dt.date, on: dt.date) -> int | None:
    """Age in completed years on ``on``; None when born after that day."""
    years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return years if 0 <= years <= MAX_AGE_YEARS else None


def parse_decimal(text: str, upper: float) -> float | None:
    """A single positive DS value up to ``upper``, or None (several values, junk, <= 0)."""
    text = text.strip()
    if not _DS.match(text):
        return None
    value = float(text)
    return value if 0 < value <= upper and math.isfinite(value) else None


def _text(dataset: Dataset, keyword: str) -> str:
    from medanon.dicom.backend.peek import peek_text

    try:
        return peek_text(dataset, keyword)
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeError):
        return "\x00unreadable"  # an element pydicom cannot decode: treated as unparseable


def _keyword_value(keyword: str, text: str) -> Value | None:
    if keyword == "PatientSize":
        return parse_decimal(text, MAX_SIZE_METRES)
    if keyword == "PatientWeight":
        return parse_decimal(text, MAX_WEIGHT_KG)
    if keyword == "PatientSex":
        sex = text.upper()
        return sex if sex in SEX_VALUES else None
    if "\x00" in text or "\\" in text:
        return None  # unreadable, or several values where the row holds one
    return text


def file_row(dataset: Dataset, key: SecretKey, keywords: Sequence[str] = CANDIDATE_KEYWORDS
             ) -> FileRow:
    """The candidate quasi-identifiers of one header; ``dataset`` is left unchanged.

    ``keywords`` are the DICOM attributes to read besides ``age`` and the study date
    (the candidates by default; a recipe may name more, e.g. InstitutionName).
    """
    from medanon.dicom.plan import study_key
    from medanon.dicom.pseudonyms import patient_identity, patient_pseudonym

    patient = patient_pseudonym(key, patient_identity(dataset))
    study_uid = _text(dataset, "StudyInstanceUID")
    study = study_key(key, study_uid)
    values: dict[str, Value | None] = {}
    unparseable: list[str] = []
    study_text = _text(dataset, "StudyDate")
    study_date = parse_date(study_text)
    if study_text and study_date is None:
        unparseable.append("StudyDate")
    age = _age(dataset, study_date, unparseable)
    values[AGE] = None if age is None else float(age)
    for keyword in keywords:
        text = _text(dataset, keyword)
        value = _keyword_value(keyword, text) if text else None
        if text and value is None:
            unparseable.append(keyword)
        values[keyword] = value
    return FileRow(patient, study, study_date.isoformat() if study_date else None, values,
                   tuple(unparseable))


def _age(dataset: Dataset, study_date: dt.date | None, unparseable: list[str]) -> int | None:
    age_text = _text(dataset, "PatientAge")
    if age_text:
        age = parse_age_string(age_text)
        if age is not None:
            return age
        unparseable.append("PatientAge")
    birth_text = _text(dataset, "PatientBirthDate")
    if not birth_text:
        return None
    birth = parse_date(birth_text)
    age = completed_years(birth, study_date) if birth and study_date else None
    if age is None and (birth is None or study_date is not None):
        unparseable.append("PatientBirthDate")
    return age


def _order(row: FileRow) -> tuple[int, str, str]:
    """First study first: dated before undated, then by study (a stable tie-break)."""
    return (0 if row.study_date else 1, row.study_date or "", row.study)


def aggregate_patients(rows: Iterable[FileRow]) -> list[PatientRow]:
    """One row per patient, ordered by pseudonym (the same for any order of ``rows``)."""
    by_patient: dict[str, list[FileRow]] = {}
    for row in rows:
        by_patient.setdefault(row.patient, []).append(row)
    return [_patient(patient, by_patient[patient]) for patient in sorted(by_patient)]


def _patient(patient: str, rows: list[FileRow]) -> PatientRow:
    ordered = sorted(rows, key=_order)
    names = list(dict.fromkeys(name for row in ordered for name in row.values))
    values: dict[str, Value | None] = {}
    for name in names:
        present = [row.values[name] for row in ordered if row.values.get(name) is not None]
        values[name] = present[0] if present else None
    first_date = ordered[0].study_date
    values[FIRST_STUDY_YEAR] = float(first_date[:4]) if first_date else None
    unparseable = tuple(sorted({name for row in rows for name in row.unparseable}))
    return PatientRow(patient, values, len({row.study for row in rows}), len(rows),
                      first_date, unparseable, _study_years(first_date, ordered))


def _study_years(first_date: str | None, ordered: list[FileRow]) -> dict[str, int]:
    """Whole years from the first study to each later dated study, when at least one."""
    first = dt.date.fromisoformat(first_date) if first_date else None
    years: dict[str, int] = {}
    for row in ordered:
        if first is None or row.study_date is None or row.study in years:
            continue
        elapsed = completed_years(first, dt.date.fromisoformat(row.study_date))
        if elapsed:
            years[row.study] = elapsed
    return years


def patient_columns(patients: Sequence[PatientRow]) -> list[str]:
    """The value columns of a patient table, candidates first, in a stable order."""
    seen = dict.fromkeys(name for p in patients for name in p.values)
    ordered = [name for name in CANDIDATES if name in seen]
    return ordered + sorted(name for name in seen if name not in ordered)


def patient_table(patients: Sequence[PatientRow]) -> pa.Table:
    """The patient table as Arrow: ``patient``, one column per value, ``studies``, ``files``.

    Numbers (age, size, weight, first study year) are float64 columns, everything else
    text; missing values are nulls. Written as Parquet by ``medanon scan`` and read by
    the privacy plan.
    """
    import pyarrow as pa

    columns: dict[str, pa.Array] = {"patient": pa.array([p.patient for p in patients],
                                                        type=pa.string())}
    for name in patient_columns(patients):
        numeric = name in NUMERIC_KEYWORDS or name in DERIVED
        kind = pa.float64() if numeric else pa.string()
        columns[name] = pa.array([p.values.get(name) for p in patients], type=kind)
    columns["studies"] = pa.array([p.studies for p in patients], type=pa.int64())
    columns["files"] = pa.array([p.files for p in patients], type=pa.int64())
    return pa.table(columns)


def unparseable_counts(patients: Iterable[PatientRow]) -> dict[str, int]:
    """Patients with at least one unreadable value, per keyword (counts only)."""
    counts: dict[str, int] = {}
    for patient in patients:
        for name in patient.unparseable:
            counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))
