"""Order statistics of one quasi-identifier within every partition of a level, at once.

Everything a cut needs (range, median, how many records lie at or below a value,
how many distinct values) reduces to three questions per partition: how many of
its records have a code <= x, which code has rank r, and how many distinct codes
are <= x. Two exact implementations answer them for all partitions together:

* :class:`HistIndex` - a flat histogram over each partition's code range; one
  ``bincount`` and one ``cumsum``, O(n + bins). Used when ranges are narrow.
* :class:`SortIndex` - a stable sort on (partition, code); O(n log n). Used for
  columns with many distinct values (a continuous weight, a timestamp), whose
  histograms would not fit.

Both rely on the records of a partition being contiguous (``starts``).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]


class RankIndex(Protocol):
    """Per-partition order statistics of one column (all arguments are arrays)."""

    def count_le(self, part: Ints, x: Ints) -> Ints:
        """Records of partition ``part`` with code <= ``x``."""
        ...

    def code_at(self, part: Ints, rank: Ints) -> Ints:
        """Code of the record of rank ``rank`` (0-based, by code) in ``part``."""
        ...

    def distinct_le(self, part: Ints, x: Ints) -> Ints:
        """Distinct codes <= ``x`` in ``part``."""
        ...


class HistIndex:
    """Exact order statistics from a flat per-partition histogram."""

    def __init__(self, column: npt.NDArray[np.integer], pid: Ints, starts: Ints,
                 lob: Ints, hib: Ints) -> None:
        span = hib - lob + 1
        base = np.zeros(len(span) + 1, dtype=np.int64)
        np.cumsum(span, out=base[1:])
        offset = base[:-1] - lob
        index = offset[pid] + column
        hist = np.bincount(index, minlength=int(base[-1]))
        cum = np.zeros(len(hist) + 1, dtype=np.int64)
        np.cumsum(hist, out=cum[1:])
        self._hist, self._base, self._cum = hist, base, cum
        self._nonzero: Ints | None = None  # built on first use (set-valued columns only)
        self._starts, self._lob, self._hib = starts, lob, hib

    def _bin_after(self, part: Ints, x: Ints) -> Ints:
        clipped = np.clip(x, self._lob[part] - 1, self._hib[part])
        return np.asarray(self._base[part] + (clipped - self._lob[part]) + 1, dtype=np.int64)

    def count_le(self, part: Ints, x: Ints) -> Ints:  # noqa: D102
        return np.asarray(self._cum[self._bin_after(part, x)] - self._starts[part],
                          dtype=np.int64)

    def code_at(self, part: Ints, rank: Ints) -> Ints:  # noqa: D102
        target = self._starts[part] + rank
        position = np.searchsorted(self._cum, target, side="right") - 1
        return np.asarray(position - self._base[part] + self._lob[part], dtype=np.int64)

    def distinct_le(self, part: Ints, x: Ints) -> Ints:  # noqa: D102
        if self._nonzero is None:
            self._nonzero = np.zeros(len(self._hist) + 1, dtype=np.int64)
            np.cumsum(self._hist > 0, out=self._nonzero[1:])
        return np.asarray(self._nonzero[self._bin_after(part, x)]
                          - self._nonzero[self._base[part]], dtype=np.int64)


class SortIndex:
    """Exact order statistics from a stable sort on (partition, code)."""

    def __init__(self, column: npt.NDArray[np.integer], pid: Ints, starts: Ints,
                 cardinality: int) -> None:
        self._card = np.int64(max(cardinality, 1))
        key = pid * self._card + column.astype(np.int64)
        key.sort(kind="stable")
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        distinct = np.zeros(len(key) + 1, dtype=np.int64)
        np.cumsum(first, out=distinct[1:])
        self._keys, self._distinct, self._starts = key, distinct, starts

    def count_le(self, part: Ints, x: Ints) -> Ints:  # noqa: D102
        clipped = np.clip(x, -1, self._card - 1)
        found = np.searchsorted(self._keys, part * self._card + clipped, side="right")
        return np.asarray(found - self._starts[part], dtype=np.int64)

    def code_at(self, part: Ints, rank: Ints) -> Ints:  # noqa: D102
        return np.asarray(self._keys[self._starts[part] + rank] - part * self._card,
                          dtype=np.int64)

    def distinct_le(self, part: Ints, x: Ints) -> Ints:  # noqa: D102
        upto = self._starts[part] + self.count_le(part, x)
        return np.asarray(self._distinct[upto] - self._distinct[self._starts[part]],
                          dtype=np.int64)


def build_index(column: npt.NDArray[np.integer], pid: Ints, starts: Ints, lob: Ints,
                hib: Ints, cardinality: int) -> RankIndex:
    """A histogram index when the partitions' ranges are narrow enough, else a sort index."""
    bins = int((hib - lob + 1).sum())
    if bins <= 4 * len(column) + 4096:
        return HistIndex(column, pid, starts, lob, hib)
    return SortIndex(column, pid, starts, cardinality)
