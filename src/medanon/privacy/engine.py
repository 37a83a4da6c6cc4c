"""Passes of Mondrian over a table, and the record-suppression policy.

Pass 0 partitions every usable record. Where a hierarchy cut leaves a remainder too
small to stand alone, that remainder is *deferred* instead of dragging a whole
well-defined child up to the parent label; the next pass partitions the deferred
records of the whole table together, where they meet similar leftovers from other
branches (the idea of ARX's local recoding, applied to Mondrian). Each pass stands
on a set that satisfies every model. If a pass leaves deferred records that cannot
form an acceptable set on their own, that pass is re-run without deferral, so no
record is ever left over and no suppression is needed for it.

Suppression is used only where no generalisation can help: rows with missing values
(under the ``suppress`` policy) and, for entropy or recursive l-diversity, records
of over-represented sensitive values when the table as a whole is not diverse
enough. Both must fit in the suppression budget, or a :class:`PrivacyError` says why.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from medanon.errors import ConfigurationError, PrivacyError
from medanon.privacy.encode import EncodedTable
from medanon.privacy.models import ModelEvaluator
from medanon.privacy.partition import Context, PassOutput, SubProblem, run_pass

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

# After this many passes the last one runs without deferral, so the loop always ends.
MAX_PASSES = 24

PassRunner = Callable[[SubProblem, Context], PassOutput]


def local_runner(problem: SubProblem, ctx: Context) -> PassOutput:
    """Run a pass in this process."""
    output, _ = run_pass(problem, ctx)
    return output


@dataclass(frozen=True, eq=False)
class Partitioning:
    """Leaves of all passes: the leaf of every row (-1 when suppressed)."""

    leaf_of_row: Ints
    leaf_count: int
    suppressed: Bools
    passes: int


def subproblem(enc: EncodedTable, rows: Ints) -> SubProblem:
    """The encoded records ``rows`` (increasing) as an independent sub-problem."""
    sens = None
    if enc.sensitive is not None:
        sens = enc.sensitive.codes[rows]
    return SubProblem(enc.codes[rows], rows, sens)


def acceptable(enc: EncodedTable, ev: ModelEvaluator, rows: Ints) -> bool:
    """Whether the records ``rows`` taken as one class satisfy every model."""
    counts = None
    if ev.needs_histograms:
        assert enc.sensitive is not None
        counts = np.bincount(enc.sensitive.codes[rows], minlength=ev.m)[None, :]
    return bool(ev.satisfied(counts, np.array([len(rows)]))[0])


def partition_table(enc: EncodedTable, ev: ModelEvaluator, max_suppressed: int,
                    runner: PassRunner = local_runner, deferral: bool = True,
                    cut_choice: str = "gain") -> Partitioning:
    """Partition every record of ``enc`` into acceptable leaves, suppressing within budget.

    ``deferral=False`` runs plain Mondrian in a single pass (small remainders absorb the
    smallest acceptable children instead of being deferred). ``cut_choice="span"``
    takes the acceptable cut of the widest normalised span (LeFevre's rule) instead of
    the one with the largest gain.
    """
    if cut_choice not in ("gain", "span"):
        raise ConfigurationError(f"cut choice must be gain or span, got {cut_choice!r}")
    n = enc.size
    suppressed = enc.missing.copy()
    budget = max_suppressed - int(suppressed.sum())
    if budget < 0:
        raise PrivacyError(
            f"{int(suppressed.sum())} rows have missing values and would be suppressed, "
            f"but the suppression budget allows {max_suppressed}; raise --max-suppression "
            "or fill the values")
    active = np.flatnonzero(~suppressed).astype(np.int64)
    k = ev.model.k
    if len(active) < k:
        raise PrivacyError(f"k = {k} is larger than the table ({len(active)} usable records)")
    if not acceptable(enc, ev, active):
        extra = _suppress_for_diversity(enc, ev, active, budget)
        suppressed[extra] = True
        active = np.flatnonzero(~suppressed).astype(np.int64)
    leaf_of_row = np.full(n, -1, dtype=np.int64)
    leaves = 0
    pending = active
    passes = 0
    for number in range(MAX_PASSES):
        passes = number + 1
        ctx = Context(tuple(enc.dims), ev, deferral and number < MAX_PASSES - 1, cut_choice)
        output = runner(subproblem(enc, pending), ctx)
        if len(output.deferred) and not acceptable(enc, ev, output.deferred):
            ctx = Context(tuple(enc.dims), ev, False, cut_choice)
            output = runner(subproblem(enc, pending), ctx)
        leaf_ids = np.repeat(np.arange(len(output.leaf_sizes), dtype=np.int64),
                             output.leaf_sizes) + leaves
        leaf_of_row[output.leaf_rows] = leaf_ids
        leaves += len(output.leaf_sizes)
        if len(output.deferred) == 0:
            break
        pending = output.deferred
    return Partitioning(leaf_of_row, leaves, suppressed, passes)


def _suppress_for_diversity(enc: EncodedTable, ev: ModelEvaluator, active: Ints,
                            budget: int) -> Ints:
    """Fewest records to suppress so that the remaining table is diverse enough.

    Only entropy and recursive l-diversity can be rescued this way (by thinning the
    most frequent sensitive values); the records taken are those whose quasi-
    identifier combination is rarest, so the rest of the table generalises better.
    """
    model = ev.model
    reason = _infeasible_reason(enc, ev, active)
    if model.l is None or model.l_model == "distinct" or model.t is not None \
            or enc.sensitive is None:
        raise PrivacyError(reason)
    codes = enc.sensitive.codes[active]
    counts = np.bincount(codes, minlength=ev.m)
    low, high = 0, int(counts.max())
    while low < high:  # largest cap keeping the capped distribution acceptable
        cap = (low + high + 1) // 2
        capped = np.minimum(counts, cap)
        if ev.satisfied(capped[None, :], np.array([capped.sum()]))[0]:
            low = cap
        else:
            high = cap - 1
    if low == 0:
        raise PrivacyError(reason)
    excess = np.maximum(counts - low, 0)
    needed = int(excess.sum())
    if needed > budget:
        raise PrivacyError(
            f"{reason}; suppressing {needed} records of its most frequent values would fix "
            f"it, but the suppression budget leaves {max(budget, 0)}")
    _, inverse, tuple_counts = np.unique(enc.codes[active], axis=0, return_inverse=True,
                                         return_counts=True)
    rarity = tuple_counts[inverse.ravel()]
    order = np.lexsort((active, rarity, codes))
    sorted_codes = codes[order]
    rank = np.arange(len(order)) - np.searchsorted(sorted_codes, sorted_codes, side="left")
    take = rank < excess[sorted_codes]
    return np.sort(active[order[take]])


def _infeasible_reason(enc: EncodedTable, ev: ModelEvaluator, active: Ints) -> str:
    model = ev.model
    if model.l is not None and enc.sensitive is not None:
        distinct = len(np.unique(enc.sensitive.codes[active]))
        if model.l_model == "distinct" and distinct < model.l:
            return (f"l = {model.l:g} is impossible: column {enc.sensitive.name!r} has only "
                    f"{distinct} distinct values")
        if model.l_model == "entropy":
            return (f"entropy l-diversity with l = {model.l:g} needs the whole table's "
                    f"sensitive entropy to reach log(l) = {math.log(model.l):.3f}")
        return (f"recursive ({model.c:g},{model.l:g})-diversity does not hold for the "
                "table as a whole")
    return "the table as a whole does not satisfy the privacy models"
