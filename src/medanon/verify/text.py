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

import numpy as np

#: Letters folded the way export tools write names in ASCII (``Ü`` -> ``UE``).
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe",
                       "ð": "d", "þ": "th", "ł": "l", "œ": "oe", "å": "aa"})
_TOKEN = re.compile(r"[^\W_]+")
_UID = re.compile(r"(?<![0-9.])[0-9]+(?:\.[0-9]+){2,}(?![0-9.])")
_UID_RUN = re.compile(rb"[0-9]+(?:\.[0-9]+){2,}")


def _byte_class(ranges: bytes) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    for low, high in zip(ranges[::2], ranges[1::2], strict=True):
        table[low:high + 1] = True
    return table


#: Bytes of raw tokens: ASCII letters and digits and every byte of a multi-byte character.
_TOKEN_BYTES = _byte_class(b"AZaz09\x80\xff")
_UID_BYTES = _byte_class(b"09..")
MIN_UID_RUN = 7  # "1.2.3.4": shorter dotted runs are versions and numbers, not UIDs


def _runs(data: bytes, table: np.ndarray, min_length: int) -> list[tuple[int, int]]:
    """(start, end) of every run of bytes in ``table`` at least ``min_length`` long.

    Vectorised: a CT slice is half a megabyte, and a byte-by-byte scan in Python (or a
    regular expression tried at every offset) would cost more than the rest of the check.
    Offsets where ``min_length`` bytes in a row are in the class are found with shifted
    ANDs (sparse in image data), then grouped into runs.
    """
    if len(data) < min_length:
        return []
    mask = table[np.frombuffer(data, dtype=np.uint8)]
    window = mask[:len(mask) - min_length + 1].copy()
    for shift in range(1, min_length):
        window &= mask[shift:len(mask) - min_length + 1 + shift]
    hits = np.flatnonzero(window)
    if not len(hits):
        return []
    breaks = np.flatnonzero(np.diff(hits) != 1)
    starts = np.concatenate(([hits[0]], hits[breaks + 1]))
    ends = np.concatenate((hits[breaks], [hits[-1]])) + min_length
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


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
    return [(start, data[start:end].lower()) for start, end in _runs(data, _TOKEN_BYTES, 3)]


def uids_in(text: str) -> list[str]:
    """Every dotted-decimal run that may be a UID."""
    return _UID.findall(text)


def uids_in_bytes(data: bytes) -> list[tuple[int, str]]:
    """Every dotted-decimal run in raw bytes, with its offset."""
    found = []
    for start, end in _runs(data, _UID_BYTES, MIN_UID_RUN):
        match = _UID_RUN.fullmatch(data, start, end) or _UID_RUN.search(data, start, end)
        if match is not None:
            found.append((match.start(), match.group().decode("ascii")))
    return found
