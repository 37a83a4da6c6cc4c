"""Candidate cuts of every partition of a level, and what each one gains.

Two families, both vectorised over partitions:

* Ordered cuts (numeric and set-valued quasi-identifiers) at the median. The two
  strict cuts keep all records tied at the median on one side (``code < m`` or
  ``code <= m``), so published ranges never overlap; the relaxed cut splits the tie
  so both halves have the median's size, used only when no strict cut of any
  dimension is acceptable.
* Hierarchy cuts: a partition whose values lie under node X splits into X's
  children. Children too small or not diverse enough are pooled into a remainder
  that keeps X's label; a remainder smaller than k is deferred to a later pass (when
  allowed), or else absorbs the smallest acceptable children until it is acceptable.

The gain of a cut is the decrease in the cut dimension's information loss summed
over the partition's records (``size * ncp`` before minus after); deferred records
count as zero. Among acceptable cuts the engine picks the largest gain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from medanon.privacy.encode import Dimension, DimKind, TreeTables
from medanon.privacy.models import ModelEvaluator
from medanon.privacy.rankindex import RankIndex

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
NEG = -np.inf


def _loss(dim: Dimension, ix: RankIndex, part: Ints, lo: Ints, hi: Ints, count: Ints,
          tied: int = 0) -> Floats:
    """``count * ncp`` of the records of ``part`` whose codes lie in ``lo..hi``.

    For a set-valued dimension ncp is (distinct - 1) / (C - 1); the product is formed
    on integers first so that it is exact and independent of evaluation order.
    ``tied`` = -1 or +1 marks a half of a relaxed cut: the median value ``hi`` (left
    half) or ``lo`` (right half) is present on that side although its records are
    counted on both.
    """
    if dim.kind is DimKind.NUMERIC:
        span = dim.value_range
        if span == 0:
            return np.zeros(len(part))
        return np.asarray(count * ((dim.values[hi] - dim.values[lo]) / span), dtype=np.float64)
    denominator = dim.cardinality - 1
    if denominator == 0:
        return np.zeros(len(part))
    if tied < 0:
        distinct = ix.distinct_le(part, hi - 1) - ix.distinct_le(part, lo - 1) + 1
    elif tied > 0:
        distinct = ix.distinct_le(part, hi) - ix.distinct_le(part, lo) + 1
    else:
        distinct = ix.distinct_le(part, hi) - ix.distinct_le(part, lo - 1)
    return np.asarray(count * (distinct - 1) / denominator, dtype=np.float64)


def _gain(whole: Floats, left: Floats, right: Floats) -> Floats:
    """Loss before minus loss after (a fixed evaluation order keeps it reproducible)."""
    return np.asarray((whole - left) - right, dtype=np.float64)


@dataclass(eq=False)
class OrderedCuts:
    """The three median cuts of one ordered dimension for every partition.

    ``left`` is the number of records on the left side; a record goes left when its
    code is <= ``cut`` (strict cuts) or, for the relaxed cut, when its code is below
    the median ``m`` or it is among the first ``take`` records tied at ``m``.
    """

    dim: int
    cut: tuple[Ints, Ints]  # strict cuts a (code < m) and b (code <= m)
    left: tuple[Ints, Ints, Ints]  # a, b, relaxed
    gain: tuple[Floats, Floats, Floats]  # NEG where the cut does not exist or fails k
    bounds: tuple[tuple[Ints, Ints], ...]  # (left hi, right lo) per cut
    median: Ints
    take: Ints
    span: Floats  # (P,) normalised span (ncp) of each partition in this dimension


def ordered_cuts(j: int, dim: Dimension, ix: RankIndex, sizes: Ints, lo: Ints, hi: Ints,
                 k: int) -> OrderedCuts:
    """Geometry, k-validity and gain of the median cuts of dimension ``j``."""
    part = np.arange(len(sizes), dtype=np.int64)
    splittable = hi > lo
    mid = sizes // 2
    m = ix.code_at(part, np.minimum(mid, sizes - 1))
    below = ix.count_le(part, m - 1)
    upto = ix.count_le(part, m)
    whole = _loss(dim, ix, part, lo, hi, sizes)
    cuts: list[Ints] = []
    lefts: list[Ints] = []
    gains: list[Floats] = []
    bounds: list[tuple[Ints, Ints]] = []
    for left, cut, exists in ((below, m - 1, splittable & (below > 0)),
                              (upto, m, splittable & (upto < sizes))):
        safe = np.clip(left, 1, np.maximum(sizes - 1, 1))
        lhi = ix.code_at(part, safe - 1)
        rlo = ix.code_at(part, safe)
        ok = exists & (left >= k) & (sizes - left >= k)
        gain = _gain(whole, _loss(dim, ix, part, lo, lhi, left),
                     _loss(dim, ix, part, rlo, hi, sizes - left))
        cuts.append(cut)
        lefts.append(left)
        gains.append(np.where(ok, gain, NEG))
        bounds.append((lhi, rlo))
    relaxed = splittable & (below < mid)
    ok = relaxed & (mid >= k) & (sizes - mid >= k)
    gain = _gain(whole, _loss(dim, ix, part, lo, m, mid, tied=-1),
                 _loss(dim, ix, part, m, hi, sizes - mid, tied=1))
    lefts.append(mid)
    gains.append(np.where(ok, gain, NEG))
    bounds.append((m, m))
    span = _loss(dim, ix, part, lo, hi, np.ones(len(part), dtype=np.int64))
    return OrderedCuts(j, (cuts[0], cuts[1]), (lefts[0], lefts[1], lefts[2]),
                       (gains[0], gains[1], gains[2]), tuple(bounds), m, mid - below, span)


@dataclass(eq=False)
class TreeGeometry:
    """The children of each partition's lowest common node, one row per (partition, child).

    Losses are kept as integers ``count * (cover - 1)`` (cover = values present under
    the published node); dividing by ``C - 1`` happens once, so sums are exact.
    """

    dim: int
    level: Ints  # (P,) level of the lowest common node (children are one level down)
    first: Ints  # (P,) id of its first child
    whole: Ints  # (P,) cover of the lowest common node
    pair_start: Ints  # (P + 1,) pairs of partition p are pair_start[p]:pair_start[p + 1]
    owner: Ints  # (pairs,) owning partition
    count: Ints  # (pairs,) records under the child
    cover: Ints  # (pairs,) cover of the lowest node above the child's records
    lo: Ints  # (pairs,) first and last code present under the child
    hi: Ints
    span: Floats  # (P,) normalised span (ncp) of each partition in this dimension


def tree_geometry(j: int, tree: TreeTables, ix: RankIndex, sizes: Ints, lo: Ints, hi: Ints
                  ) -> TreeGeometry:
    """Children of every partition's lowest common node, with their counts and covers."""
    part = np.arange(len(lo), dtype=np.int64)
    level, node = tree.lca(lo, hi)
    whole = tree.cover[level, node]
    inner = level > 0
    first = np.where(inner, tree.child_first[level, node], 0).astype(np.int64)
    nchildren = np.where(inner, tree.child_count[level, node], 0).astype(np.int64)
    pair_start = np.zeros(len(lo) + 1, dtype=np.int64)
    np.cumsum(nchildren, out=pair_start[1:])
    owner = np.repeat(part, nchildren)
    child = first[owner] + (np.arange(pair_start[-1], dtype=np.int64) - pair_start[owner])
    clevel = np.maximum(level - 1, 0)[owner]
    code_lo = tree.node_lo[clevel, child].astype(np.int64)
    code_hi = tree.node_hi[clevel, child].astype(np.int64)
    before = ix.count_le(owner, code_lo - 1)
    through = ix.count_le(owner, code_hi)
    count = through - before
    present = count > 0
    last_rank = np.maximum(sizes[owner] - 1, 0)
    first_code = np.where(present, ix.code_at(owner, np.minimum(before, last_rank)), code_lo)
    last_code = np.where(present, ix.code_at(owner, np.clip(through - 1, 0, last_rank)),
                         code_lo)
    clca_level, clca_node = tree.lca(first_code, last_code)
    cover = tree.cover[clca_level, clca_node]
    return TreeGeometry(j, level, first, whole, pair_start, owner, count, cover,
                        first_code, last_code, np.asarray(tree.ncp[level, node]))


@dataclass(eq=False)
class TreeDecision:
    """The resolved hierarchy cut of each partition (one chunk of partitions)."""

    gain: Floats  # (P,) NEG when no acceptable cut
    parts: Ints  # (P,) number of sub-partitions
    pair_target: Ints  # (pairs,) sub-partition of each child; -1 deferred


def resolve_tree(g: TreeGeometry, p0: int, p1: int, sizes: Ints, ev: ModelEvaluator,
                 pair_hist: npt.NDArray[np.int64] | None, allow_defer: bool,
                 tree: TreeTables, cardinality: int) -> TreeDecision:
    """Decide the hierarchy cut of partitions ``p0:p1`` (pairs of that range only).

    ``pair_hist`` holds the sensitive histogram of each pair in the range when the
    model needs one. Per partition: acceptable children stand alone; the others form
    a pool. An empty pool: every child is a part. A pool smaller than k beside at
    least one acceptable child, when deferral is allowed: the pool is deferred.
    Otherwise the smallest acceptable children (ties: first child) join the pool
    until it is acceptable, and at least one child must remain beside it.
    """
    k = ev.model.k
    n = p1 - p0
    q0, q1 = int(g.pair_start[p0]), int(g.pair_start[p1])
    owner = g.owner[q0:q1] - p0
    count = g.count[q0:q1]
    present = count > 0
    ok = present & ev.satisfied(pair_hist, count)
    pooled = present & ~ok
    pool_n = _group_sum(count * pooled, owner, n)
    pool_children = _group_sum(pooled.astype(np.int64), owner, n)
    valid_n = _group_sum(ok.astype(np.int64), owner, n)
    inner = g.level[p0:p1] > 0
    all_valid = inner & (pool_children == 0) & (valid_n >= 2)
    defer = inner & allow_defer & (pool_children > 0) & (pool_n < k) & (valid_n >= 1)
    merge = inner & ~all_valid & ~defer & (pool_children > 0) & (valid_n >= 1)

    # Acceptable children by increasing size (then child order) may join the pool.
    order = np.lexsort((np.arange(len(owner)), count, ~ok, owner))
    s_owner = owner[order]
    s_ok = ok[order]
    rank = np.arange(len(order)) - np.searchsorted(s_owner, s_owner, side="left")
    grown_n = pool_n[s_owner] + _cumsum_by_group(np.where(s_ok, count[order], 0), s_owner)
    pool_hist: npt.NDArray[np.int64] | None = None
    grown_hist: npt.NDArray[np.int64] | None = None
    if pair_hist is not None:
        pool_hist = _group_sum(np.where(pooled[:, None], pair_hist, 0), owner, n)
        taken = np.where(s_ok[:, None], pair_hist[order], 0)
        grown_hist = pool_hist[s_owner] + _cumsum_by_group(taken, s_owner)
    alone = ev.satisfied(pool_hist, pool_n)
    grown_ok = s_ok & ev.satisfied(grown_hist, grown_n) & (rank + 1 <= valid_n[s_owner] - 1)
    absorbed = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    hits = np.flatnonzero(grown_ok)
    owners_hit, first_hit = np.unique(s_owner[hits], return_index=True)
    absorbed[owners_hit] = rank[hits[first_hit]] + 1
    absorbed = np.where(alone, 0, absorbed)
    merge &= absorbed <= valid_n - 1

    joins = np.zeros(len(owner), dtype=bool)
    joins[order] = s_ok & (rank < absorbed[s_owner]) & merge[s_owner]
    decided = all_valid | defer | merge
    keep = ok & decided[owner] & ~joins
    kept_rank = _cumsum_by_group(keep.astype(np.int64), owner) - 1
    kept_n = _group_sum(keep.astype(np.int64), owner, n)
    in_pool = (pooled | joins) & merge[owner]
    target = np.where(keep, kept_rank, np.where(in_pool, kept_n[owner], -1))
    parts = np.where(all_valid | defer, kept_n, np.where(merge, kept_n + 1, 0))

    kept_loss = _group_sum(np.where(keep, count * (g.cover[q0:q1] - 1), 0), owner, n)
    pool_total = _group_sum(count * in_pool, owner, n)
    pool_members = _group_sum(in_pool.astype(np.int64), owner, n)
    pool_cover = np.where(pool_members >= 2, g.whole[p0:p1],
                          _single_member_cover(g, q0, q1, owner, in_pool, n, tree))
    before = sizes[p0:p1] * (g.whole[p0:p1] - 1)
    numerator = (before - kept_loss) - pool_total * (pool_cover - 1)
    denominator = max(cardinality - 1, 1)
    gain = np.where(decided, numerator / denominator, NEG)
    return TreeDecision(np.asarray(gain, dtype=np.float64), parts.astype(np.int64),
                        target.astype(np.int64))


def _single_member_cover(g: TreeGeometry, q0: int, q1: int, owner: Ints, member: Bools,
                         n: int, tree: TreeTables) -> Ints:
    """Cover of a pool made of exactly one child (its own lowest common node)."""
    lo = np.zeros(n, dtype=np.int64)
    hi = np.zeros(n, dtype=np.int64)
    lo[owner[member]] = g.lo[q0:q1][member]
    hi[owner[member]] = g.hi[q0:q1][member]
    level, node = tree.lca(lo, hi)
    return np.asarray(tree.cover[level, node], dtype=np.int64)


def _group_sum(values: npt.NDArray[np.int64], group: Ints, n: int) -> npt.NDArray[np.int64]:
    """Exact integer totals of ``values`` rows per group id in ``0..n-1`` (sorted groups)."""
    shape = (n, *values.shape[1:])
    out = np.zeros(shape, dtype=np.int64)
    if len(group) == 0:
        return out
    bounds = np.searchsorted(group, np.arange(n + 1), side="left")
    total = np.zeros((len(values) + 1, *values.shape[1:]), dtype=np.int64)
    np.cumsum(values, axis=0, out=total[1:])
    out[:] = total[bounds[1:]] - total[bounds[:-1]]
    return out


def _cumsum_by_group(values: npt.NDArray[np.int64], group: Ints) -> npt.NDArray[np.int64]:
    """Running (inclusive) integer sum within runs of equal, sorted ``group``."""
    total = np.cumsum(values, axis=0)
    if len(group) == 0:
        return np.asarray(total, dtype=np.int64)
    start = np.searchsorted(group, group, side="left")
    offset = np.zeros_like(total)
    has = start > 0
    offset[has] = total[start[has] - 1]
    return np.asarray(total - offset, dtype=np.int64)
