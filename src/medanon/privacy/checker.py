"""An independent check of a published table: re-derive k, l and t from the values alone.

This module shares no code with the engine on purpose. It does not trust class ids,
encodings or hierarchies the engine built: it reads the published quasi-identifier
text, groups identical rows into classes, and measures every class against the
sensitive column with its own formulas (the hierarchical distance is computed as a
flow over tree edges, not with the engine's node-by-node recursion). The CLI runs it
on every output and refuses to write a table that fails.

Suppressed rows are those flagged in the ``suppressed`` column when present, else
the rows whose quasi-identifiers are all ``*``; they belong to no class, but their
sensitive values count in the table's distribution that t-closeness compares with.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from medanon.errors import ConfigurationError, InputError

TOLERANCE = 1e-9
_NUMERIC = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")


@dataclass(frozen=True)
class CheckReport:
    """What a published table actually guarantees, and which requirements fail."""

    records: int
    suppressed: int
    classes: int
    k: int  # size of the smallest class (0 without classes)
    l_distinct: int | None = None  # fewest distinct sensitive values in a class
    l_entropy: float | None = None  # exp(smallest class entropy)
    recursive_ratio: float | None = None  # largest r1 / (r_l + ... + r_m) over classes
    t: float | None = None  # largest distance to the table's distribution
    violations: tuple[str, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        """True when every requested model holds."""
        return not self.violations

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {"records": self.records, "suppressed": self.suppressed,
                "classes": self.classes, "k": self.k, "l_distinct": self.l_distinct,
                "l_entropy": self.l_entropy, "recursive_ratio": self.recursive_ratio,
                "t": self.t, "passed": self.passed, "violations": list(self.violations)}


def check(table: Any, qi: Sequence[str], sensitive: str | None = None, *,
          k: int | None = None, l: float | None = None,  # noqa: E741
          l_model: str = "distinct", c: float | None = None, t: float | None = None,
          t_distance: str = "auto",
          sensitive_hierarchy: str | Path | Mapping[str, Sequence[str]] | None = None,
          suppressed_column: str = "suppressed") -> CheckReport:
    """Re-derive k, l and t of a published ``table`` and compare with the requirements.

    Parameters
    ----------
    table
        A pandas DataFrame, pyarrow Table, numpy structured array or a mapping of
        column name to values, holding the published quasi-identifiers.
    qi, sensitive
        Quasi-identifier columns and the sensitive column.
    k, l, l_model, c, t, t_distance
        The requirements (any may be omitted); ``t_distance`` as for the engine:
        ``auto`` is hierarchical with ``sensitive_hierarchy``, ordered for numeric
        sensitive values, else equal.
    sensitive_hierarchy
        For the hierarchical distance: an ARX-format CSV file, or a mapping of each
        sensitive value to its ancestors (leaf first, root last).
    suppressed_column
        Column flagging suppressed rows; without it, rows whose quasi-identifiers are
        all ``*`` are the suppressed ones.

    Returns
    -------
    CheckReport
        Achieved values and the list of violated requirements.
    """
    columns = _columns(table)
    for name in [*qi, *([sensitive] if sensitive else [])]:
        if name not in columns:
            raise InputError(f"column {name!r} is not in the published table")
    n = len(next(iter(columns.values()))) if columns else 0
    coded = [_dictionary(columns[name]) for name in qi]
    suppressed = _suppressed_rows(columns, coded, suppressed_column, n)
    published = np.flatnonzero(~suppressed)
    class_of = _classes([codes for codes, _ in coded], published)
    sizes = np.bincount(class_of) if len(class_of) else np.zeros(0, dtype=np.int64)
    smallest = int(sizes.min()) if len(sizes) else 0
    violations: list[str] = []
    leaking = _suppressed_with_values(coded, suppressed)
    if leaking:
        violations.append(f"{leaking} suppressed rows still show quasi-identifier values")
    if k is not None and len(sizes) and smallest < k:
        violations.append(f"k: the smallest class has {smallest} records, fewer than {k}")
    report = CheckReport(n, int(suppressed.sum()), len(sizes), smallest)
    if sensitive is None or (l is None and t is None):
        return _with(report, violations=tuple(violations))
    value_of, labels = _dictionary(columns[sensitive])
    known = value_of >= 0
    pairs = _class_value_counts(class_of, value_of[published])
    extra: dict[str, Any] = {}
    if l is not None:
        extra.update(_diversity(pairs, sizes, l, l_model, c, violations))
    if t is not None:
        distance = _distance(t_distance, sensitive_hierarchy, labels)
        reference = np.bincount(value_of[known], minlength=len(labels)) / max(known.sum(), 1)
        worst = _closeness(pairs, sizes, reference, distance, labels, sensitive_hierarchy)
        extra["t"] = worst
        if worst > t + TOLERANCE:
            violations.append(f"t: a class is at distance {worst:.4f} from the table, above {t}")
    return _with(report, violations=tuple(violations), **extra)


def _with(report: CheckReport, **changes: Any) -> CheckReport:
    values = report.__dict__ | changes
    return CheckReport(**values)


def _columns(table: Any) -> dict[str, pa.ChunkedArray]:
    """Columns of any supported table kind as Arrow arrays."""
    if isinstance(table, pa.Table):
        return {name: table.column(name) for name in table.column_names}
    if isinstance(table, np.ndarray) and table.dtype.names:
        return {name: pa.chunked_array([pa.array(table[name].tolist())])
                for name in table.dtype.names}
    if isinstance(table, Mapping):
        return {str(name): pa.chunked_array([pa.array(list(values))])
                for name, values in table.items()}
    if hasattr(table, "columns") and hasattr(table, "__getitem__"):
        converted = pa.Table.from_pandas(table, preserve_index=False)
        return {name: converted.column(name) for name in converted.column_names}
    raise InputError("the checker needs a DataFrame, an Arrow table, a structured array "
                     "or a mapping of columns")


def _dictionary(column: pa.ChunkedArray) -> tuple[npt.NDArray[np.int64], list[str]]:
    """Codes of the distinct texts of a column (-1 for null or NaN) and the texts."""
    text = column.cast(pa.string()) if column.type != pa.string() else column
    if pa.types.is_floating(column.type):
        nan = pc.is_nan(column).fill_null(False)
        text = pc.if_else(nan, pa.scalar(None, pa.string()), text)
    encoded = pc.dictionary_encode(text).combine_chunks()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, [str(v) for v in encoded.dictionary.to_pylist()]


def _suppressed_rows(columns: Mapping[str, pa.ChunkedArray],
                     coded: list[tuple[npt.NDArray[np.int64], list[str]]], flag: str, n: int
                     ) -> npt.NDArray[np.bool_]:
    if flag in columns:
        codes, texts = _dictionary(columns[flag])
        truthy = np.array([t.lower() in ("true", "1") for t in texts] + [False], dtype=bool)
        return truthy[codes]
    if not coded:
        return np.zeros(n, dtype=bool)
    starred: npt.NDArray[np.bool_] = np.logical_and.reduce(
        [_is_star(codes, texts) for codes, texts in coded])
    return starred


def _is_star(codes: npt.NDArray[np.int64], texts: list[str]) -> npt.NDArray[np.bool_]:
    star = np.array([t == "*" for t in texts] + [False], dtype=bool)
    return star[codes]


def _suppressed_with_values(coded: list[tuple[npt.NDArray[np.int64], list[str]]],
                            suppressed: npt.NDArray[np.bool_]) -> int:
    if not coded or not suppressed.any():
        return 0
    starred = np.logical_and.reduce([_is_star(codes, texts)[suppressed]
                                     for codes, texts in coded])
    return int((~starred).sum())


def _classes(codes: list[npt.NDArray[np.int64]], rows: npt.NDArray[np.int64]
             ) -> npt.NDArray[np.int64]:
    """Class of each published row: rows with the same text in every QI."""
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    key = np.zeros(len(rows), dtype=np.int64)
    for column in codes:
        code = column[rows] + 1
        width = int(code.max()) + 1
        if int(key.max()) * width + width < (1 << 62):
            key = key * width + code
        else:
            _, key = np.unique(np.stack([key, code], axis=1), axis=0, return_inverse=True)
            key = key.ravel().astype(np.int64)
    _, key = np.unique(key, return_inverse=True)
    return key.ravel().astype(np.int64)


def _class_value_counts(class_of: npt.NDArray[np.int64], value_of: npt.NDArray[np.int64]
                        ) -> tuple[npt.NDArray[np.int64], ...]:
    """Distinct (class, value) pairs with their counts, sorted by class."""
    keep = value_of >= 0
    pairs, counts = np.unique(np.stack([class_of[keep], value_of[keep]], axis=1), axis=0,
                              return_counts=True)
    if len(pairs) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    return pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64), counts.astype(np.int64)


def _diversity(pairs: tuple[npt.NDArray[np.int64], ...], sizes: npt.NDArray[np.int64],
               l: float, model: str, c: float | None,  # noqa: E741
               violations: list[str]) -> dict[str, Any]:
    cls, _, counts = pairs
    classes = len(sizes)
    distinct = np.bincount(cls, minlength=classes)
    totals = np.bincount(cls, weights=counts, minlength=classes)
    out: dict[str, Any] = {"l_distinct": int(distinct.min()) if classes else 0}
    entropy = np.log(np.maximum(totals, 1)) - np.bincount(
        cls, weights=counts * np.log(counts), minlength=classes) / np.maximum(totals, 1)
    out["l_entropy"] = float(np.exp(entropy.min())) if classes else 0.0
    if model == "distinct" and classes and distinct.min() < l:
        violations.append(f"l: a class has {int(distinct.min())} distinct sensitive values, "
                          f"fewer than {l:g}")
    elif model == "entropy" and classes and entropy.min() < math.log(l) - TOLERANCE:
        violations.append(f"entropy l: a class has entropy {entropy.min():.4f}, below "
                          f"log({l:g}) = {math.log(l):.4f}")
    elif model == "recursive":
        if c is None:
            raise ConfigurationError("recursive (c,l)-diversity needs c")
        order = np.lexsort((-counts, cls))
        ranked_cls, ranked = cls[order], counts[order]
        rank = np.arange(len(order)) - np.searchsorted(ranked_cls, ranked_cls, side="left")
        top = np.bincount(ranked_cls, weights=np.where(rank == 0, ranked, 0),
                          minlength=classes)
        head = np.bincount(ranked_cls, weights=np.where(rank < int(l) - 1, ranked, 0),
                           minlength=classes)
        tail = totals - head
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(tail > 0, top / np.where(tail > 0, tail, 1), np.inf)
        worst = float(ratio.max()) if classes else 0.0
        out["recursive_ratio"] = worst
        if classes and not (top < c * tail).all():
            violations.append(f"recursive (c,l): a class has r1 / (r_l+...) = {worst:.4f}, "
                              f"not below c = {c:g}")
    return out


def _distance(kind: str, hierarchy: Any, labels: list[str]) -> str:
    if kind != "auto":
        if kind not in ("equal", "ordered", "hierarchical"):
            raise ConfigurationError(f"unknown t distance {kind!r}")
        if kind == "hierarchical" and hierarchy is None:
            raise ConfigurationError("the hierarchical distance needs the sensitive hierarchy")
        return kind
    if hierarchy is not None:
        return "hierarchical"
    if len(labels) and all(_NUMERIC.match(str(v)) for v in labels):
        return "ordered"
    return "equal"


def _closeness(pairs: tuple[npt.NDArray[np.int64], ...], sizes: npt.NDArray[np.int64],
               reference: npt.NDArray[np.float64], distance: str,
               labels: list[str], hierarchy: Any) -> float:
    cls, value, counts = pairs
    classes, m = len(sizes), len(reference)
    if classes == 0:
        return 0.0
    worst = 0.0
    step = max(1, (1 << 22) // max(m, 1))
    order = None
    if distance == "ordered":
        order = np.argsort(np.array([float(v) for v in labels]), kind="stable")
    edges = _edges(hierarchy, labels) if distance == "hierarchical" else None
    for c0 in range(0, classes, step):
        c1 = min(classes, c0 + step)
        inside = (cls >= c0) & (cls < c1)
        dense = np.zeros((c1 - c0, m))
        dense[cls[inside] - c0, value[inside]] = counts[inside]
        dense /= sizes[c0:c1, None]
        diff = dense - reference
        if distance == "equal":
            found = 0.5 * np.abs(diff).sum(axis=1)
        elif distance == "ordered":
            assert order is not None
            flow = np.cumsum(diff[:, order], axis=1)[:, :-1]
            found = np.abs(flow).sum(axis=1) / max(m - 1, 1)
        else:
            assert edges is not None
            membership, weight = edges
            found = (np.abs(diff @ membership) * weight).sum(axis=1)
        worst = max(worst, float(found.max()))
    return worst


def _edges(hierarchy: Any, labels: list[str]
           ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Tree edges as (value x edge) membership and each edge's weight 1 / (2 height).

    The hierarchical ground distance (lowest common ancestor's level over the height)
    is the path length in the tree with every edge weighing 1 / (2 height), so the
    Earth Mover's Distance is the sum over edges of weight x |net mass below it|.
    """
    paths = _paths(hierarchy)
    missing = [str(v) for v in labels if str(v) not in paths]
    if missing:
        raise InputError("a sensitive value is not in the sensitive hierarchy")
    rows = [paths[str(v)] for v in labels]
    height = len(rows[0]) - 1
    if len({row[-1] for row in rows}) > 1:
        rows = [(*row, "*") for row in rows]
        height += 1
    edges: dict[tuple[int, str], int] = {}
    for row in rows:
        for level in range(height):
            edges.setdefault((level, row[level]), len(edges))
    membership = np.zeros((len(rows), len(edges)))
    for i, row in enumerate(rows):
        for level in range(height):
            membership[i, edges[(level, row[level])]] = 1.0
    weight = np.full(len(edges), 1.0 / (2 * height) if height else 0.0)
    return membership, weight


def _paths(hierarchy: Any) -> dict[str, tuple[str, ...]]:
    if isinstance(hierarchy, Mapping):
        return {str(leaf): (str(leaf), *(str(a) for a in up)) for leaf, up in hierarchy.items()}
    text = Path(hierarchy).read_text(encoding="utf-8-sig")
    lines = [line for line in text.splitlines() if line.strip()]
    delimiter = ";" if lines and ";" in lines[0] else ","
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    return {row[0].strip(): tuple(cell.strip() for cell in row) for row in rows}
