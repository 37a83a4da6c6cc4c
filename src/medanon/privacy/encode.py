"""Encode quasi-identifiers and the sensitive attribute as small integer codes.

The engine never touches the original values: each column becomes codes ``0..C-1``
whose order is the order cuts follow (numeric order, a hierarchy's depth-first leaf
order, or a natural sort of labels), plus the few tables needed to score and
publish a group of codes. Only values that occur in the data get a code, so a
hierarchy node covers exactly the "values occurring in the data that fall under
it", which is how GCP is defined.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from medanon.errors import ConfigurationError, InputError
from medanon.privacy.hierarchy import Hierarchy

IntArray = npt.NDArray[np.int64]


class DimKind(enum.Enum):
    """How a quasi-identifier is cut and published."""

    NUMERIC = "numeric"  # ranges "lo-hi"
    SET = "set"  # categorical without hierarchy: the set of values present
    TREE = "tree"  # categorical with hierarchy: a node's label


@dataclass(frozen=True, eq=False)
class TreeTables:
    """A hierarchy restricted to the values present, with nodes numbered depth-first.

    Arrays are padded to ``(levels, width)``; level 0 holds the leaves (one per code),
    the last level the root. A node covers the contiguous codes ``lo..hi``.
    """

    node_id: npt.NDArray[np.int32]  # (levels, C): node containing each code
    node_lo: npt.NDArray[np.int32]  # (levels, width): first code of each node
    node_hi: npt.NDArray[np.int32]  # (levels, width): last code
    child_first: npt.NDArray[np.int32]  # (levels, width): first child id one level down
    child_count: npt.NDArray[np.int32]  # (levels, width)
    cover: npt.NDArray[np.int64]  # (levels, width): codes (present values) under each node
    ncp: npt.NDArray[np.float64]  # (levels, width): (cover - 1) / (C - 1)
    labels: tuple[tuple[str, ...], ...]  # per level, per node

    @property
    def levels(self) -> int:
        """Number of levels, leaves and root included."""
        return int(self.node_id.shape[0])

    def lca(self, lo: npt.NDArray[np.integer], hi: npt.NDArray[np.integer]
            ) -> tuple[IntArray, IntArray]:
        """Level and node id of the lowest node covering codes ``lo..hi`` (vectorised)."""
        same = self.node_id[:, lo] == self.node_id[:, hi]
        level = np.argmax(same, axis=0).astype(np.int64)
        node = self.node_id[level, lo].astype(np.int64)
        return level, node


def build_tree_tables(paths: Sequence[Sequence[str]]) -> TreeTables:
    """Tables for leaves given in depth-first order, each with its path to the root."""
    count = len(paths)
    levels = len(paths[0])
    node_id = np.zeros((levels, count), dtype=np.int32)
    per_level_labels: list[tuple[str, ...]] = []
    for level in range(levels):
        labels: list[str] = []
        current = -1
        for code, path in enumerate(paths):
            if not labels or labels[-1] != path[level]:
                labels.append(path[level])
                current += 1
            node_id[level, code] = current
        per_level_labels.append(tuple(labels))
    width = max(len(labels) for labels in per_level_labels)
    node_lo = np.zeros((levels, width), dtype=np.int32)
    node_hi = np.zeros((levels, width), dtype=np.int32)
    child_first = np.zeros((levels, width), dtype=np.int32)
    child_count = np.zeros((levels, width), dtype=np.int32)
    cover = np.zeros((levels, width), dtype=np.int64)
    ncp = np.zeros((levels, width), dtype=np.float64)
    codes = np.arange(count)
    denominator = count - 1
    for level in range(levels):
        ids = node_id[level]
        nodes = len(per_level_labels[level])
        first = np.searchsorted(ids, np.arange(nodes), side="left")
        last = np.searchsorted(ids, np.arange(nodes), side="right") - 1
        node_lo[level, :nodes] = codes[first]
        node_hi[level, :nodes] = codes[last]
        covered = last - first + 1
        cover[level, :nodes] = covered
        ncp[level, :nodes] = (covered - 1) / denominator if denominator > 0 else 0.0
        if level > 0:
            below = node_id[level - 1]
            child_first[level, :nodes] = below[first]
            child_count[level, :nodes] = below[last] - below[first] + 1
    return TreeTables(node_id, node_lo, node_hi, child_first, child_count, cover, ncp,
                      tuple(per_level_labels))


@dataclass(frozen=True, eq=False)
class Dimension:
    """One encoded quasi-identifier: what a code means and what a group of codes costs."""

    name: str
    kind: DimKind
    labels: tuple[str, ...]  # display label of each code
    values: npt.NDArray[np.float64]  # NUMERIC: the value of each code (sorted ascending)
    tree: TreeTables | None = None
    temporal: bool = False

    @property
    def cardinality(self) -> int:
        """Number of distinct values present in the data."""
        return len(self.labels)

    @property
    def value_range(self) -> float:
        """NUMERIC: max - min over the whole table (the GCP denominator)."""
        if self.kind is not DimKind.NUMERIC or len(self.values) < 2:
            return 0.0
        return float(self.values[-1] - self.values[0])


@dataclass(frozen=True, eq=False)
class SensitiveColumn:
    """The sensitive attribute as codes (-1 where missing) and its distance structure."""

    name: str
    codes: npt.NDArray[np.int32]
    labels: tuple[str, ...]
    numeric: bool
    tree: TreeTables | None = None

    @property
    def cardinality(self) -> int:
        """Number of distinct sensitive values."""
        return len(self.labels)


@dataclass(frozen=True, eq=False)
class EncodedTable:
    """Everything the engine needs, and nothing that identifies anyone."""

    dims: tuple[Dimension, ...]
    codes: npt.NDArray[np.integer]  # (n, d) row-major
    missing: npt.NDArray[np.bool_]  # rows with a missing QI (or sensitive) value
    sensitive: SensitiveColumn | None

    @property
    def size(self) -> int:
        """Number of records."""
        return int(self.codes.shape[0])


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_CHUNK = re.compile(r"(\d+)")


def natural_key(label: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key putting "2" before "10" and "a2" before "a10"."""
    return tuple((0, int(part)) if part.isdigit() else (1, part)
                 for part in _CHUNK.split(label) if part)


def format_number(value: float | int, integral: bool) -> str:
    """Shortest faithful text for a published bound (integers without a decimal point)."""
    if integral or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    return repr(float(value))


def _kind_of(array: pa.ChunkedArray) -> str:
    t = array.type
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "numeric"
    if pa.types.is_temporal(t):
        return "temporal"
    return "text"


def missing_mask(array: pa.ChunkedArray) -> npt.NDArray[np.bool_]:
    """Null, NaN, or empty / blank text: the values the missing-value policy applies to."""
    mask = np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    t = array.type.value_type if pa.types.is_dictionary(array.type) else array.type
    if pa.types.is_floating(t):
        nan = pc.is_nan(array).fill_null(False)
        mask |= np.asarray(nan.to_numpy(zero_copy_only=False), dtype=bool)
    elif pa.types.is_string(t) or pa.types.is_large_string(t):
        text = array.cast(t) if pa.types.is_dictionary(array.type) else array
        blank = pc.equal(pc.utf8_trim_whitespace(text), "").fill_null(False)
        mask |= np.asarray(blank.to_numpy(zero_copy_only=False), dtype=bool)
    return mask


def _as_text(array: pa.ChunkedArray) -> pa.ChunkedArray:
    t = array.type.value_type if pa.types.is_dictionary(array.type) else array.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        text = array.cast(pa.string()) if t != pa.string() else array
        return pc.utf8_trim_whitespace(text)
    return array.cast(pa.string())


def _factorize(array: pa.ChunkedArray, valid: npt.NDArray[np.bool_]
               ) -> tuple[IntArray, list[str]]:
    """Codes into the list of distinct texts (nulls / missing rows get -1)."""
    encoded = pc.dictionary_encode(_as_text(array)).combine_chunks()
    indices = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    indices[~valid] = -1
    labels = [str(v) for v in encoded.dictionary.to_pylist()]
    return indices, labels


def _numeric_values(array: pa.ChunkedArray) -> tuple[npt.NDArray[np.float64], bool, bool]:
    """Float values (NaN where null), whether all are integers, whether temporal."""
    t = array.type.value_type if pa.types.is_dictionary(array.type) else array.type
    plain = array.cast(t) if pa.types.is_dictionary(array.type) else array
    if pa.types.is_temporal(t):
        as_int = plain.cast(pa.int64()) if not pa.types.is_date32(t) else plain.cast(pa.int32())
        values = as_int.to_numpy(zero_copy_only=False).astype(np.float64)
        nulls = np.asarray(plain.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        values[nulls] = np.nan
        return values, True, True
    if pa.types.is_decimal(t):
        plain = plain.cast(pa.float64())
    values = plain.cast(pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)
    return values, pa.types.is_integer(t), False


def first_row(mask: npt.NDArray[np.bool_]) -> int:
    """1-based number of the first row where ``mask`` holds (for messages)."""
    return int(np.argmax(mask)) + 1


def encode_numeric(name: str, array: pa.ChunkedArray, valid: npt.NDArray[np.bool_]
                   ) -> tuple[Dimension, IntArray]:
    """Codes are ranks of the distinct values; labels print the value itself."""
    values, integral, temporal = _numeric_values(array)
    present = values[valid]
    unique, inverse = np.unique(present, return_inverse=True)
    codes = np.zeros(len(values), dtype=np.int64)
    codes[valid] = inverse
    if temporal:
        labels = tuple(_temporal_labels(array, unique))
    else:
        labels = tuple(format_number(float(v), integral) for v in unique)
    dim = Dimension(name, DimKind.NUMERIC, labels, unique.astype(np.float64), temporal=temporal)
    return dim, codes


def _temporal_labels(array: pa.ChunkedArray, unique: npt.NDArray[np.float64]) -> list[str]:
    t = array.type.value_type if pa.types.is_dictionary(array.type) else array.type
    storage = pa.int32() if pa.types.is_date32(t) else pa.int64()
    values = pa.array(unique.astype(np.int64), type=pa.int64()).cast(storage).cast(t)
    items = values.to_pylist()
    if pa.types.is_date(t):
        return [v.isoformat() for v in items]
    if pa.types.is_timestamp(t) and all(
            v.hour == v.minute == v.second == v.microsecond == 0 for v in items):
        return [v.date().isoformat() for v in items]  # midnight everywhere: dates
    return [v.isoformat() if hasattr(v, "isoformat") else str(v) for v in items]


def encode_set(name: str, array: pa.ChunkedArray, valid: npt.NDArray[np.bool_]
               ) -> tuple[Dimension, IntArray]:
    """Codes follow a natural sort of the labels, so cuts keep similar labels together."""
    indices, labels = _factorize(array, valid)
    used = np.zeros(len(labels), dtype=bool)
    used[indices[indices >= 0]] = True
    kept = [i for i in range(len(labels)) if used[i]]
    order = sorted(kept, key=lambda i: natural_key(labels[i]))
    remap = np.full(len(labels) + 1, 0, dtype=np.int64)
    remap[np.asarray(order, dtype=np.int64)] = np.arange(len(order))
    codes = np.where(indices >= 0, remap[indices], 0)
    dim = Dimension(name, DimKind.SET, tuple(labels[i] for i in order),
                    np.arange(len(order), dtype=np.float64))
    return dim, codes


def _leaf_keys(hierarchy: Hierarchy, numeric: bool, name: str) -> dict[str, str] | None:
    """For a numeric column, map each data value's text to its leaf (``"39.0"`` -> ``"39"``)."""
    if not numeric:
        return None
    if not all(_NUMBER.match(leaf) for leaf in hierarchy.leaves):
        raise ConfigurationError(
            f"column {name!r} is numeric but its hierarchy {hierarchy.source} has "
            "non-numeric values")
    return {format_number(float(leaf), False): leaf for leaf in hierarchy.leaves}


def encode_tree(name: str, array: pa.ChunkedArray, valid: npt.NDArray[np.bool_],
                hierarchy: Hierarchy) -> tuple[Dimension, IntArray]:
    """Codes follow the hierarchy's depth-first order; every value must be a leaf."""
    numeric = _kind_of(array) == "numeric"
    if numeric:
        values, _, _ = _numeric_values(array)
        unique, inverse = np.unique(values[valid], return_inverse=True)
        indices = np.full(len(values), -1, dtype=np.int64)
        indices[valid] = inverse
        labels = [format_number(float(v), False) for v in unique]
    else:
        indices, labels = _factorize(array, valid)
    keys = _leaf_keys(hierarchy, numeric, name)
    leaf_of = [keys.get(label) if keys is not None else label for label in labels]
    used = np.zeros(len(labels), dtype=bool)
    used[indices[indices >= 0]] = True
    for i, leaf in enumerate(leaf_of):
        if used[i] and (leaf is None or leaf not in hierarchy):
            row = first_row(indices == i)
            raise InputError(
                f"column {name!r}: the value in row {row} is not in hierarchy "
                f"{hierarchy.source}")
    present = {leaf_of[i] for i in range(len(labels)) if used[i]}
    order = [hierarchy.rows[i] for i in hierarchy.dfs_order() if hierarchy.rows[i][0] in present]
    leaf_code = {path[0]: code for code, path in enumerate(order)}
    remap = np.zeros(len(labels) + 1, dtype=np.int64)
    for i, leaf in enumerate(leaf_of):
        if used[i] and leaf is not None:
            remap[i] = leaf_code[leaf]
    codes = np.where(indices >= 0, remap[indices], 0)
    tree = build_tree_tables(order)
    dim = Dimension(name, DimKind.TREE, tuple(path[0] for path in order),
                    np.arange(len(order), dtype=np.float64), tree=tree)
    return dim, codes


def encode_sensitive(name: str, array: pa.ChunkedArray, valid: npt.NDArray[np.bool_],
                     hierarchy: Hierarchy | None) -> SensitiveColumn:
    """Codes in the order the ordered distance follows; a hierarchy enables the tree distance."""
    kind = _kind_of(array)
    if hierarchy is not None:
        dim, codes = encode_tree(name, array, valid, hierarchy)
        return SensitiveColumn(name, np.where(valid, codes, -1).astype(np.int32), dim.labels,
                               numeric=False, tree=dim.tree)
    if kind in ("numeric", "temporal"):
        dim, codes = encode_numeric(name, array, valid)
        return SensitiveColumn(name, np.where(valid, codes, -1).astype(np.int32), dim.labels,
                               numeric=True)
    dim, codes = encode_set(name, array, valid)
    return SensitiveColumn(name, np.where(valid, codes, -1).astype(np.int32), dim.labels,
                           numeric=False)


def encode_table(table: pa.Table, qi: Sequence[str], sensitive: str | None,
                 hierarchies: Mapping[str, Hierarchy], missing: str) -> EncodedTable:
    """Encode the quasi-identifiers and the sensitive attribute of ``table``.

    ``missing`` is the policy for null, NaN and blank values: ``"error"`` raises an
    :class:`InputError` naming the column and the first row; ``"suppress"`` marks the
    row for suppression (it is published with every quasi-identifier ``*``).
    """
    n = table.num_rows
    missing_rows = np.zeros(n, dtype=bool)
    columns = [*qi, *([sensitive] if sensitive is not None else [])]
    masks: dict[str, npt.NDArray[np.bool_]] = {}
    for name in columns:
        mask = missing_mask(table.column(name))
        if mask.any() and missing == "error":
            raise InputError(
                f"column {name!r}: row {first_row(mask)} has a missing (empty or NaN) value; "
                "fill it, or pass --missing suppress to suppress such rows")
        masks[name] = mask
        missing_rows |= mask
    valid = ~missing_rows
    dims: list[Dimension] = []
    code_columns: list[IntArray] = []
    for name in qi:
        array = table.column(name)
        hierarchy = hierarchies.get(name)
        if hierarchy is not None:
            dim, codes = encode_tree(name, array, valid, hierarchy)
        elif _kind_of(array) in ("numeric", "temporal"):
            dim, codes = encode_numeric(name, array, valid)
        else:
            dim, codes = encode_set(name, array, valid)
        dims.append(dim)
        code_columns.append(codes)
    widest = max((d.cardinality for d in dims), default=1)
    dtype = np.uint16 if widest <= np.iinfo(np.uint16).max else np.int32
    matrix = np.empty((n, len(dims)), dtype=dtype)
    for j, codes in enumerate(code_columns):
        matrix[:, j] = codes
    sens = None
    if sensitive is not None:
        sens = encode_sensitive(sensitive, table.column(sensitive), valid,
                                hierarchies.get(sensitive))
    return EncodedTable(tuple(dims), matrix, missing_rows, sens)

