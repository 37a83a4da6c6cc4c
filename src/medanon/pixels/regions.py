"""Region rules: the rectangles a known vendor layout always fills with text."""

from __future__ import annotations

from fnmatch import fnmatchcase

from pydicom.dataset import Dataset

from medanon.dicom.backend.peek import peek, peek_text
from medanon.pixels.settings import Box, RegionRule


def _int(dataset: Dataset, keyword: str) -> int | None:
    value = peek(dataset, keyword)
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def matches(rule: RegionRule, dataset: Dataset) -> bool:
    """True when the dataset's header fits the rule (globs match case-insensitively)."""
    fields = ((rule.modality, "Modality"), (rule.manufacturer, "Manufacturer"),
              (rule.model, "ManufacturerModelName"))
    for pattern, keyword in fields:
        if not fnmatchcase(peek_text(dataset, keyword).upper(), pattern.upper()):
            return False
    if rule.rows is not None and _int(dataset, "Rows") != rule.rows:
        return False
    return rule.columns is None or _int(dataset, "Columns") == rule.columns


def region_boxes(dataset: Dataset, rules: tuple[RegionRule, ...]) -> tuple[Box, ...]:
    """Every box of every rule the dataset matches, in rule order."""
    return tuple(box for rule in rules if matches(rule, dataset) for box in rule.boxes)
