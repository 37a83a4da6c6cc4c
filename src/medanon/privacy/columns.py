"""What a column's name and values say it holds: codes, or a direct identifier.

Reading needs the first (a code read as a number loses its leading zeros and becomes
a range), classification the second (a medical record number kept as it is defeats
the whole anonymisation). Both are guesses from the name and the shape of the values,
made before the user's explicit choices, which always win. Only names are ever quoted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Name tokens that say "codes": identifiers, postcodes, coding systems, numbers.
CODE_TOKENS = frozenset({
    "zip", "zipcode", "zip3", "zip5", "postcode", "postal", "plz", "mrn", "id", "ids",
    "code", "codes", "icd", "icd9", "icd10", "phone", "tel", "telephone", "ssn", "nhs",
    "npi", "cpt", "snomed", "loinc", "fips", "accession",
})
#: Parts of a longer name that say "codes" (``zipcode``, ``icd10cm``, ``homephone``).
CODE_PARTS = ("zip", "postcode", "postal", "mrn", "icd", "phone", "code")
#: Name tokens and parts of a direct identifier (PS3.15 / HIPAA's kinds, by name).
IDENTIFIER_TOKENS = frozenset({
    "id", "ids", "mrn", "name", "names", "firstname", "lastname", "surname", "forename",
    "fullname", "givenname", "familyname", "phone", "telephone", "tel", "mobile", "fax",
    "email", "mail", "ssn", "nhs", "npi", "passport", "address", "street", "accession",
})
IDENTIFIER_PARTS = ("name", "mrn", "phone", "email", "ssn", "passport", "address")

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")
_TRAILING_DIGITS = re.compile(r"^([a-z]+)\d+$")
LEADING_ZERO = re.compile(r"^0\d")
#: Letters, digits and the separators codes use, with at least one digit (ICD-10 E11.9).
CODE_SHAPE = re.compile(r"^(?=.*\d)[A-Z0-9]+([.\-/][A-Z0-9]+)*$")
DIGITS = re.compile(r"^\d+$")
#: More digits than a 64-bit float keeps exactly.
LONG_DIGITS = re.compile(r"^[+-]?\d{16,}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
PHONE = re.compile(r"^\+?\(?\d[\d ()./-]{6,}\d$")


def name_tokens(name: str) -> list[str]:
    """``PatientID`` -> ``patient, id``; ``zip_code`` -> ``zip, code``; ``zip3`` kept."""
    words = []
    for part in _SPLIT.split(name):
        words += [w.lower() for w in _CAMEL.split(part) if w]
    out = []
    for word in words:
        out.append(word)
        match = _TRAILING_DIGITS.match(word)
        if match:
            out.append(match.group(1))
    return out


def _named(name: str, tokens: frozenset[str], parts: tuple[str, ...]) -> bool:
    found = name_tokens(name)
    return any(t in tokens for t in found) or any(p in t for t in found for p in parts)


def is_code_name(name: str) -> bool:
    """Whether a column name says it holds codes (identifiers, ZIPs, phone numbers)."""
    return _named(name, CODE_TOKENS, CODE_PARTS)


def is_identifier_name(name: str) -> bool:
    """Whether a column name says it holds a direct identifier (id, mrn, name, phone ...)."""
    return _named(name, IDENTIFIER_TOKENS, IDENTIFIER_PARTS)


def has_code_shape(texts: Iterable[str]) -> bool:
    """Text that a number would change: leading zeros, or more digits than a float holds."""
    return any(LEADING_ZERO.match(t) or LONG_DIGITS.match(t) for t in texts)


def are_codes(texts: Iterable[str]) -> bool:
    """Every value a code: digits only, or upper-case letters and digits (``E11.9``)."""
    values = [t.strip() for t in texts if t and t.strip()]
    return bool(values) and all(DIGITS.match(v) or CODE_SHAPE.match(v) for v in values)


def identifier_values(texts: Iterable[str]) -> str | None:
    """Why text values look like direct identifiers (``"e-mail addresses"``), or None.

    E-mail addresses or phone numbers in most values, or codes unique to every row
    (a record number without an identifying name).
    """
    values = [t.strip() for t in texts if t and t.strip()]
    if not values:
        return None
    half = len(values) / 2
    if sum(1 for v in values if EMAIL.match(v)) > half:
        return "e-mail addresses"
    if sum(1 for v in values if PHONE.match(v) and sum(c.isdigit() for c in v) >= 7
           and not DIGITS.match(v)) > half:
        return "phone numbers"
    if len(values) >= 20 and len(set(values)) == len(values) and are_codes(values):
        return "codes unique to every row"
    return None
