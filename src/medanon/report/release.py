"""The privacy release beside the images (``DST/medanon-release/``), when the run made one.

The release holds ``patients.csv`` and ``patients.parquet`` (one row per published
patient, one column per quasi-identifier) and ``privacy.json`` (its settings name the
quasi-identifiers; its metrics give the information loss per quasi-identifier). The
classes (each distinct combination of published values, with how many patients share it)
are computed here from the table itself, so that the report shows what was released
rather than what the engine believed: the class-size histogram and the partition
rectangles of two numeric quasi-identifiers come from them. A missing or unreadable
release is reported as such, never guessed.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medanon.errors import ConfigurationError

RELEASE_DIR = "medanon-release"
PATIENTS_CSV = "patients.csv"
PATIENTS_PARQUET = "patients.parquet"
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
    #: Each class's published values (in ``quasi_identifiers`` order) and its size.
    classes: tuple[tuple[tuple[str, ...], int], ...] = ()

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


def _rows(folder: Path, qis: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """The quasi-identifier values of each published patient: the CSV, else the Parquet."""
    table = folder / PATIENTS_CSV
    if table.is_file():
        with table.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                yield tuple(row.get(q) or "" for q in qis)
        return
    import pyarrow.parquet as pq

    read = pq.ParquetFile(folder / PATIENTS_PARQUET)
    present = [q for q in qis if q in read.schema_arrow.names]
    for batch in read.iter_batches(columns=present):
        columns = {q: batch.column(q).to_pylist() for q in present}
        for i in range(batch.num_rows):
            yield tuple("" if columns.get(q) is None or columns[q][i] is None
                        else str(columns[q][i]) for q in qis)


def read_release(dst: Path) -> ReleaseSummary:
    """The release under ``dst``, summarised; absent or unreadable says so."""
    folder = dst / RELEASE_DIR
    if not folder.is_dir():
        return ReleaseSummary(False, "this output has no privacy release (no "
                                     f"{RELEASE_DIR}/ folder): no class sizes to show")
    privacy = _privacy_json(folder)
    qis = _quasi_identifiers(privacy)
    name = PATIENTS_CSV if (folder / PATIENTS_CSV).is_file() else PATIENTS_PARQUET
    if not (folder / name).is_file() or not qis:
        return ReleaseSummary(True, f"the release has no {PATIENTS_CSV} (or "
                                    f"{PATIENTS_PARQUET}) or no {PRIVACY_JSON} naming its "
                                    "quasi-identifiers: class sizes not computed")
    counts: Counter[tuple[str, ...]] = Counter()
    rows = 0
    try:
        for values in _rows(folder, qis):
            counts[values] += 1
            rows += 1
            if rows >= MAX_ROWS:
                break
    except (OSError, UnicodeDecodeError, csv.Error, ValueError):
        # pyarrow's errors (ArrowInvalid, ArrowIOError) are ValueError and OSError.
        return ReleaseSummary(True, "the release table cannot be read")
    return ReleaseSummary(True, f"{rows} patients in {RELEASE_DIR}/{name}; class "
                                "sizes counted from the table itself", rows, qis,
                          tuple(sorted(counts.values())), _metrics(privacy),
                          tuple(counts.items()))


_NUMBER = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_RANGE = re.compile(rf"({_NUMBER})(?:-({_NUMBER}))?")


def numeric_range(published: str) -> tuple[float, float] | None:
    """``lo-hi`` (or a single number, ``lo == hi``) as two floats.

    None for anything else: a set, a hierarchy node, a date range ``lo/hi``, ``*``.
    """
    match = _RANGE.fullmatch(published.strip())
    if match is None:
        return None
    low = float(match.group(1))
    high = float(match.group(2)) if match.group(2) is not None else low
    return (low, high) if low <= high else None


@dataclass(frozen=True)
class Partition:
    """The classes as rectangles on the plane of two numeric quasi-identifiers."""

    x: str
    y: str
    #: (x low, x high, y low, y high, class size) per class drawn.
    boxes: tuple[tuple[float, float, float, float, int], ...]
    classes: int  # all classes of the release (more than drawn when capped)


def numeric_quasi_identifiers(summary: ReleaseSummary) -> list[str]:
    """The quasi-identifiers whose every published value is a number or a range."""
    return [name for i, name in enumerate(summary.quasi_identifiers)
            if summary.classes and all(numeric_range(values[i]) is not None
                                       for values, _ in summary.classes)]


def partition_axes(summary: ReleaseSummary, names: Sequence[str]) -> tuple[str, str]:
    """The two axes a user named for the partition rectangles, checked against the release.

    Raises
    ------
    ConfigurationError
        Not two distinct names, no release, a name that is not one of the release's
        quasi-identifiers (the message lists them), or one whose values are not numbers.
    """
    wanted = [name.strip() for name in names if name.strip()]
    if len(wanted) != 2 or wanted[0] == wanted[1]:
        raise ConfigurationError("partition axes: name two different quasi-identifiers, "
                                 "e.g. age,PatientWeight")
    if not summary.quasi_identifiers:
        raise ConfigurationError("partition axes: there is no privacy release with "
                                 f"quasi-identifiers to draw ({summary.note})")
    valid = ", ".join(summary.quasi_identifiers)
    unknown = [name for name in wanted if name not in summary.quasi_identifiers]
    if unknown:
        raise ConfigurationError(f"partition axes: {', '.join(unknown)} "
                                 f"{'is' if len(unknown) == 1 else 'are'} not a "
                                 f"quasi-identifier of the release; its quasi-identifiers: "
                                 f"{valid}")
    numeric = numeric_quasi_identifiers(summary)
    flat = [name for name in wanted if name not in numeric]
    if flat:
        raise ConfigurationError(f"partition axes: {', '.join(flat)} not released as numbers "
                                 "or ranges, so no rectangles to draw; numeric "
                                 f"quasi-identifiers: {', '.join(numeric) or 'none'}")
    return wanted[0], wanted[1]


def partition(summary: ReleaseSummary, axes: tuple[str, str] | None = None,
              limit: int = 2000) -> Partition | None:
    """The rectangles of ``axes``, by default the first two numeric quasi-identifiers.

    At most ``limit`` of them (the largest classes first); None when there are no two
    numeric quasi-identifiers to draw.
    """
    numeric = numeric_quasi_identifiers(summary)
    if axes is None:
        if len(numeric) < 2:
            return None
        axes = (numeric[0], numeric[1])
    if any(axis not in numeric for axis in axes):
        return None
    i, j = (summary.quasi_identifiers.index(axis) for axis in axes)
    boxes = []
    for values, size in sorted(summary.classes, key=lambda item: -item[1])[:limit]:
        x, y = numeric_range(values[i]), numeric_range(values[j])
        if x is not None and y is not None:  # always: both axes are numeric
            boxes.append((*x, *y, size))
    return Partition(axes[0], axes[1], tuple(boxes), len(summary.classes))
