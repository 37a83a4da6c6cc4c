"""A clinical table joined to the collection by patient, its columns given roles.

The key column holds the original PatientID; each value is turned into the patient's
keyed pseudonym at once (the same HMAC the headers get), and only pseudonyms go further:
the released table's key is ``patient``, the output PatientID. Every other column has
the role the recipe's ``[privacy]`` section gives it, with ``medanon table``'s machinery
(:mod:`medanon.privacy.roles`): clinical quasi-identifiers and the sensitive column as
the section names them, ``insensitive`` kept as read, ``identifying`` removed,
``pseudonymise`` replaced by the keyed pseudonym of the value (the PatientID a run with
the same key gives it, so the column still joins). A column given no role is kept and
listed; one whose name or values look like a direct identifier is refused until the
recipe says what it is. Rows without images and patients without rows are counted,
never listed; messages name columns, never values.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medanon.custody.keys import SecretKey
from medanon.errors import ConfigurationError
from medanon.privacy.roles import DECLARED_ROLES, ColumnRoles
from medanon.profile.privacy_section import CLINICAL_PREFIX, PrivacySection


@dataclass(frozen=True)
class ClinicalTable:
    """The clinical rows by patient pseudonym, and the table to release them from."""

    by_patient: Mapping[str, Mapping[str, Any]]
    release: Any = field(repr=False)  # pa.Table: 'patient' first, roles applied, as read
    roles: ColumnRoles
    fingerprint: str
    rows: int

    def counts(self, patients: set[str]) -> dict[str, int]:
        """Rows without images and patients without rows (counts only)."""
        return {"clinical_rows": self.rows,
                "clinical_rows_without_images": len(set(self.by_patient) - patients),
                "patients_without_clinical_row": len(patients - set(self.by_patient))}


def recipe_advice(name: str) -> str:
    """How a recipe gives clinical column ``name`` a role (the refusal's advice)."""
    return (f'in [privacy], identifying = ["{name}"] (removed), pseudonymise = ["{name}"] '
            f'(keyed pseudonym) or insensitive = ["{name}"] (kept)')


def clinical_roles(table: Any, key_column: str, section: PrivacySection) -> ColumnRoles:
    """The role of every column of ``table`` but the key, as ``section`` declares them.

    Raises
    ------
    ConfigurationError
        The key column is given a role, a column two, or a column that looks like a
        direct identifier none.
    InputError
        A column given a role is not in the table.
    """
    from medanon.privacy.roles import classify

    declared = section.clinical_roles
    for key, columns in declared.items():
        if key_column in columns:
            raise ConfigurationError(
                f"privacy.{key}: {key_column!r} is the clinical key column; it is always "
                "replaced by 'patient' (the output PatientID)")
    qis = [n[len(CLINICAL_PREFIX):] for n in section.quasi_identifiers
           if n.startswith(CLINICAL_PREFIX)]
    sensitive = section.sensitive[len(CLINICAL_PREFIX):] \
        if section.sensitive and section.sensitive.startswith(CLINICAL_PREFIX) else None
    return classify(table.drop_columns([key_column]), qis, sensitive,
                    {DECLARED_ROLES[key]: columns for key, columns in declared.items()},
                    advice=recipe_advice)


def load_clinical(path: Path, key_column: str, key: SecretKey, section: PrivacySection
                  ) -> ClinicalTable:
    """Read ``path`` (CSV or Parquet), key its rows by patient pseudonym, apply the roles.

    Raises
    ------
    ConfigurationError
        The key column or a column the section models is missing, a patient has several
        rows, or a column's role is missing or contradictory (see :func:`clinical_roles`).
    InputError
        The file cannot be read, or a column given a role is not in it.
    """
    import pyarrow as pa

    from medanon.dicom.pseudonyms import patient_pseudonym
    from medanon.privacy.roles import apply_roles
    from medanon.privacy.tableio import read_table

    read = read_table(path)
    typed = read.table
    text = read.text if read.text is not None else typed
    names = typed.column_names
    needed = section.clinical_columns
    for column in (key_column, *needed):
        if column not in names:
            raise ConfigurationError(f"the clinical table has no column {column!r}")
    if key_column in needed:
        raise ConfigurationError(f"the clinical key column {key_column!r} cannot be a "
                                 "quasi-identifier or the sensitive attribute")
    roles = clinical_roles(typed, key_column, section)
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
    records = typed.select(list(needed)).to_pylist()
    by_patient = {p: row for p, row in zip(pseudonyms, records, strict=True) if p}
    release = apply_roles(text.drop_columns([key_column]), roles,
                          lambda value: patient_pseudonym(key, "id:" + value))
    release = release.add_column(0, "patient", pa.array(pseudonyms, pa.string()))
    fingerprint = hashlib.sha256(Path(path).read_bytes() + key_column.encode()).hexdigest()[:16]
    return ClinicalTable(by_patient, release, roles, fingerprint, typed.num_rows)
