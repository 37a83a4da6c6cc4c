"""Turn leaves into published values and re-derive the equivalence classes from them.

A leaf publishes, per quasi-identifier, the tightest value covering its records: the
range ``lo-hi`` of a numeric column (a single value when lo == hi; ``lo/hi`` for dates
and times), the lowest hierarchy node above its values, or the set ``{a,b}`` of its
values for a categorical column without hierarchy (the value itself when only one).
Classes are then the groups of rows with identical published values, exactly as an
attacker or a checker sees them: two leaves that happen to publish the same values
form one class. Suppressed rows publish ``*`` everywhere and belong to no class
(class id -1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from medanon.privacy.encode import Dimension, DimKind, EncodedTable
from medanon.privacy.engine import Partitioning

Ints = npt.NDArray[np.int64]
SUPPRESSED = "*"
SET_OPEN, SET_SEPARATOR, SET_CLOSE = "{", ",", "}"


@dataclass(frozen=True, eq=False)
class PublishedColumn:
    """A generalised column, dictionary-encoded: ``labels[index[row]]``."""

    index: npt.NDArray[np.int32]
    labels: tuple[str, ...]

    def values(self) -> npt.NDArray[np.object_]:
        """The column as an object array of strings."""
        return np.asarray(self.labels, dtype=object)[self.index]


@dataclass(frozen=True, eq=False)
class Publication:
    """The published view of a partitioning: classes, labels and per-class losses."""

    classes: Ints  # class of each row, -1 when suppressed (numbered by first row)
    suppressed: npt.NDArray[np.bool_]
    class_sizes: Ints
    columns: dict[str, PublishedColumn]
    ncp: npt.NDArray[np.float64]  # (classes, d) normalised loss per class and QI
    low: Ints  # (classes, d) smallest code the published value covers
    high: Ints  # (classes, d) largest code it covers


def publish(enc: EncodedTable, part: Partitioning) -> Publication:
    """Published values, classes and per-class losses for ``part``."""
    n = enc.size
    leaf = part.leaf_of_row
    kept = np.flatnonzero(leaf >= 0)
    order = kept[np.argsort(leaf[kept], kind="stable")]
    sizes = np.bincount(leaf[kept], minlength=part.leaf_count).astype(np.int64)
    starts = np.zeros(part.leaf_count, dtype=np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    codes = enc.codes[order].astype(np.int64)
    d = len(enc.dims)
    lo = np.empty((part.leaf_count, d), dtype=np.int64)
    hi = np.empty((part.leaf_count, d), dtype=np.int64)
    keys: list[Ints] = []
    label_lists: list[tuple[Ints, npt.NDArray[np.str_]]] = []
    ncp_leaf = np.zeros((part.leaf_count, d))
    for j, dim in enumerate(enc.dims):
        if part.leaf_count:
            lo[:, j] = np.minimum.reduceat(codes[:, j], starts)
            hi[:, j] = np.maximum.reduceat(codes[:, j], starts)
        _, label_index, raw_labels, ncp = _publish_dimension(dim, lo[:, j], hi[:, j],
                                                             codes[:, j], starts, sizes)
        # Classes follow the published text: equal labels are one value, whatever made them.
        labels, merged = np.unique(np.asarray(raw_labels, dtype=object).astype(str),
                                   return_inverse=True)
        label_index = merged.ravel()[label_index].astype(np.int64)
        key = label_index
        if dim.kind is DimKind.TREE:  # the published extent is the whole node
            assert dim.tree is not None
            level, node = dim.tree.lca(lo[:, j], hi[:, j])
            lo[:, j] = dim.tree.node_lo[level, node]
            hi[:, j] = dim.tree.node_hi[level, node]
        keys.append(key)
        label_lists.append((label_index, labels))
        ncp_leaf[:, j] = ncp
    leaf_class, class_count = _derive_classes(keys, order, starts, part.leaf_count, n)
    classes = np.full(n, -1, dtype=np.int64)
    classes[kept] = leaf_class[leaf[kept]]
    class_sizes = np.bincount(classes[kept], minlength=class_count).astype(np.int64)
    first_leaf = np.full(class_count, part.leaf_count, dtype=np.int64)
    np.minimum.at(first_leaf, leaf_class, np.arange(part.leaf_count))
    columns: dict[str, PublishedColumn] = {}
    for j, dim in enumerate(enc.dims):
        label_index, labels = label_lists[j]
        text = [str(label) for label in labels]
        star = text.index(SUPPRESSED) if SUPPRESSED in text else len(text)
        index = np.full(n, star, dtype=np.int32)
        index[kept] = label_index[leaf[kept]]
        if star == len(text):
            text.append(SUPPRESSED)
        columns[dim.name] = PublishedColumn(index, tuple(text))
    low = lo[first_leaf] if class_count else np.zeros((0, d), dtype=np.int64)
    high = hi[first_leaf] if class_count else np.zeros((0, d), dtype=np.int64)
    ncp = ncp_leaf[first_leaf] if class_count else np.zeros((0, d))
    return Publication(classes, part.suppressed, class_sizes, columns, ncp, low, high)


def _publish_dimension(dim: Dimension, lo: Ints, hi: Ints, codes: Ints, starts: Ints,
                       sizes: Ints) -> tuple[Ints, Ints, list[str], npt.NDArray[np.float64]]:
    """Class key, label index and label list, and ncp of every leaf for one QI."""
    if dim.kind is DimKind.TREE:
        assert dim.tree is not None
        level, node = dim.tree.lca(lo, hi)
        width = dim.tree.levels
        key = node * width + level
        unique, index = np.unique(key, return_inverse=True)
        labels = [dim.tree.labels[int(u % width)][int(u // width)] for u in unique]
        return key, index.astype(np.int64), labels, dim.tree.ncp[level, node]
    if dim.kind is DimKind.NUMERIC:
        card = max(dim.cardinality, 1)
        key = lo * card + hi
        unique, index = np.unique(key, return_inverse=True)
        sep = "/" if dim.temporal else "-"
        labels = [_range_label(dim, int(u // card), int(u % card), sep) for u in unique]
        span = dim.value_range
        ncp = (dim.values[hi] - dim.values[lo]) / span if span > 0 else np.zeros(len(lo))
        return key, index.astype(np.int64), labels, np.asarray(ncp, dtype=np.float64)
    return _publish_sets(dim, codes, starts, sizes)


def _range_label(dim: Dimension, lo: int, hi: int, sep: str) -> str:
    if lo == hi:
        return dim.labels[lo]
    return f"{dim.labels[lo]}{sep}{dim.labels[hi]}"


def _publish_sets(dim: Dimension, codes: Ints, starts: Ints, sizes: Ints
                  ) -> tuple[Ints, Ints, list[str], npt.NDArray[np.float64]]:
    """Sets of values present in each leaf, identified exactly by their member codes."""
    leaves = len(sizes)
    owner = np.repeat(np.arange(leaves, dtype=np.int64), sizes)
    card = max(dim.cardinality, 1)
    pairs = np.unique(owner * card + codes)
    pair_owner = pairs // card
    members = pairs % card
    counts = np.bincount(pair_owner, minlength=leaves)
    bounds = np.zeros(leaves + 1, dtype=np.int64)
    np.cumsum(counts, out=bounds[1:])
    words = (card + 63) // 64
    signature = np.zeros((leaves, words), dtype=np.uint64)
    bit = np.left_shift(np.uint64(1), (members % 64).astype(np.uint64))
    np.bitwise_or.at(signature, (pair_owner, members // 64), bit)
    unique, first, index = np.unique(signature, axis=0, return_index=True, return_inverse=True)
    labels = []
    for leaf in first:
        values = members[bounds[leaf]:bounds[leaf + 1]]
        if len(values) == 1:  # a single value is published as itself
            labels.append(dim.labels[values[0]])
        else:
            labels.append(SET_OPEN + SET_SEPARATOR.join(dim.labels[v] for v in values)
                          + SET_CLOSE)
    denominator = dim.cardinality - 1
    ncp = (counts - 1) / denominator if denominator > 0 else np.zeros(leaves)
    del unique
    return index.ravel().astype(np.int64), index.ravel().astype(np.int64), labels, \
        np.asarray(ncp, dtype=np.float64)


def _derive_classes(keys: list[Ints], order: Ints, starts: Ints, leaves: int, n: int
                    ) -> tuple[Ints, int]:
    """Leaves with identical published values share a class; number classes by first row."""
    if leaves == 0:
        return np.zeros(0, dtype=np.int64), 0
    matrix = np.column_stack(keys) if keys else np.zeros((leaves, 1), dtype=np.int64)
    _, inverse = np.unique(matrix, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    first_row = np.minimum.reduceat(order, starts)
    class_first = np.full(int(inverse.max()) + 1, n, dtype=np.int64)
    np.minimum.at(class_first, inverse, first_row)
    rank = np.empty(len(class_first), dtype=np.int64)
    rank[np.argsort(class_first, kind="stable")] = np.arange(len(class_first))
    return rank[inverse], len(class_first)
