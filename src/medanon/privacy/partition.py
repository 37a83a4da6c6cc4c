"""Multidimensional Mondrian, one level of the partition tree at a time.

The records of every open partition are kept contiguous (``starts``) and, inside a
partition, in increasing row order. Each level, for all partitions together:

1. per quasi-identifier, a :mod:`rank index <medanon.privacy.rankindex>` gives each
   partition's range, median and counts;
2. :mod:`cuts <medanon.privacy.cuts>` lists the candidate cuts and their gains,
   k-anonymity from sizes alone, l-diversity and t-closeness from one sensitive
   histogram per candidate (a ``bincount`` over the level's records);
3. each partition takes its best acceptable strict cut, else its best relaxed cut,
   else becomes a leaf (a published equivalence class);
4. records are stably regrouped by new partition.

No step calls Python per record or per partition, so a level costs O(n) numpy work
and a table costs O(n log n). A partition's fate depends only on its own records,
so partitions below the top levels are independent sub-problems (the Dask runner
ships them to workers, and gets exactly the same leaves).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from medanon.privacy.cuts import (
    NEG,
    OrderedCuts,
    TreeDecision,
    TreeGeometry,
    ordered_cuts,
    resolve_tree,
    tree_geometry,
)
from medanon.privacy.encode import Dimension, DimKind
from medanon.privacy.models import ModelEvaluator
from medanon.privacy.rankindex import build_index

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

# Largest histogram (cells) built at once; bigger levels are evaluated in chunks of
# partitions, which bounds memory whatever the number of sensitive values.
HISTOGRAM_CELLS = 1 << 23


@dataclass(frozen=True, eq=False)
class Context:
    """What every sub-problem of a pass shares: picklable, immutable."""

    dims: tuple[Dimension, ...]
    evaluator: ModelEvaluator
    allow_defer: bool
    cut_choice: str = "gain"  # "gain", or "span": widest normalised span first (LeFevre)


@dataclass(frozen=True, eq=False)
class SubProblem:
    """A set of records to partition: codes, global row numbers (increasing), sensitive codes."""

    codes: npt.NDArray[np.integer]
    rows: Ints
    sens: npt.NDArray[np.int32] | None

    @property
    def size(self) -> int:
        """Number of records."""
        return len(self.rows)


@dataclass(eq=False)
class PassOutput:
    """Leaves (published classes before re-derivation) and deferred records of a pass."""

    leaf_rows: Ints
    leaf_sizes: Ints
    deferred: Ints

    @staticmethod
    def combine(outputs: list[PassOutput]) -> PassOutput:
        """Concatenate outputs of disjoint sub-problems."""
        empty = np.zeros(0, dtype=np.int64)
        return PassOutput(
            np.concatenate([o.leaf_rows for o in outputs] or [empty]),
            np.concatenate([o.leaf_sizes for o in outputs] or [empty]),
            np.sort(np.concatenate([o.deferred for o in outputs] or [empty])))


@dataclass(eq=False)
class _State:
    codes: npt.NDArray[np.integer]
    rows: Ints
    sens: npt.NDArray[np.int32] | None
    starts: Ints
    lob: Ints  # (P, d) bounds known to contain each partition's codes
    hib: Ints
    leaves: list[Ints] = field(default_factory=list)
    leaf_sizes: list[Ints] = field(default_factory=list)
    deferred: list[Ints] = field(default_factory=list)


def run_pass(problem: SubProblem, ctx: Context, split_until: int | None = None
             ) -> tuple[PassOutput, list[SubProblem]]:
    """Partition ``problem`` to the leaves.

    With ``split_until``, stop as soon as that many partitions are open and return
    them as independent sub-problems instead (their leaves are then the caller's).
    """
    d = len(ctx.dims)
    n = problem.size
    codes = problem.codes
    lob = np.zeros((1, d), dtype=np.int64)
    hib = np.zeros((1, d), dtype=np.int64)
    if n:
        lob[0] = codes.min(axis=0)
        hib[0] = codes.max(axis=0)
    state = _State(codes, problem.rows.astype(np.int64), problem.sens,
                   np.array([0, n], dtype=np.int64), lob, hib)
    pending: list[SubProblem] = []
    while len(state.starts) > 1:
        _retire_small(state, ctx.evaluator.model.k)
        count = len(state.starts) - 1
        if count == 0:
            break
        if split_until is not None and count >= split_until:
            pending = _as_subproblems(state)
            break
        _level(state, ctx)
    empty = np.zeros(0, dtype=np.int64)
    output = PassOutput(np.concatenate(state.leaves or [empty]),
                        np.concatenate(state.leaf_sizes or [empty]),
                        np.sort(np.concatenate(state.deferred or [empty])))
    return output, pending


def _as_subproblems(state: _State) -> list[SubProblem]:
    s = state.starts
    return [SubProblem(state.codes[s[i]:s[i + 1]], state.rows[s[i]:s[i + 1]],
                       None if state.sens is None else state.sens[s[i]:s[i + 1]])
            for i in range(len(s) - 1)]


def _retire_small(state: _State, k: int) -> None:
    """Partitions of at most k records cannot be cut: publish them as they are."""
    sizes = np.diff(state.starts)
    small = sizes <= k
    if not small.any():
        return
    row_small = np.repeat(small, sizes)
    state.leaves.append(state.rows[row_small])
    state.leaf_sizes.append(sizes[small])
    _keep_partitions(state, ~small, ~row_small)


def _keep_partitions(state: _State, keep: npt.NDArray[np.bool_],
                     row_keep: npt.NDArray[np.bool_]) -> None:
    sizes = np.diff(state.starts)[keep]
    state.codes = state.codes[row_keep]
    state.rows = state.rows[row_keep]
    if state.sens is not None:
        state.sens = state.sens[row_keep]
    state.starts = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=state.starts[1:])
    state.lob = state.lob[keep]
    state.hib = state.hib[keep]


@dataclass(eq=False)
class _Level:
    """One level's partitions, their exact ranges and candidate cuts."""

    sizes: Ints
    pid: Ints
    columns: list[npt.NDArray[np.integer]]  # contiguous copy of each code column
    lo: Ints  # (P, d)
    hi: Ints
    ordered: list[OrderedCuts]
    trees: list[TreeGeometry]
    decisions: list[TreeDecision]


def _level(state: _State, ctx: Context) -> None:
    ev = ctx.evaluator
    k = ev.model.k
    starts = state.starts
    sizes = np.diff(starts)
    count = len(sizes)
    pid = np.repeat(np.arange(count, dtype=np.int64), sizes)
    d = len(ctx.dims)
    lo = np.empty((count, d), dtype=np.int64)
    hi = np.empty((count, d), dtype=np.int64)
    part = np.arange(count, dtype=np.int64)
    ordered: list[OrderedCuts] = []
    trees: list[TreeGeometry] = []
    columns = [np.ascontiguousarray(state.codes[:, j]) for j in range(d)]
    for j, dim in enumerate(ctx.dims):
        ix = build_index(columns[j], pid, starts, state.lob[:, j], state.hib[:, j],
                         dim.cardinality)
        lo[:, j] = ix.code_at(part, np.zeros(count, dtype=np.int64))
        hi[:, j] = ix.code_at(part, sizes - 1)
        if dim.kind is DimKind.TREE:
            assert dim.tree is not None
            trees.append(tree_geometry(j, dim.tree, ix, sizes, lo[:, j], hi[:, j]))
        else:
            ordered.append(ordered_cuts(j, dim, ix, sizes, lo[:, j], hi[:, j], k))
    level = _Level(sizes, pid, columns, lo, hi, ordered, trees, [])
    _evaluate(state, ctx, level)
    _apply(state, ctx, level)


def _chunks(starts: Ints, cells_per_partition: int) -> list[tuple[int, int]]:
    count = len(starts) - 1
    step = max(1, HISTOGRAM_CELLS // max(cells_per_partition, 1))
    return [(p0, min(p0 + step, count)) for p0 in range(0, count, step)]


def _evaluate(state: _State, ctx: Context, level: _Level) -> None:
    """Apply l-diversity / t-closeness to ordered cuts and resolve hierarchy cuts."""
    ev = ctx.evaluator
    count = len(level.sizes)
    decisions: dict[int, list[TreeDecision]] = {g.dim: [] for g in level.trees}
    if not ev.needs_histograms:
        for g in level.trees:
            dim = ctx.dims[g.dim]
            assert dim.tree is not None
            decisions[g.dim].append(resolve_tree(g, 0, count, level.sizes, ev, None,
                                                 ctx.allow_defer, dim.tree, dim.cardinality))
    else:
        widest = max([2] + [int(np.diff(g.pair_start).max(initial=0)) for g in level.trees])
        for p0, p1 in _chunks(state.starts, ev.m * widest):
            _evaluate_chunk(state, ctx, level, p0, p1, decisions)
    level.decisions = [_merge_decisions(decisions[g.dim]) for g in level.trees]


def _merge_decisions(parts: list[TreeDecision]) -> TreeDecision:
    return TreeDecision(np.concatenate([p.gain for p in parts]),
                        np.concatenate([p.parts for p in parts]),
                        np.concatenate([p.pair_target for p in parts]))


def _evaluate_chunk(state: _State, ctx: Context, level: _Level, p0: int, p1: int,
                    decisions: dict[int, list[TreeDecision]]) -> None:
    ev = ctx.evaluator
    m = ev.m
    r0, r1 = int(state.starts[p0]), int(state.starts[p1])
    assert state.sens is not None
    sens = state.sens[r0:r1].astype(np.int64)
    pid = level.pid[r0:r1] - p0
    n = p1 - p0
    sizes = level.sizes[p0:p1]
    cell = pid * m + sens
    parent = np.bincount(cell, minlength=n * m).reshape(n, m)
    has_strict = np.zeros(n, dtype=bool)

    def keep_valid(cuts: OrderedCuts, variant: int, left: npt.NDArray[np.bool_],
                   live: npt.NDArray[np.bool_]) -> None:
        lhist = np.bincount(cell[left], minlength=n * m).reshape(n, m)
        nleft = cuts.left[variant][p0:p1]
        ok = ev.satisfied(lhist, nleft) & ev.satisfied(parent - lhist, sizes - nleft)
        gain = cuts.gain[variant][p0:p1]
        cuts.gain[variant][p0:p1] = np.where(live & ok, gain, NEG)

    for cuts in level.ordered:
        column = level.columns[cuts.dim][r0:r1]
        for variant in range(2):
            live = cuts.gain[variant][p0:p1] > NEG
            if live.any():
                left = live[pid] & (column <= cuts.cut[variant][p0:p1][pid])
                keep_valid(cuts, variant, left, live)
                has_strict |= cuts.gain[variant][p0:p1] > NEG
    for g in level.trees:
        dim = ctx.dims[g.dim]
        assert dim.tree is not None
        q0, q1 = int(g.pair_start[p0]), int(g.pair_start[p1])
        pair = _row_pair(g, dim, level.columns[g.dim][r0:r1], pid + p0)
        inside = pair >= 0
        hist = np.bincount((pair[inside] - q0) * m + sens[inside],
                           minlength=(q1 - q0) * m).reshape(q1 - q0, m)
        decision = resolve_tree(g, p0, p1, level.sizes, ev, hist, ctx.allow_defer, dim.tree,
                                dim.cardinality)
        decisions[g.dim].append(decision)
        has_strict |= decision.gain > NEG
    # Relaxed cuts matter only where no strict cut is acceptable: test those alone.
    for cuts in level.ordered:
        live = (cuts.gain[2][p0:p1] > NEG) & ~has_strict
        cuts.gain[2][p0:p1] = np.where(live, cuts.gain[2][p0:p1], NEG)
        if not live.any():
            continue
        rows = np.flatnonzero(live[pid])
        left_rows = rows[_relaxed_left(level.columns[cuts.dim][r0:r1][rows], pid[rows],
                                       cuts.median[p0:p1], cuts.take[p0:p1])]
        left = np.zeros(len(pid), dtype=bool)
        left[left_rows] = True
        keep_valid(cuts, 2, left, live)


def _relaxed_left(column: npt.NDArray[np.integer], pid: Ints, median: Ints, take: Ints
                  ) -> npt.NDArray[np.bool_]:
    """Of the given rows (whole partitions, sorted by partition), those on the left.

    Left means below the median, or among the first ``take`` rows tied at the median in
    row order.
    """
    med = median[pid]
    tied = column == med
    running = np.cumsum(tied)
    # Ties seen before each partition's first row, to count ties per partition.
    first = np.searchsorted(pid, np.arange(len(median)), side="left")
    before = np.where(first > 0, running[np.maximum(first - 1, 0)], 0)
    rank = running - before[pid]
    return np.asarray((column < med) | (tied & (rank <= take[pid])))


def _row_pair(g: TreeGeometry, dim: Dimension, column: npt.NDArray[np.integer],
              pid: Ints) -> Ints:
    """Index of the (partition, child) pair of each row; -1 when the partition has none."""
    assert dim.tree is not None
    flat = dim.tree.node_id.ravel()
    inner = g.level > 0
    # Per partition: where its children's ids start in the flat table, and its pairs.
    row_offset = np.where(inner, (g.level - 1) * dim.cardinality, 0)
    pair_offset = np.where(inner, g.pair_start[:-1] - g.first, -(1 << 40))
    child = flat[row_offset[pid] + column]
    pair = pair_offset[pid] + child
    return np.where(pair >= 0, pair, -1)


def _apply(state: _State, ctx: Context, level: _Level) -> None:
    """Choose each partition's cut, emit leaves and deferred rows, regroup the rest.

    Candidates are ranked by gain; ties go to the earlier quasi-identifier (the order
    given by the caller), then to the strict cut keeping the median on the right.
    """
    count = len(level.sizes)
    ordered = {c.dim: c for c in level.ordered}
    trees = {g.dim: (g, t) for g, t in zip(level.trees, level.decisions, strict=True)}
    slots: list[tuple[int, int]] = []  # (dimension, variant 0/1 ordered, -1 tree)
    for j in range(len(ctx.dims)):
        slots.extend([(j, 0), (j, 1)] if j in ordered else [(j, -1)])
    strict = [ordered[j].gain[v] if v >= 0 else trees[j][1].gain for j, v in slots]
    spans = [ordered[j].span if v >= 0 else trees[j][0].span for j, v in slots]
    relaxed_dims = [c.dim for c in level.ordered]
    by_span = ctx.cut_choice == "span"
    choice = _best(np.column_stack(strict), np.column_stack(spans) if by_span else None)
    relaxed_choice = np.full(count, -1, dtype=np.int64)
    if relaxed_dims:
        relaxed_spans = np.column_stack([ordered[j].span for j in relaxed_dims])
        best = _best(np.column_stack([ordered[j].gain[2] for j in relaxed_dims]),
                     relaxed_spans if by_span else None)
        relaxed_choice = np.where(choice < 0, best, -1)

    pid = level.pid
    target = np.full(len(pid), -2, dtype=np.int64)
    nparts = np.zeros(count, dtype=np.int64)
    cut_dim = np.full(count, -1, dtype=np.int64)
    left_hi = np.zeros(count, dtype=np.int64)
    right_lo = np.zeros(count, dtype=np.int64)
    for slot, (j, variant) in enumerate(slots):
        chosen = choice == slot
        if not chosen.any():
            continue
        rows = chosen[pid]
        if variant >= 0:
            cuts = ordered[j]
            column = level.columns[j][rows]
            target[rows] = (column > cuts.cut[variant][pid[rows]]).astype(np.int64)
            nparts[chosen] = 2
            cut_dim[chosen] = j
            left_hi[chosen] = cuts.bounds[variant][0][chosen]
            right_lo[chosen] = cuts.bounds[variant][1][chosen]
        else:
            g, decision = trees[j]
            pair = _row_pair(g, ctx.dims[j], level.columns[j][rows], pid[rows])
            target[rows] = decision.pair_target[pair]
            nparts[chosen] = decision.parts[chosen]
    for slot, j in enumerate(relaxed_dims):
        chosen = relaxed_choice == slot
        if not chosen.any():
            continue
        cuts = ordered[j]
        rows = np.flatnonzero(chosen[pid])
        left = _relaxed_left(level.columns[j][rows], pid[rows], cuts.median, cuts.take)
        target[rows] = np.where(left, 0, 1)
        nparts[chosen] = 2
        cut_dim[chosen] = j
        left_hi[chosen] = cuts.median[chosen]
        right_lo[chosen] = cuts.median[chosen]
    _regroup(state, level, target, nparts, cut_dim, left_hi, right_lo)


def _best(gains: Floats, spans: Floats | None) -> Ints:
    """Column of the best acceptable candidate per row (-1 when none).

    By gain (first column on ties), or, with ``spans``, by the widest normalised span
    among acceptable candidates and then by gain.
    """
    count = gains.shape[0]
    acceptable = gains > NEG
    if spans is not None:
        widest = np.where(acceptable, spans, -1.0).max(axis=1, initial=-1.0)
        gains = np.where(acceptable & (spans == widest[:, None]), gains, NEG)
    best = np.argmax(gains, axis=1)
    return np.where(gains[np.arange(count), best] > NEG, best, -1).astype(np.int64)


def _regroup(state: _State, level: _Level, target: Ints, nparts: Ints, cut_dim: Ints,
             left_hi: Ints, right_lo: Ints) -> None:
    sizes = level.sizes
    pid = level.pid
    leaf = nparts == 0
    if leaf.any():
        state.leaves.append(state.rows[target == -2])
        state.leaf_sizes.append(sizes[leaf])
    deferred = target == -1
    if deferred.any():
        state.deferred.append(state.rows[deferred])
    base = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(nparts, out=base[1:])
    going = np.flatnonzero(target >= 0)
    newpid = base[pid[going]] + target[going]
    order = going[np.argsort(newpid, kind="stable")]
    newpid.sort(kind="stable")
    state.codes = state.codes[order]
    state.rows = state.rows[order]
    if state.sens is not None:
        state.sens = state.sens[order]
    total = int(base[-1])
    new_sizes = np.bincount(newpid, minlength=total)
    state.starts = np.zeros(total + 1, dtype=np.int64)
    np.cumsum(new_sizes, out=state.starts[1:])
    owner = np.repeat(np.arange(len(sizes), dtype=np.int64), nparts)
    index = np.arange(total, dtype=np.int64) - base[owner]
    lob = level.lo[owner].copy()
    hib = level.hi[owner].copy()
    split = cut_dim[owner] >= 0
    first_half = split & (index == 0)
    second_half = split & (index == 1)
    lob[second_half, cut_dim[owner][second_half]] = right_lo[owner][second_half]
    hib[first_half, cut_dim[owner][first_half]] = left_hi[owner][first_half]
    state.lob, state.hib = lob, hib
