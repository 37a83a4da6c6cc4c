"""Definitions straight from the papers, for small inputs: no shortcuts, exact arithmetic."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from fractions import Fraction


def emd_exact(p: Sequence[Fraction], q: Sequence[Fraction],
              dist: Sequence[Sequence[Fraction]]) -> Fraction:
    """Earth Mover's Distance by min-cost flow (successive shortest paths, exact)."""
    m = len(p)
    supply = [max(p[i] - q[i], Fraction(0)) for i in range(m)]
    demand = [max(q[i] - p[i], Fraction(0)) for i in range(m)]
    # Residual flows on edges source i -> sink j (unbounded capacity), costs dist[i][j].
    flow = [[Fraction(0)] * m for _ in range(m)]
    total = Fraction(0)
    while any(s > 0 for s in supply):
        # Bellman-Ford over nodes: sources 0..m-1, sinks m..2m-1.
        best: list[Fraction | None] = [None] * (2 * m)
        prev: list[int | None] = [None] * (2 * m)
        for i in range(m):
            if supply[i] > 0:
                best[i] = Fraction(0)
        for _ in range(2 * m):
            changed = False
            for i in range(m):
                for j in range(m):
                    bi, bj = best[i], best[m + j]
                    if bi is not None and (bj is None or bi + dist[i][j] < bj):
                        best[m + j], prev[m + j] = bi + dist[i][j], i
                        changed = True
                    if flow[i][j] > 0 and bj is not None and (
                            best[i] is None or bj - dist[i][j] < best[i]):
                        best[i], prev[i] = bj - dist[i][j], m + j
                        changed = True
            if not changed:
                break
        target = min((j for j in range(m) if demand[j] > 0 and best[m + j] is not None),
                     key=lambda j: best[m + j])  # type: ignore[arg-type,return-value]
        path = [m + target]
        while prev[path[-1]] is not None and not (path[-1] < m and supply[path[-1]] > 0
                                                  and best[path[-1]] == 0):
            path.append(prev[path[-1]])  # type: ignore[arg-type]
        path.reverse()
        amount = min(supply[path[0]], demand[target])
        for a, b in zip(path, path[1:], strict=False):
            if a >= m:  # a backward step along sink -> source: limited by its flow
                amount = min(amount, flow[b][a - m])
        for a, b in zip(path, path[1:], strict=False):
            if a < m:
                flow[a][b - m] += amount
                total += amount * dist[a][b - m]
            else:
                flow[b][a - m] -= amount
                total -= amount * dist[b][a - m]
        supply[path[0]] -= amount
        demand[target] -= amount
    return total


def equal_distance(m: int) -> list[list[Fraction]]:
    return [[Fraction(0 if i == j else 1) for j in range(m)] for i in range(m)]


def ordered_distance(m: int) -> list[list[Fraction]]:
    return [[Fraction(abs(i - j), max(m - 1, 1)) for j in range(m)] for i in range(m)]


def hierarchical_distance(paths: Sequence[Sequence[str]]) -> list[list[Fraction]]:
    """level(lowest common ancestor) / height, paths leaf-first, equal lengths."""
    height = len(paths[0]) - 1
    out = []
    for a in paths:
        row = []
        for b in paths:
            level = next(i for i in range(len(a)) if a[i] == b[i])
            row.append(Fraction(level, height) if height else Fraction(0))
        out.append(row)
    return out


def distinct_ok(values: Sequence[str], l: int) -> bool:  # noqa: E741
    return len(set(values)) >= l


def entropy_ok(values: Sequence[str], l: float) -> bool:  # noqa: E741
    n = len(values)
    h = -sum(c / n * math.log(c / n) for c in Counter(values).values())
    return h >= math.log(l) - 1e-9


def recursive_ok(values: Sequence[str], c: float, l: int) -> bool:  # noqa: E741
    r = sorted(Counter(values).values(), reverse=True)
    if len(r) < l:
        return False
    return r[0] < c * sum(r[l - 1:])


def distribution(values: Sequence[str], labels: Sequence[str]) -> list[Fraction]:
    counts = Counter(values)
    return [Fraction(counts.get(v, 0), len(values)) for v in labels]
