"""A clinical table joined to the collection by patient.

The key column holds the original PatientID; each value is turned into the patient's
keyed pseudonym at once (the same HMAC the headers get), and only pseudonyms go further.
Rows without images and patients without rows are counted, never listed. Columns whose
names say they identify someone directly (name, phone, e-mail, address, MRN, ...) are
left out of the release; the key column is replaced by ``patient``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medanon.custody.keys import SecretKey
from medanon.errors import ConfigurationError

DIRECT_IDENTIFIER = re.compile(
    r"(^|[^a-z])(name|surname|phone|tel|telephone|email|e-mail|mail|address|street|mrn|ssn|"
    r"nhs|passport|insurance|birth|dob)([^a-z]|$)|(firstname|lastname|birthdate|patientid)",
    re.IGNORECASE)


@dataclass(frozen=True)
class ClinicalTable:
    """The clinical rows by patient pseudonym, and the table to release them from."""

    by_patient: Mapping[str, Mapping[str, Any]]
    release: Any = field(repr=False)  # pa.Table: 'patient' first, identifiers dropped
    dropped: tuple[str, ...]
    fingerprint: str
    rows: int

    def counts(self, patients: set[str]) -> dict[str, int]:
        """Rows without images and patients without rows (counts only)."""
        return {"clinical_rows": self.rows,
                "clinical_rows_without_images": len(set(self.by_patient) - patients),
                "patients_without_clinical_row": len(patients - set(self.by_patient))}


def load_clinical(path: Path, key_column: str, key: SecretKey, needed: tuple[str, ...]
                  ) -> ClinicalTable:
    """Read ``path`` (CSV or Parquet) and key its rows by patient pseudonym.

    Raises
    ------
    ConfigurationError
        The key column or a needed column is missing, or a patient has several rows.
    InputError
        The file cannot be read.
    """
    import pyarrow as pa

    from medanon.dicom.pseudonyms import patient_pseudonym
    from medanon.privacy.tableio import read_table

    read = read_table(path)
    typed = read.table
    text = read.text if read.text is not None else typed
    names = typed.column_names
    for column in (key_column, *needed):
        if column not in names:
            raise ConfigurationError(f"the clinical table has no column {column!r}")
    keys = [None if v is None else str(v).strip() for v in text.column(key_column).to_pylist()]
    pseudonyms = [None if not v else patient_pseudonym(key, "id:" + v) for v in keys]
    seen: set[str] = set()
    repeated = 0
    for pseudonym in pseudonyms:
        if pseudonym in seen:
            repeated += 1
        if pseudonym:
            seen.add(pseudonym)
    if repeated:
        raise ConfigurationError(f"the clinical table has {repeated} repeated values in "
                                 f"{key_column!r}; one row per patient is expected")
    records = typed.drop_columns([key_column]).to_pylist()
    by_patient = {p: row for p, row in zip(pseudonyms, records, strict=True) if p}
    dropped = tuple(n for n in names if n != key_column and DIRECT_IDENTIFIER.search(n)
                    and n not in needed)
    release = text.drop_columns([key_column, *dropped])
    release = release.add_column(0, "patient", pa.array(pseudonyms, pa.string()))
    fingerprint = hashlib.sha256(Path(path).read_bytes() + key_column.encode()).hexdigest()[:16]
    return ClinicalTable(by_patient, release, dropped, fingerprint, typed.num_rows)
