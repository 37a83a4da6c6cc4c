"""Keyed pseudonyms, hashes and the patient identity they are derived from.

Pseudonyms are HMAC-SHA256 of the key and the original value, rendered in an alphabet
that is valid in every VR that holds text and in every Specific Character Set (the
ASCII letters and digits of the default repertoire), so they never need re-encoding.
"""

from __future__ import annotations

import base64

from pydicom.dataset import Dataset

from medanon.custody.keys import SecretKey
from medanon.dicom.backend.peek import peek_text

PATIENT_PREFIX = "MA"
PATIENT_PSEUDONYM_LENGTH = 12

# Maximum value lengths (PS3.5 Table 6.2-1) of the text VRs a pseudonym or hash can go into.
MAX_LENGTH = {
    "AE": 16, "CS": 16, "SH": 16, "LO": 64, "PN": 64, "ST": 1024, "LT": 10240,
    "UT": 2**32 - 2, "UC": 2**32 - 2, "UR": 2**32 - 2,
}


PSEUDONYM_BYTES = 10  # 16 base-32 characters: more than any pseudonym keeps


def _b32(digest: bytes) -> str:
    # Base 32 encodes each 5 bytes on their own: the first 10 give the same first 16
    # characters as the whole digest would, at a third of the cost.
    return base64.b32encode(digest[:PSEUDONYM_BYTES]).decode("ascii")


def patient_identity(dataset: Dataset) -> str:
    """The string a patient's pseudonym and date offset are derived from.

    PatientID where present (it is what sites use to tell patients apart); otherwise name
    and birth date; otherwise the study, so that a file with no patient module at all still
    gets a stable identity without being merged with other anonymous files.
    """
    patient_id = peek_text(dataset, "PatientID")
    if patient_id:
        return "id:" + patient_id
    name = peek_text(dataset, "PatientName")
    birth = peek_text(dataset, "PatientBirthDate")
    if name:
        return f"name:{name}|{birth}"
    return "study:" + peek_text(dataset, "StudyInstanceUID")


def patient_pseudonym(key: SecretKey, identity: str) -> str:
    """The PatientID that replaces the original, e.g. ``MA4K7Q2ZR9XW1B`` (14 characters)."""
    return PATIENT_PREFIX + _b32(key.digest("patient", identity))[:PATIENT_PSEUDONYM_LENGTH]


def value_pseudonym(key: SecretKey, namespace: str, value: str, vr: str) -> str:
    """A pseudonym for any text value, fitting ``vr``; equal inputs give equal outputs."""
    text = _b32(key.digest("pseudonym:" + namespace, value))
    limit = min(MAX_LENGTH.get(vr, 64), 16)
    return ("X" + text)[:limit] if vr == "PN" else text[:limit]


def value_hash(key: SecretKey, value: str, vr: str) -> str:
    """A keyed hash of a value in hexadecimal, truncated to the VR's maximum length."""
    text = key.digest("hash", value).hex().upper()
    return text[: min(MAX_LENGTH.get(vr, 64), 64)]
