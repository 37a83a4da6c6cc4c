"""The identifying values of the source collection, indexed for searching outputs.

Every value becomes one or more token sequences (its case-folded and ASCII-folded
spellings); a sequence is looked up by its first token, so matching a text costs one
dictionary look-up per token however many values the source held. Raw bytes are matched
by their longest token, then confirmed with a small pattern around the hit. UIDs are
kept in a set and matched as whole dotted runs.

A needle belongs to one source patient (``patient``) when it is a date: a shifted date
of one patient may by chance equal an original date of another, and that is no leak;
dates are therefore only searched in outputs made from the same patient's files (or in
outputs whose source is unknown).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from medanon.verify.text import byte_tokens, tokens, uids_in, uids_in_bytes, variants

ANY_PATIENT = -1
#: Values that are placeholders, not identities: finding them means nothing.
_PLACEHOLDERS = frozenset({"unknown", "anonymous", "anonymized", "none", "na", "n a", "nil",
                           "removed", "yes", "no", "other"})
_SEPARATOR = rb"[^A-Za-z0-9\x80-\xff]+"
_CONFIRM_WINDOW = 512
_HIGH_BYTES = bytes(range(0x80, 0x100))


@dataclass(frozen=True)
class Needle:
    """One identifying value of the source: what it is and whose."""

    category: str
    value: str
    check: str
    patient: int = ANY_PATIENT


@dataclass
class NeedleIndex:
    """Source values, indexed for text, raw bytes and UIDs; picklable for workers."""

    needles: list[Needle] = field(default_factory=list)
    text_index: dict[str, list[tuple[tuple[str, ...], int]]] = field(default_factory=dict)
    byte_index: dict[bytes, list[tuple[int, re.Pattern[bytes] | None, int]]] = field(
        default_factory=dict)
    plain_bytes: list[tuple[bytes, int]] = field(default_factory=list)
    uids: dict[str, int] = field(default_factory=dict)
    _seen: set[tuple[str, str, int]] = field(default_factory=set, repr=False)

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_seen"] = set()  # only needed while building
        return state

    def add(self, needle: Needle) -> None:
        """Index one value under every spelling; too short or placeholder values are skipped."""
        key = (needle.category, needle.value, needle.patient)
        if key in self._seen:
            return
        self._seen.add(key)
        spellings = {tuple(tokens(v)) for v in variants(needle.value)}
        spellings = {s for s in spellings if _worth_searching(s)}
        if not spellings:
            return
        number = len(self.needles)
        self.needles.append(needle)
        text_index = self.text_index
        for spelling in spellings:
            text_index.setdefault(spelling[0], []).append((spelling, number))
            self._add_bytes(spelling, number)
        for encoded in _escaped_encodings(needle.value):
            self.plain_bytes.append((encoded, number))

    def add_uid(self, uid: str, patient: int = ANY_PATIENT) -> None:
        """Index an original UID (matched exactly, as a whole dotted run)."""
        if uid and uid not in self.uids:
            self.uids[uid] = patient

    def _add_bytes(self, spelling: tuple[str, ...], number: int) -> None:
        forms: set[tuple[bytes, ...]] = set()
        for case in (str.lower, str.upper):
            for codec in ("utf-8", "latin-1"):
                try:
                    forms.add(tuple(case(t).encode(codec).lower() for t in spelling))
                except UnicodeEncodeError:
                    continue
        for form in forms:
            anchor = max(form, key=len)
            if len(anchor) < 3:
                continue
            confirm = None if len(form) == 1 else re.compile(
                _SEPARATOR.join(re.escape(t) for t in form), re.IGNORECASE)
            self.byte_index.setdefault(anchor, []).append(
                (number, confirm, sum(len(t) for t in form)))

    def match_text(self, text: str) -> set[int]:
        """The needles found in ``text``, by number."""
        found: set[int] = set()
        words = tokens(text)
        index = self.text_index
        for position, word in enumerate(words):
            candidates = index.get(word)
            if candidates is None and len(word) > 8 and word.isdigit():
                candidates = index.get(word[:8])  # a DT or a date glued to a time
                if candidates is not None:
                    found.update(n for s, n in candidates if len(s) == 1)
                continue
            if candidates is None:
                continue
            for spelling, number in candidates:
                if len(spelling) == 1 or tuple(words[position:position + len(spelling)]) \
                        == spelling:
                    found.add(number)
        return found

    def match_bytes(self, data: bytes) -> list[tuple[int, int, int]]:
        """Needles found in raw bytes: (offset, needle number, matched length)."""
        hits: list[tuple[int, int, int]] = []
        index = self.byte_index
        for offset, word in byte_tokens(data):
            # Binary neighbours (a JPEG marker, a length) may glue high bytes to a word.
            core = word.strip(_HIGH_BYTES)
            candidates = index.get(word, [])
            if core != word and core in index:
                candidates = candidates + index[core]
            for number, confirm, length in candidates:
                if confirm is None:
                    hits.append((offset, number, length))
                    continue
                low = max(0, offset - _CONFIRM_WINDOW)
                if confirm.search(data, low, offset + _CONFIRM_WINDOW):
                    hits.append((offset, number, length))
        for encoded, number in self.plain_bytes:
            start = data.find(encoded)
            if start >= 0:
                hits.append((start, number, len(encoded)))
        return hits

    def match_uids(self, text: str) -> list[str]:
        """Original UIDs written in ``text``."""
        return [uid for uid in uids_in(text) if uid in self.uids]

    def match_uid_bytes(self, data: bytes) -> list[tuple[int, str]]:
        """Original UIDs in raw bytes, with offsets."""
        return [(offset, uid) for offset, uid in uids_in_bytes(data) if uid in self.uids]


def _worth_searching(spelling: tuple[str, ...]) -> bool:
    joined = " ".join(spelling)
    if not spelling or joined in _PLACEHOLDERS:
        return False
    if len(spelling) == 1:
        word = spelling[0]
        return len(word) >= 4 if word.isdigit() else len(word) >= 3
    return len(joined.replace(" ", "")) >= 4


def _escaped_encodings(value: str) -> list[bytes]:
    """Encodings a token search over bytes cannot see (ISO 2022 escapes), for a plain search."""
    try:
        encoded = value.encode("iso2022_jp")
    except UnicodeEncodeError:
        return []
    return [encoded] if b"\x1b" in encoded else []


def group_by_category(numbers: set[int], index: NeedleIndex) -> dict[str, list[Needle]]:
    """Needles found, grouped by category (one finding per category and place)."""
    grouped: dict[str, list[Needle]] = defaultdict(list)
    for number in sorted(numbers):
        needle = index.needles[number]
        grouped[needle.category].append(needle)
    return grouped
