"""What the verifier reports: one finding per place, category and check.

A finding names the output file by its path relative to OUT (or an input by its keyed
hash) and the element by its tag path, never by the value found: values are kept apart
and written only when the user asks for them (``--show-values``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CATEGORIES = ("name", "id", "date", "address", "phone", "institution", "device", "physician",
              "uid", "private", "overlay", "burned-in", "structure", "validity", "missing")


@dataclass(frozen=True)
class Finding:
    """One problem in one place."""

    file: str
    location: str
    category: str
    check: str
    values: tuple[str, ...] = field(default=(), compare=False)

    def to_dict(self, *, show_values: bool) -> dict[str, Any]:
        """The JSON form; the values only when asked for."""
        data: dict[str, Any] = {"file": self.file, "location": self.location,
                                "category": self.category, "check": self.check}
        if show_values and self.values:
            data["values"] = list(self.values)
        return data


def tag_text(tag: int) -> str:
    """``(0040,0275)``."""
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def sort_key(finding: Finding) -> tuple[int, str, str, str]:
    """Leaks first, then structure, validity and accounting; then by file and place."""
    rank = CATEGORIES.index(finding.category) if finding.category in CATEGORIES else 99
    return rank, finding.file, finding.location, finding.check
