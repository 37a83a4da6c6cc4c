"""The safety net: a file's own identifying values, searched for after the rules applied.

Table E.1-1 lists the attributes known to identify, but vendors quote the patient's name
in comments and put institution codes in sequences the table never names. So before
the rules run, the values the rules remove or transform (names and their components,
IDs, issuers, accession numbers, addresses, institution, station and physician names,
the birth date in its usual spellings) are collected; after the rules, every surviving
text element is searched for them with one compiled pattern per file and cleaned as the
``clean`` action cleans. Unlisted free text is also cleaned of dates and long numbers.

Only what must be decoded is decoded: raw ASCII values are first checked against the
values' byte forms, so an untouched element stays byte for byte.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from medanon.dicom.backend.sequences import decode_sequence
from medanon.dicom.clean import _GENERIC, IDENTIFYING_KEYWORDS, REDACTED
from medanon.dicom.dummies import dummy_value
from medanon.dicom.private import private_rules
from medanon.profile.model import Action, Ruleset
from medanon.profile.structural import structural_tags
from medanon.profile.table import entry_for_tag

# What the rules do to a value that makes it worth looking for elsewhere.
HIDING_ACTIONS = frozenset({Action.REMOVE, Action.EMPTY, Action.DUMMY, Action.PSEUDONYM,
                             Action.HASH, Action.CLEAN})
_VALUE_VRS = frozenset({"PN", "LO", "SH", "ST", "LT", "UT", "UC"})
#: The VRs the net searches after the rules.
SEARCHED_VRS = frozenset({"SH", "LO", "ST", "LT", "UT", "UC", "UN"})
#: The VRs of elements whose values the net collects (the birth date is a DA).
COLLECTED_VRS = _VALUE_VRS | {"DA"}
_LONG_TEXT_VRS = frozenset({"LT", "ST", "UT"})
_MULTI_VRS = frozenset({"LO", "SH", "UC"})
# Keywords of the identifying kinds the net collects (besides IDENTIFYING_KEYWORDS).
_KIND = re.compile(r"(ID|IDs|Issuer\w*|Name|Names|Address|TelephoneNumbers|Number|Locator)$")
_BIRTH_DATE = 0x00100030
_MIN_TERM = 3
_GENERIC_BYTES = re.compile(_GENERIC.pattern.encode("ascii"))


@dataclass(frozen=True)
class SafetyNet:
    """One file's identifying values, ready for the search.

    Finding that a header holds none of them, the common case, must be cheap: each level
    of the output is searched once, as one lower-cased haystack, for the lower-cased
    terms (a substring test per term, in C). The pattern that cleans, with its word
    boundaries, is compiled only for a file where a term was found: compiling an
    alternation of some forty values costs more than the whole search.
    """

    terms: frozenset[str]  # the values themselves, with accent-folded copies
    folded: tuple[str, ...]  # the terms case-folded, for text already decoded
    encoded: tuple[bytes, ...]  # the terms' byte forms, lower-cased, for raw values

    @classmethod
    def of(cls, values: Iterable[str]) -> SafetyNet:
        """The net over ``values`` (plus ASCII-folded copies of accented ones)."""
        return _build(frozenset(values))

    def in_bytes(self, haystack: bytes) -> bool:
        """Whether lower-cased ``haystack`` may hold a term (never False when it does)."""
        return any(term in haystack for term in self.encoded)

    def in_text(self, text: str) -> bool:
        """Whether ``text`` may hold a term (never False when it does)."""
        folded = text.casefold()
        return any(term in folded for term in self.folded)

    @property
    def pattern(self) -> re.Pattern[str]:
        """The terms as whole words, any case, longest first: what cleaning replaces."""
        return _pattern(self.terms)


@lru_cache(maxsize=256)
def _build(values: frozenset[str]) -> SafetyNet:
    """Cached: the files of one study carry the same values."""
    terms = {v.strip() for v in values if len(v.strip()) >= _MIN_TERM}
    terms |= {_fold(t) for t in terms if not t.isascii()}
    encoded: set[bytes] = set()
    for term in terms:
        for variant in (term, term.upper(), term.lower()):
            for codec in ("utf-8", "latin-1"):
                with contextlib.suppress(UnicodeEncodeError):
                    encoded.add(variant.encode(codec).lower())  # lower() folds ASCII only
    return SafetyNet(frozenset(terms), tuple(sorted({t.casefold() for t in terms})),
                     tuple(sorted(encoded)))


@lru_cache(maxsize=64)
def _pattern(terms: frozenset[str]) -> re.Pattern[str]:
    ordered = sorted(terms, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in ordered) + r")(?!\w)",
                      re.IGNORECASE)


def _fold(text: str) -> str:
    """``text`` without accents: "Müller" is also written "Muller"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def collect_values(dataset: Dataset, ruleset: Ruleset) -> frozenset[str]:
    """The identifying values of ``dataset`` at every depth, private elements included.

    The transform collects the same values during its own walk (see
    :func:`element_values` and :func:`collect_sequence`); this walk is for callers that
    have no transform to ride on, such as a scan of the whole collection.
    """
    found: list[str] = []
    _collect(dataset, ruleset, ruleset.exact_tags_with(HIDING_ACTIONS), found)
    return frozenset(found)


def collect_sequence(dataset: Dataset, raw: DataElement | RawDataElement, ruleset: Ruleset,
                     found: list[str]) -> None:
    """Add the identifying values inside the items of sequence ``raw`` to ``found``."""
    hidden = ruleset.exact_tags_with(HIDING_ACTIONS)
    decoded = decode_sequence(raw, dataset) if isinstance(raw, RawDataElement) else None
    for item in (decoded or dataset[raw.tag]).value or ():
        _collect(item, ruleset, hidden, found)


def _collect(dataset: Dataset, ruleset: Ruleset, hidden: frozenset[int], found: list[str]
             ) -> None:
    private = None
    for key, raw in dataset.items():
        tag = int(key)  # a plain int: pydicom's tag type compares in Python
        vr = raw.VR
        if vr == "SQ" or (vr is None and _vr_of(raw) == "SQ"):
            collect_sequence(dataset, raw, ruleset, found)  # every sequence, whatever its rule
        elif tag in hidden:
            # A public attribute whose rule hides its value. Repeating-group rules never
            # name a person or an identifier: the exact rules are all there is to look at.
            found.extend(element_values(dataset, raw, tag))
        elif tag >> 16 & 1 and tag & 0xFFFF and (vr or _vr_of(raw)) == "PN":
            if private is None:
                private = private_rules(dataset, ruleset)
            rule = private.get(tag)
            if rule is None or rule.action in HIDING_ACTIONS:
                found.extend(element_values(dataset, raw, tag))


def element_values(dataset: Dataset, raw: DataElement | RawDataElement, tag: int
                   ) -> Sequence[str]:
    """The values of one element that the rules hide, when it is of an identifying kind.

    Person names (with each name component), identifiers, issuers, addresses, phone
    numbers and the like; the birth date in the spellings people write; nothing for any
    other element (a private element counts only when it holds a person name).
    """
    vr = raw.VR or _vr_of(raw)
    if not _collects(tag, vr):
        return ()
    data = raw.value
    if isinstance(raw, RawDataElement) and isinstance(data, bytes) and data.isascii():
        # Read off the raw bytes (``dataset[tag]`` would decode the element and cost the
        # transform its fast path); the files of a patient repeat the same bytes.
        return _ascii_values(tag == _BIRTH_DATE, vr == "PN", data)
    value = dataset[raw.tag].value
    items = list(value) if isinstance(value, (MultiValue, list, tuple)) else [value]
    return _spellings(tag == _BIRTH_DATE, vr == "PN",
                      [str(v) for v in items if v is not None and not isinstance(v, bytes)])


@lru_cache(maxsize=4096)
def _ascii_values(birth_date: bool, person_name: bool, data: bytes) -> tuple[str, ...]:
    return _spellings(birth_date, person_name,
                      [part.rstrip("\x00 ") for part in data.decode("ascii").split("\\")])


def _spellings(birth_date: bool, person_name: bool, texts: list[str]) -> tuple[str, ...]:
    """Each value as it is searched for: a date in every spelling, a name and its parts."""
    found: list[str] = []
    for item in texts:
        text = item.strip()
        if birth_date:
            found.extend(_date_spellings(text))
        elif person_name:
            found.append(text)
            found.extend(p.strip() for p in re.split(r"[\^=]", text))
        else:
            found.append(text)
    return tuple(found)


@lru_cache(maxsize=4096)
def _collects(tag: int, vr: str) -> bool:
    """Whether a hidden element of ``tag`` and ``vr`` holds values worth collecting."""
    if tag == _BIRTH_DATE:
        return vr == "DA"
    return vr in _VALUE_VRS and (vr == "PN" or not (tag >> 16 & 1) and _identifying_kind(tag))


@lru_cache(maxsize=1024)
def _identifying_kind(tag: int) -> bool:
    keyword = keyword_for_tag(tag) or ""
    return keyword in IDENTIFYING_KEYWORDS or bool(_KIND.search(keyword))


def _date_spellings(text: str) -> list[str]:
    if not re.fullmatch(r"\d{8}", text):
        return []
    y, m, d = text[:4], text[4:6], text[6:]
    return [text, f"{y}-{m}-{d}", f"{d}/{m}/{y}", f"{d}.{m}.{y}", f"{m}/{d}/{y}"]


def _vr_of(element: DataElement | RawDataElement) -> str:
    if element.VR is not None:
        return str(element.VR)
    try:
        return str(dictionary_VR(element.tag))
    except KeyError:
        return "UN"


@cache
def _structural() -> frozenset[int]:
    return frozenset(structural_tags())


@lru_cache(maxsize=4096)
def _unlisted(tag: int) -> bool:
    """Neither in Table E.1-1 nor on the structural list (private tags count as listed)."""
    return not tag >> 16 & 1 and entry_for_tag(tag) is None and tag not in _structural()


def apply_net(dataset: Dataset, texts: Iterable[tuple[int, DataElement | RawDataElement]],
              net: SafetyNet) -> list[str]:
    """Clean the text elements ``texts`` of ``dataset`` (an output level, changed in place).

    The transform lists the text elements of each level (tag and element) as it builds it,
    so the net looks only at those instead of walking every header again. Raw plain-ASCII values,
    most of a header, are searched together (joined by NUL bytes, which no term holds);
    only when the level holds a term is each value looked at. Returns one label per hit.
    """
    plain: list[tuple[int, str, bool, bytes]] = []  # raw ASCII: searched together
    looked_at: list[tuple[int, str, bool]] = []  # each searched on its own
    for tag, raw in texts:
        vr = raw.VR or _vr_of(raw)
        if vr not in SEARCHED_VRS:
            continue
        unlisted = _unlisted(tag)
        if isinstance(raw, RawDataElement):
            data = raw.value
            if not isinstance(data, bytes) or not data:
                continue
            if data.isascii():
                plain.append((tag, vr, unlisted, data))
                continue
        looked_at.append((tag, vr, unlisted))
    if plain:
        looked_at.extend(_plain_hits(plain, net))
    hits: list[str] = []
    for tag, vr, unlisted in sorted(looked_at):
        new = _cleaned(dataset, tag, vr, net, unlisted)
        if new is not None:
            dataset[tag] = new
            hits.append(f"({tag >> 16:04X},{tag & 0xFFFF:04X}) {keyword_for_tag(tag) or 'private'}")
    return hits


def _plain_hits(plain: list[tuple[int, str, bool, bytes]], net: SafetyNet
                ) -> list[tuple[int, str, bool]]:
    """The raw ASCII values that hold a term, or (unlisted ones) a date or long number.

    Searched together first, joined by NUL bytes (which no term, date or number can
    span): in most headers neither search finds anything, and no value is looked at.
    """
    terms = bool(net.encoded) and net.in_bytes(b"\0".join(p[3] for p in plain).lower())
    unlisted = [p[3] for p in plain if p[2]]
    generic = bool(unlisted) and _GENERIC_BYTES.search(b"\0".join(unlisted)) is not None
    if not terms and not generic:
        return []
    return [(tag, vr, free) for tag, vr, free, data in plain
            if (terms and net.in_bytes(data.lower()))
            or (generic and free and _GENERIC_BYTES.search(data))]


def _cleaned(dataset: Dataset, tag: int, vr: str, net: SafetyNet, unlisted: bool
             ) -> DataElement | None:
    element = dataset[tag]
    value = element.value
    if vr == "UN":
        if not isinstance(value, bytes):
            return None
        try:
            text = value.decode("utf-8").rstrip("\x00 ")
        except UnicodeDecodeError:
            return None  # binary, not text: nothing to search
        if not text.isprintable():
            return None
        new_text = _scrub(text, "LO", net, unlisted)
        if new_text == text:
            return None
        data = new_text.encode("utf-8")
        return DataElement(tag, "UN", data + b" " * (len(data) % 2))
    values = list(value) if isinstance(value, (MultiValue, list, tuple)) else [value]
    if any(v is None for v in values):
        return None
    texts = [str(v) for v in values]
    free_text = unlisted and (vr in _LONG_TEXT_VRS or sum(map(len, texts)) > 16)
    new = [_scrub(t, vr, net, free_text) for t in texts]
    if new == texts:
        return None
    return DataElement(tag, vr, new if vr in _MULTI_VRS and len(new) > 1 else new[0])


def _scrub(text: str, vr: str, net: SafetyNet, free_text: bool) -> str:
    """``text`` as ``clean`` leaves it; a value that is only an identifier becomes a dummy."""
    if net.folded and net.in_text(text):
        pattern = net.pattern
        if pattern.search(text):
            if pattern.fullmatch(text.strip()):
                return str(dummy_value(vr))
            return _GENERIC.sub(REDACTED, pattern.sub(REDACTED, text))
    return _GENERIC.sub(REDACTED, text) if free_text else text
