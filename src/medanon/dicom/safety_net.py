"""The safety net: a file's own identifying values, searched for after the rules applied.

Table E.1-1 lists the attributes known to identify, but vendors quote the patient's name
in comments and put institution codes in sequences the table never names. So before
the rules run, the values the rules remove or transform (names and their components,
IDs, issuers, accession numbers, addresses, institution, station and physician names,
the birth date in its usual spellings) are collected; after the rules, every surviving
text element is searched for them with one compiled pattern per file and cleaned as the
``clean`` action cleans. Unlisted free text is also cleaned of dates and long numbers.

Only what must be decoded is decoded: a raw ASCII value is first checked against the
pattern compiled over the encoded values, so an untouched element stays byte for byte.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from medanon.dicom.clean import _GENERIC, IDENTIFYING_KEYWORDS, REDACTED
from medanon.dicom.dummies import dummy_value
from medanon.dicom.private import private_rules
from medanon.profile.model import Action, Ruleset
from medanon.profile.structural import structural_tags
from medanon.profile.table import entry_for_tag

# What the rules do to a value that makes it worth looking for elsewhere.
_HIDING_ACTIONS = frozenset({Action.REMOVE, Action.EMPTY, Action.DUMMY, Action.PSEUDONYM,
                             Action.HASH, Action.CLEAN})
_VALUE_VRS = frozenset({"PN", "LO", "SH", "ST", "LT", "UT", "UC"})
_SEARCHED_VRS = frozenset({"SH", "LO", "ST", "LT", "UT", "UC", "UN"})
_COLLECTED_VRS = _VALUE_VRS | {"SQ", "DA"}
_LONG_TEXT_VRS = frozenset({"LT", "ST", "UT"})
_MULTI_VRS = frozenset({"LO", "SH", "UC"})
# Keywords of the identifying kinds the net collects (besides IDENTIFYING_KEYWORDS).
_KIND = re.compile(r"(ID|IDs|Issuer\w*|Name|Names|Address|TelephoneNumbers|Number|Locator)$")
_BIRTH_DATE = 0x00100030
_MIN_TERM = 3
_GENERIC_BYTES = re.compile(_GENERIC.pattern.encode("ascii"))


@dataclass(frozen=True)
class SafetyNet:
    """One file's identifying values compiled for the search (one alternation each)."""

    text: re.Pattern[str] | None
    encoded: re.Pattern[bytes] | None

    @classmethod
    def of(cls, values: Iterable[str]) -> SafetyNet:
        """The net over ``values`` (plus ASCII-folded copies), longest alternatives first."""
        return _build(frozenset(values))


@lru_cache(maxsize=64)
def _build(values: frozenset[str]) -> SafetyNet:
    """Cached: the files of one study carry the same values, and compiling is the cost."""
    terms = {v.strip() for v in values if len(v.strip()) >= _MIN_TERM}
    terms |= {_fold(t) for t in terms if not t.isascii()}
    if not terms:
        return SafetyNet(None, None)
    ordered = sorted(terms, key=len, reverse=True)
    text = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in ordered) + r")(?!\w)",
                      re.IGNORECASE)
    encoded: set[bytes] = set()
    for term in ordered:
        if term.isascii():
            encoded.add(term.encode("ascii"))  # the bytes pattern ignores ASCII case itself
            continue
        for variant in (term, term.upper(), term.lower()):
            for codec in ("utf-8", "latin-1"):
                with contextlib.suppress(UnicodeEncodeError):
                    encoded.add(variant.encode(codec))
    alternatives = b"|".join(re.escape(e) for e in sorted(encoded, key=len, reverse=True))
    return SafetyNet(text, re.compile(alternatives, re.IGNORECASE))


def _fold(text: str) -> str:
    """``text`` without accents: "Müller" is also written "Muller"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def collect_values(dataset: Dataset, ruleset: Ruleset) -> frozenset[str]:
    """The identifying values of ``dataset`` at every depth, private elements included."""
    return frozenset(_collect(dataset, ruleset))


def _collect(dataset: Dataset, ruleset: Ruleset) -> Iterator[str]:
    private = None
    for key, raw in dataset.items():
        tag = int(key)  # a plain int: pydicom's tag type compares in Python
        vr = raw.VR or _vr_of(raw)
        if vr not in _COLLECTED_VRS or not tag & 0xFFFF:
            continue
        if vr == "SQ":
            for item in dataset[tag].value or ():
                yield from _collect(item, ruleset)
            continue
        if vr not in _VALUE_VRS and tag != _BIRTH_DATE:
            continue
        if tag >> 16 & 1:
            if private is None:
                private = private_rules(dataset, ruleset)
            rule = private.get(tag)
            if vr != "PN" or (rule is not None and rule.action not in _HIDING_ACTIONS):
                continue
        else:
            rule = ruleset.rule_for(tag)
            if rule is None or rule.action not in _HIDING_ACTIONS:
                continue
            if vr != "PN" and tag != _BIRTH_DATE and not _identifying_kind(tag):
                continue
        for item in _stored_values(dataset, raw):
            if item is None or isinstance(item, bytes):
                continue
            text = str(item).strip()
            if tag == _BIRTH_DATE:
                yield from _date_spellings(text)
            elif vr == "PN":
                yield text
                yield from (p.strip() for p in re.split(r"[\^=]", text))
            else:
                yield text


def _stored_values(dataset: Dataset, raw: DataElement | RawDataElement) -> list[object]:
    """The values of an element, plain ASCII read off the raw bytes.

    ``dataset[tag]`` would replace a raw element with a decoded one and cost the
    transform its fast path for it.
    """
    data = raw.value
    if isinstance(raw, RawDataElement) and isinstance(data, bytes) and data.isascii():
        return [part.rstrip("\x00 ") for part in data.decode("ascii").split("\\")]
    value = dataset[raw.tag].value
    return list(value) if isinstance(value, (MultiValue, list, tuple)) else [value]


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


def apply_net(dataset: Dataset, net: SafetyNet) -> list[str]:
    """Clean ``dataset`` (an output dataset, changed in place); return a label per hit."""
    hits: list[str] = []
    for key, raw in list(dataset.items()):
        tag = int(key)
        vr = raw.VR or _vr_of(raw)
        if vr == "SQ":
            for item in dataset[tag].value or ():
                hits.extend(apply_net(item, net))
            continue
        if vr not in _SEARCHED_VRS:
            continue
        unlisted = _unlisted(tag)
        if isinstance(raw, RawDataElement):
            data = raw.value
            if not isinstance(data, bytes) or not data:
                continue
            if data.isascii() and not (net.encoded is not None and net.encoded.search(data)) \
                    and not (unlisted and _GENERIC_BYTES.search(data)):
                continue  # nothing to find: stays raw, byte for byte
        new = _cleaned(dataset, tag, vr, net, unlisted)
        if new is not None:
            dataset[tag] = new
            hits.append(f"({tag >> 16:04X},{tag & 0xFFFF:04X}) {keyword_for_tag(tag) or 'private'}")
    return hits


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
    if net.text is not None and net.text.search(text):
        if net.text.fullmatch(text.strip()):
            return str(dummy_value(vr))
        return _GENERIC.sub(REDACTED, net.text.sub(REDACTED, text))
    return _GENERIC.sub(REDACTED, text) if free_text else text
