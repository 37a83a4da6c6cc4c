"""The census for the second reviewer: every attribute, its distinct values and counts.

Workers return each file's (attribute path, keyword, VR, value) entries; the coordinator
folds them into a :class:`Census` that keeps, per attribute, exact counts of files and
occurrences, the number of distinct values (exactly up to a cap, then "more than"), and
the most frequent values up to a cap, so that a million files make a report of bounded
size. Values that look like names, IDs, dates or addresses are flagged for the reviewer.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from medanon.verify.elements import Place

#: Values kept per attribute for display; distinct values counted exactly up to this many.
VALUES_SHOWN = 25
DISTINCT_COUNTED = 10_000
_SKIP_VRS = frozenset({"SQ", "OB", "OW", "OD", "OF", "OL", "OV", "UN", "US", "SS", "UL",
                       "SL", "FL", "FD", "SV", "UV", "AT"})
_ITEM = re.compile(r"\[\d+\]")
_NAME = re.compile(r"^[A-Za-zÀ-ÿ'\-]{2,}(?:[ ^,]+[A-Za-zÀ-ÿ'\-]{2,})+$")
_ID = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9\-]{5,}$|^\d{6,}$")
_DATE = re.compile(r"(?<!\d)(?:19|20)\d\d[-/.]?(?:0[1-9]|1[0-2])[-/.]?(?:0[1-9]|[12]\d|3[01])"
                   r"(?!\d)|\b\d{1,2}[./]\d{1,2}[./](?:19|20)\d\d\b")
_ADDRESS = re.compile(r"\d+\s*,?\s*[A-Za-zÀ-ÿ]+.*\b(?:street|st|road|rd|avenue|ave|lane|"
                      r"rue|strasse|straße|weg|platz|way|drive|close|gasse)\b",
                      re.IGNORECASE)
_FREE_TEXT = frozenset({"LO", "SH", "ST", "LT", "UT", "UC"})
_PSEUDONYM = re.compile(r"^[A-Z2-7]{8,}\^*$")


def census_entry(place: Place) -> tuple[str, str, str, str] | None:
    """One element's (attribute path, keyword, VR, value) entry, item numbers dropped.

    None for what the census does not list: sequences, numbers and binary values.
    """
    vr = place.vr
    if vr in _SKIP_VRS or place.tag.is_private and vr == "UN":
        return None
    text = "\\".join(place.texts)
    if len(text) > 200:
        text = text[:200] + "…"
    path = _ITEM.sub("[]", place.path) if "[" in place.path else place.path
    return path, place.keyword or "private", vr, text


def flags(vr: str, value: str) -> list[str]:
    """Why a value deserves the reviewer's eye: name, id, date, address, free text."""
    if not value or _PSEUDONYM.match(value):
        return []  # empty, or a keyed pseudonym (base 32, upper case)
    found = []
    if vr == "PN" and not all(_PSEUDONYM.match(g) for g in value.split("=") if g) or \
            vr != "PN" and vr in _FREE_TEXT and _NAME.match(value):
        found.append("name")
    if vr not in ("UI", "DA", "DT", "TM", "DS", "IS") and _ID.match(value):
        found.append("id")
    if vr not in ("DA", "DT", "UI") and _DATE.search(value):
        found.append("date")
    if _ADDRESS.search(value):
        found.append("address")
    return found


@dataclass
class AttributeCensus:
    """One attribute over the whole output."""

    path: str
    keyword: str
    vr: str
    files: int = 0
    occurrences: int = 0
    values: Counter[str] = field(default_factory=Counter)
    overflow: bool = False  # more than DISTINCT_COUNTED distinct values

    def add(self, value: str) -> None:
        """Count one occurrence of ``value``."""
        self.occurrences += 1
        if value in self.values or len(self.values) < DISTINCT_COUNTED:
            self.values[value] += 1
        else:
            self.overflow = True


@dataclass
class Census:
    """Every attribute of the output, folded file by file."""

    attributes: dict[str, AttributeCensus] = field(default_factory=dict)

    def add_file(self, entries: list[tuple[str, str, str, str]]) -> None:
        """Fold one file's entries in."""
        seen: set[str] = set()
        for path, keyword, vr, value in entries:
            attribute = self.attributes.get(path)
            if attribute is None:
                attribute = self.attributes[path] = AttributeCensus(path, keyword, vr)
            if path not in seen:
                attribute.files += 1
                seen.add(path)
            attribute.add(value)

    def to_rows(self) -> list[dict[str, Any]]:
        """The census as JSON-ready rows: capped values, totals, flags."""
        rows = []
        for attribute in sorted(self.attributes.values(), key=lambda a: a.path):
            shown = attribute.values.most_common(VALUES_SHOWN)
            values = [{"value": v, "count": c, "flags": flags(attribute.vr, v)}
                      for v, c in shown]
            flagged = sorted({f for v in attribute.values for f in flags(attribute.vr, v)})
            rows.append({
                "path": attribute.path, "keyword": attribute.keyword, "vr": attribute.vr,
                "files": attribute.files, "occurrences": attribute.occurrences,
                "distinct": len(attribute.values), "distinct_more": attribute.overflow,
                "free_text": attribute.vr in _FREE_TEXT, "flags": flagged,
                "values": values, "values_hidden": max(0, len(attribute.values) - len(shown)),
            })
        return rows
