"""A slow, obvious implementation of the engine's algorithm, one partition at a time.

It follows the rules written in ``medanon.privacy.cuts`` and ``engine`` with plain
Python loops and sorted lists, sharing only the encoded input (codes, value tables,
hierarchy tables) and the model evaluator with the engine. Comparing its leaves with
the vectorised engine's on small random tables checks the vectorisation: ranks,
histograms, chunking, regrouping and deferral.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from medanon.privacy.encode import Dimension, DimKind, EncodedTable
from medanon.privacy.engine import MAX_PASSES
from medanon.privacy.models import ModelEvaluator

NEG = float("-inf")


@dataclass
class Cut:
    gain: float
    parts: list[list[int]]
    deferred: list[int]
    span: float = -1.0
    dim: int = -1


class Reference:
    def __init__(self, enc: EncodedTable, ev: ModelEvaluator, deferral: bool = True,
                 cut_choice: str = "gain") -> None:
        self.enc = enc
        self.ev = ev
        self.deferral = deferral
        self.cut_choice = cut_choice
        self.k = ev.model.k
        self.codes = enc.codes.astype(np.int64)
        self.sens = None if enc.sensitive is None else enc.sensitive.codes.astype(np.int64)

    # -- models -------------------------------------------------------------------
    def ok(self, rows: list[int]) -> bool:
        counts = None
        if self.ev.needs_histograms:
            assert self.sens is not None
            counts = np.bincount(self.sens[rows], minlength=self.ev.m)[None, :]
        return bool(self.ev.satisfied(counts, np.array([len(rows)]))[0])

    # -- losses -------------------------------------------------------------------
    def loss(self, dim: Dimension, j: int, rows: list[int]) -> float:
        col = self.codes[rows, j]
        count = len(rows)
        if dim.kind is DimKind.NUMERIC:
            span = dim.value_range
            if span == 0:
                return 0.0
            return count * ((float(dim.values[col.max()]) - float(dim.values[col.min()])) / span)
        denominator = dim.cardinality - 1
        if denominator == 0:
            return 0.0
        return count * (len(set(col.tolist())) - 1) / denominator

    def cover(self, dim: Dimension, codes: list[int]) -> int:
        assert dim.tree is not None
        level, node = dim.tree.lca(np.array([min(codes)]), np.array([max(codes)]))
        return int(dim.tree.cover[level[0], node[0]])

    # -- cuts ---------------------------------------------------------------------
    def ordered(self, dim: Dimension, j: int, rows: list[int]
                ) -> tuple[list[Cut | None], Cut | None]:
        col = {r: int(self.codes[r, j]) for r in rows}
        values = sorted(col.values())
        n = len(rows)
        lo, hi = values[0], values[-1]
        if lo == hi:
            return [None, None], None
        mid = n // 2
        m = values[mid]
        below = sum(1 for v in values if v < m)
        upto = sum(1 for v in values if v <= m)
        whole = self.loss(dim, j, rows)
        strict: list[Cut | None] = []
        for count, inclusive in ((below, False), (upto, True)):
            if count == 0 or count == n:
                strict.append(None)
                continue
            left = [r for r in rows if (col[r] <= m if inclusive else col[r] < m)]
            right = [r for r in rows if r not in set(left)]
            if len(left) < self.k or len(right) < self.k or not (self.ok(left) and self.ok(right)):
                strict.append(None)
                continue
            gain = (whole - self.loss(dim, j, left)) - self.loss(dim, j, right)
            strict.append(Cut(gain, [left, right], []))
        relaxed = None
        if below < mid:
            take = mid - below
            tied = [r for r in rows if col[r] == m][:take]
            left = [r for r in rows if col[r] < m or r in set(tied)]
            right = [r for r in rows if r not in set(left)]
            if len(left) >= self.k and len(right) >= self.k and self.ok(left) and self.ok(right):
                gain = (whole - self.loss(dim, j, left)) - self.loss(dim, j, right)
                relaxed = Cut(gain, [left, right], [])
        return strict, relaxed

    def tree(self, dim: Dimension, j: int, rows: list[int], allow_defer: bool) -> Cut | None:
        tree = dim.tree
        assert tree is not None
        col = {r: int(self.codes[r, j]) for r in rows}
        lo, hi = min(col.values()), max(col.values())
        level, node = (int(a[0]) for a in tree.lca(np.array([lo]), np.array([hi])))
        if level == 0:
            return None
        first = int(tree.child_first[level, node])
        count = int(tree.child_count[level, node])
        children = []
        for child in range(first, first + count):
            members = [r for r in rows if int(tree.node_id[level - 1, col[r]]) == child]
            children.append(members)
        present = [c for c in children if c]
        valid = [c for c in present if self.ok(c)]
        pooled = [c for c in present if not self.ok(c)]
        pool_rows = sorted(r for c in pooled for r in c)
        deferred: list[int] = []
        if not pooled:
            kept, pool_children = valid, []
        elif allow_defer and len(pool_rows) < self.k and valid:
            kept, pool_children, deferred = valid, [], pool_rows
        elif valid:
            if self.ok(pool_rows):
                absorbed = 0
            else:
                absorbed = None
                by_size = sorted(valid, key=lambda c: (len(c), children.index(c)))
                for r in range(1, len(valid)):
                    grown = pool_rows + [x for c in by_size[:r] for x in c]
                    if self.ok(grown):
                        absorbed = r
                        break
                if absorbed is None:
                    return None
            by_size = sorted(valid, key=lambda c: (len(c), children.index(c)))
            joined = by_size[:absorbed]
            kept = [c for c in valid if not any(c is x for x in joined)]
            pool_children = pooled + joined
        else:
            return None
        parts = [sorted(c) for c in kept]
        if pool_children:
            parts.append(sorted(r for c in pool_children for r in c))
        if len(parts) + (1 if deferred else 0) < 2 and not deferred:
            return None
        whole_cover = self.cover(dim, [lo, hi])
        kept_loss = 0
        for c in kept:
            kept_loss += len(c) * (self.cover(dim, [col[r] for r in c]) - 1)
        pool_total = sum(len(c) for c in pool_children)
        if len(pool_children) >= 2:
            pool_cover = whole_cover
        elif pool_children:
            pool_cover = self.cover(dim, [col[r] for r in pool_children[0]])
        else:
            pool_cover = 0
        numerator = (len(rows) * (whole_cover - 1) - kept_loss) - pool_total * (pool_cover - 1)
        gain = numerator / max(dim.cardinality - 1, 1)
        return Cut(gain, parts, deferred)

    # -- driver -------------------------------------------------------------------
    def split(self, rows: list[int], allow_defer: bool) -> Cut | None:
        if len(rows) <= self.k:
            return None
        strict: list[Cut | None] = []
        relaxed: list[Cut | None] = []
        for j, dim in enumerate(self.enc.dims):
            if dim.kind is DimKind.TREE:
                strict.append(self.tree(dim, j, rows, allow_defer))
            else:
                pair, loose = self.ordered(dim, j, rows)
                strict.extend(pair)
                relaxed.append(loose)
            for cut in (strict[-1], relaxed[-1] if relaxed else None,
                        strict[-2] if len(strict) > 1 else None):
                if cut is not None and cut.dim < 0:
                    cut.dim = j
        for j, dim in enumerate(self.enc.dims):  # the partition's span in each dimension
            span = self.span(dim, j, rows)
            for cut in (*strict, *relaxed):
                if cut is not None and cut.span < 0 and cut.dim == j:
                    cut.span = span
        for family in (strict, relaxed):
            best = None
            for cut in family:
                if cut is None:
                    continue
                if best is None:
                    best = cut
                elif self.cut_choice == "span" and cut.span != best.span:
                    if cut.span > best.span:
                        best = cut
                elif cut.gain > best.gain:
                    best = cut
            if best is not None:
                return best
        return None

    def span(self, dim: Dimension, j: int, rows: list[int]) -> float:
        col = self.codes[rows, j]
        if dim.kind is DimKind.TREE:
            assert dim.tree is not None
            level, node = dim.tree.lca(np.array([col.min()]), np.array([col.max()]))
            return float(dim.tree.ncp[level[0], node[0]])
        return self.loss(dim, j, rows) / len(rows)

    def run_pass(self, rows: list[int], allow_defer: bool) -> tuple[list[list[int]], list[int]]:
        leaves: list[list[int]] = []
        deferred: list[int] = []
        stack = [sorted(rows)]
        while stack:
            part = stack.pop()
            cut = self.split(part, allow_defer)
            if cut is None:
                leaves.append(part)
                continue
            deferred.extend(cut.deferred)
            stack.extend(cut.parts)
        return leaves, sorted(deferred)

    def partition(self, rows: list[int]) -> list[list[int]]:
        leaves: list[list[int]] = []
        pending = sorted(rows)
        for number in range(MAX_PASSES):
            allow = self.deferral and number < MAX_PASSES - 1
            found, deferred = self.run_pass(pending, allow)
            if deferred and not self.ok(deferred):
                found, deferred = self.run_pass(pending, False)
            leaves.extend(found)
            if not deferred:
                break
            pending = deferred
        return leaves
