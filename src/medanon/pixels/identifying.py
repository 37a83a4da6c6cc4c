"""Does a line OCR read name this file's patient? The second signal's test.

The values are the safety net's (:mod:`medanon.dicom.safety_net`): the patient's name and
each of its components of three letters or more, IDs, the accession number, the birth
date in the spellings the net searches for, and the other values the rules hide. They
are collected once by the transform; nothing here reads the header.

OCR and a header spell the same value differently ("DOE^JOHN" against "DOE, JOHN";
"1970-01-01" against "01/01/1970"), so both sides are compacted to letters and digits,
case-folded, and the shapes OCR confuses (O and 0, I, l and 1, S and 5, B and 8, Z and 2)
are made one. A value of six or more characters also matches with one character misread
or dropped.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from medanon.dicom.safety_net import SafetyNet

#: Characters OCR mistakes for each other, folded to one (after case-folding).
CONFUSABLE = str.maketrans({"o": "0", "i": "1", "l": "1", "s": "5", "b": "8", "z": "2"})
#: Compacted values shorter than this are not searched (the net's own floor).
MIN_LENGTH = 3
#: Values at least this long may differ from the read text in one character.
FUZZY_LENGTH = 6


def compact(text: str) -> str:
    """Letters and digits only, accents removed, case-folded, confusable shapes folded."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))
    return kept.casefold().translate(CONFUSABLE)


@dataclass(frozen=True)
class IdentifyingText:
    """The file's identifying values in the form read text is compared with."""

    terms: tuple[str, ...]

    @classmethod
    def of(cls, values: Iterable[str]) -> IdentifyingText | None:
        """The matcher over the safety net's terms of ``values``; None when none is left."""
        terms = {compact(term) for term in SafetyNet.of(values).terms}
        kept = tuple(sorted(t for t in terms if len(t) >= MIN_LENGTH))
        return cls(kept) if kept else None

    def matches(self, text: str) -> bool:
        """True when ``text`` (as OCR read it) holds one of the values."""
        read = compact(text)
        if len(read) < MIN_LENGTH:
            return False
        return any(term in read or (len(term) >= FUZZY_LENGTH and _one_off(term, read))
                   for term in self.terms)


def _one_off(term: str, read: str) -> bool:
    """True when ``read`` holds ``term`` with one character misread or dropped."""
    size = len(term)
    for start in range(len(read) - size + 1):
        window = read[start:start + size]
        if sum(a != b for a, b in zip(term, window, strict=True)) <= 1:
            return True
    shorter = {term[:i] + term[i + 1:] for i in range(size)}
    return any(read[start:start + size - 1] in shorter
               for start in range(len(read) - size + 2))
