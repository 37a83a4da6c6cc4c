"""Exact distinct counts of 64-bit value digests, at eight bytes per distinct value.

A collection of a million files holds a million SOP Instance UIDs, and a few other
attributes are unique per file too. A Python set of ints costs about 70 bytes per member;
digests kept in sorted numpy arrays cost eight. New digests wait in a small list and
are folded in (``np.union1d``) when it fills, so adding stays cheap. Past ``LIMIT``
distinct values an attribute stops storing more and its count becomes a lower bound
(``exact`` is then False): a census does not need to tell ten million from eleven.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

LIMIT = 1 << 22  # distinct values kept per counter (32 MiB of digests at most)
FOLD_AT = 4096  # pending digests folded into the sorted array at once


def digest(data: bytes) -> int:
    """A 64-bit digest of ``data`` (unkeyed: it only ever lives in memory)."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


class DistinctCounter:
    """Counts distinct 64-bit digests exactly, up to ``LIMIT``; mergeable and picklable."""

    __slots__ = ("_pending", "_sorted", "exact")

    def __init__(self) -> None:
        self._sorted: npt.NDArray[np.uint64] = np.empty(0, dtype=np.uint64)
        self._pending: list[int] = []
        self.exact = True

    def add(self, digest: int) -> None:
        """Count one digest (an unsigned 64-bit int)."""
        self._pending.append(digest)
        if len(self._pending) >= FOLD_AT:
            self._fold()

    def update(self, digests: Iterable[int]) -> None:
        """Count many digests."""
        self._pending.extend(digests)
        if len(self._pending) >= FOLD_AT:
            self._fold()

    def merge(self, other: DistinctCounter) -> None:
        """Count every digest ``other`` counted (``other`` is left as it was)."""
        other._fold()
        self._fold()
        self._store(np.union1d(self._sorted, other._sorted))
        self.exact = self.exact and other.exact

    def __len__(self) -> int:
        self._fold()
        return int(self._sorted.size)

    def _fold(self) -> None:
        if not self._pending:
            return
        pending = np.fromiter(self._pending, dtype=np.uint64, count=len(self._pending))
        self._pending = []
        self._store(np.union1d(self._sorted, pending))

    def _store(self, merged: npt.NDArray[np.uint64]) -> None:
        if merged.size > LIMIT:
            merged = merged[:LIMIT]  # the smallest digests: any fixed choice would do
            self.exact = False
        self._sorted = merged

    def __getstate__(self) -> tuple[npt.NDArray[np.uint64], bool]:
        self._fold()
        return self._sorted, self.exact

    def __setstate__(self, state: tuple[npt.NDArray[np.uint64], bool]) -> None:
        self._sorted, self.exact = state
        self._pending = []
