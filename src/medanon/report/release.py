"""The privacy release beside the images (``DST/medanon-release/``), when the run made one.

The release holds ``patients.csv`` (one row per published patient, one column per
quasi-identifier) and ``privacy.json`` (its settings name the quasi-identifiers; its
metrics give the information loss per quasi-identifier). The class-size histogram (how
many patients share each combination) is computed here from the table itself, with the
standard library, so that the report shows what was released rather than what the
engine believed. A missing or unreadable
release is reported as such, never guessed.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RELEASE_DIR = "medanon-release"
PATIENTS_CSV = "patients.csv"
PRIVACY_JSON = "privacy.json"
MAX_ROWS = 5_000_000


@dataclass(frozen=True)
class ReleaseSummary:
    """What the report shows of a release: its size, its quasi-identifiers, class sizes."""

    present: bool
    note: str
    rows: int = 0
    quasi_identifiers: tuple[str, ...] = ()
    class_sizes: tuple[int, ...] = ()
    metrics: tuple[tuple[str, str], ...] = ()

    @property
    def smallest_class(self) -> int:
        """The k the released table reaches (0 when unknown)."""
        return min(self.class_sizes) if self.class_sizes else 0


def _privacy_json(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / PRIVACY_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _quasi_identifiers(privacy: dict[str, Any]) -> tuple[str, ...]:
    settings = privacy.get("settings", {})
    found = settings.get("quasi_identifiers") if isinstance(settings, dict) else None
    if isinstance(found, list) and all(isinstance(q, str) for q in found):
        return tuple(found)
    return ()


def _metrics(privacy: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Flat (name, value) pairs of the release's metrics, for a small table."""
    out: list[tuple[str, str]] = []
    metrics = privacy.get("metrics", {})
    if not isinstance(metrics, dict):
        return ()
    for name, value in sorted(metrics.items()):
        if isinstance(value, dict):
            out += [(f"{name} {k}", _number(v)) for k, v in sorted(value.items())]
        else:
            out.append((name, _number(value)))
    return tuple(out[:200])


def _number(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def read_release(dst: Path) -> ReleaseSummary:
    """The release under ``dst``, summarised; absent or unreadable says so."""
    folder = dst / RELEASE_DIR
    if not folder.is_dir():
        return ReleaseSummary(False, "this output has no privacy release (no "
                                     f"{RELEASE_DIR}/ folder): no class sizes to show")
    privacy = _privacy_json(folder)
    qis = _quasi_identifiers(privacy)
    table = folder / PATIENTS_CSV
    if not table.is_file() or not qis:
        return ReleaseSummary(True, f"the release has no {PATIENTS_CSV} or no "
                                    f"{PRIVACY_JSON} naming its quasi-identifiers: class "
                                    "sizes not computed")
    counts: Counter[tuple[str, ...]] = Counter()
    rows = 0
    try:
        with table.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                counts[tuple(row.get(q, "") for q in qis)] += 1
                rows += 1
                if rows >= MAX_ROWS:
                    break
    except (OSError, UnicodeDecodeError, csv.Error):
        return ReleaseSummary(True, "the release table cannot be read")
    return ReleaseSummary(True, f"{rows} patients in {RELEASE_DIR}/{PATIENTS_CSV}; class "
                                "sizes counted from the table itself", rows, qis,
                          tuple(sorted(counts.values())), _metrics(privacy))
