"""Text normalisation and tokens, the verifier's own.

A bug in the transform's search cannot hide the same value here.

Values are compared as sequences of tokens (maximal runs of letters and digits), case
folded, so ``MÜLLER^JÖRG``, ``Jörg Müller`` and ``JOERG_MUELLER`` all meet the needles
built from one source name. Looking tokens up in a dictionary costs the same for ten
needles as for a million, which is what a large ``--against`` collection needs.
"""

from __future__ import annotations

import re
import unicodedata

#: Letters folded the way export tools write names in ASCII (``Ü`` -> ``UE``).
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe",
                       "ð": "d", "þ": "th", "ł": "l", "œ": "oe", "å": "aa"})
_TOKEN = re.compile(r"[^\W_]+")
#: Tokens of raw bytes: ASCII letters and digits and every byte of a multi-byte character.
_BYTE_TOKEN = re.compile(rb"[A-Za-z0-9\x80-\xff]{3,}")
_UID = re.compile(r"(?<![0-9.])[0-9]+(?:\.[0-9]+){2,}(?![0-9.])")
_BYTE_UID = re.compile(rb"(?<![0-9.])[0-9]+(?:\.[0-9]+){2,}(?![0-9.])")


def strip_accents(text: str) -> str:
    """``Müller`` -> ``Muller``: the accents dropped, as many systems store names."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def variants(text: str) -> set[str]:
    """The case-folded spellings under which a value may be written."""
    folded = text.casefold()
    return {folded, strip_accents(folded.translate(_FOLD)), strip_accents(folded)}


def tokens(text: str) -> list[str]:
    """The case-folded letter-and-digit runs of ``text``, in order."""
    return _TOKEN.findall(text.casefold())


def byte_tokens(data: bytes) -> list[tuple[int, bytes]]:
    """Tokens (at least 3 bytes) of raw bytes, ASCII-lowered, with their offsets."""
    return [(m.start(), m.group().lower()) for m in _BYTE_TOKEN.finditer(data)]


def uids_in(text: str) -> list[str]:
    """Every dotted-decimal run that may be a UID."""
    return _UID.findall(text)


def uids_in_bytes(data: bytes) -> list[tuple[int, str]]:
    """Every dotted-decimal run in raw bytes, with its offset."""
    return [(m.start(), m.group().decode("ascii")) for m in _BYTE_UID.finditer(data)]
