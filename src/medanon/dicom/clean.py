"""The C (clean) action on free text: remove what identifies, keep what describes.

PS3.15 asks to "replace with values of similar meaning known not to contain identifying
information". For descriptions that means keeping the clinical words ("CT CHEST W/O")
while removing what names or dates the patient: every identifying value found in the
dataset itself (names and their parts, IDs, accession numbers, birth date, addresses,
institution, physicians), any date written in a common format, and long digit runs
(IDs, phone numbers). What is removed is replaced by ``*`` runs of a fixed length, so
the length of a name leaks nothing either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence

from medanon.dicom.backend.peek import peek

REDACTED = "***"

# Attributes whose values identify the patient or staff and may be quoted in free text.
IDENTIFYING_KEYWORDS = (
    "PatientName", "PatientID", "OtherPatientIDs", "OtherPatientNames", "PatientBirthName",
    "PatientMotherBirthName", "PatientBirthDate", "PatientAddress", "PatientTelephoneNumbers",
    "AccessionNumber", "InstitutionName", "InstitutionAddress", "ReferringPhysicianName",
    "PerformingPhysicianName", "NameOfPhysiciansReadingStudy", "OperatorsName",
    "RequestingPhysician", "ScheduledPerformingPhysicianName", "StationName",
    "MedicalRecordLocator", "IssuerOfPatientID", "StudyID", "PatientInsurancePlanCodeSequence",
    "ResponsiblePerson", "ResponsibleOrganization", "MilitaryRank", "BranchOfService",
    "RegionOfResidence", "CountryOfResidence", "EthnicGroup", "Occupation",
    "PhysiciansOfRecord", "DeviceSerialNumber",
)

_DATE_PATTERNS = (
    r"\b(19|20)\d{2}[-./]?(0[1-9]|1[0-2])[-./]?(0[1-9]|[12]\d|3[01])\b",
    r"\b(0?[1-9]|[12]\d|3[01])[-./](0?[1-9]|1[0-2])[-./](19|20)?\d{2}\b",
    r"\b(0?[1-9]|1[0-2])[-./](0?[1-9]|[12]\d|3[01])[-./](19|20)?\d{2}\b",
)
_LONG_DIGITS = r"\b\d[\d \-/]{4,}\d\b"
_GENERIC = re.compile("|".join((*_DATE_PATTERNS, _LONG_DIGITS)))


@dataclass(frozen=True)
class IdentifyingTerms:
    """The identifying strings of one dataset, compiled once and applied to all its text."""

    pattern: re.Pattern[str] | None

    def scrub(self, text: str) -> str:
        """``text`` with every identifying term, date and long number replaced."""
        if self.pattern is not None:
            text = self.pattern.sub(REDACTED, text)
        return _GENERIC.sub(REDACTED, text)


def _values(dataset: Dataset, keyword: str) -> list[str]:
    value = peek(dataset, keyword)
    if value is None or isinstance(value, (Sequence, bytes)):
        return []
    if isinstance(value, (MultiValue, list, tuple)):
        return [str(item) for item in value if str(item)]
    text = str(value)
    return [text] if text else []


def _terms_of(value: str) -> set[str]:
    terms = {value.strip()}
    # Person names: every component and every word of every component.
    for part in re.split(r"[\^=|,;/\\]", value):
        part = part.strip()
        if part:
            terms.add(part)
            terms.update(word for word in part.split() if word)
    return {term for term in terms if len(term) >= 2}


def identifying_terms(dataset: Dataset) -> IdentifyingTerms:
    """Collect the identifying values of a dataset's top level into one case-insensitive pattern."""
    terms: set[str] = set()
    for keyword in IDENTIFYING_KEYWORDS:
        for value in _values(dataset, keyword):
            terms.update(_terms_of(value))
    if not terms:
        return IdentifyingTerms(None)
    ordered = sorted(terms, key=len, reverse=True)  # longest first, so whole names go in one piece
    alternatives = "|".join(re.escape(term) for term in ordered)
    return IdentifyingTerms(re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])",
                                       re.IGNORECASE))
