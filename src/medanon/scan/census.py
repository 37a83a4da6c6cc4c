"""The attribute census: every attribute seen, in how many files, with how many values.

Workers fold their files into a :class:`CensusPart` (sets of value bytes, cheap to add
to), seal it into digests before sending it, and the coordinator merges the parts into a
:class:`Census` whose distinct counts are exact :class:`DistinctCounter` s. Values never
reach the coordinator unless a reviewer asked for them (``--values``): then each
attribute keeps up to ``VALUES_PER_ATTRIBUTE`` distinct decoded values, with the number
of files that carry each.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from operator import itemgetter
from typing import TYPE_CHECKING

from medanon.scan.distinct import DistinctCounter, digest
from medanon.scan.record import Attribute, AttributeKey

if TYPE_CHECKING:
    from medanon.scan.attributes import Observation, Value

VALUES_PER_ATTRIBUTE = 10_000  # distinct values a --values file lists per attribute
_first = itemgetter(0)


class CensusPart:
    """A worker's census of a batch of files.

    Folding a file in is two C-level set operations, not a Python loop per element: the
    file's distinct attribute keys are counted, and its (attribute, value bytes) pairs
    join one set. Values are grouped by attribute and digested once per batch, so an
    attribute whose value every file of a series repeats costs one digest, not one per file.
    """

    __slots__ = ("files", "pairs", "reviewed")

    def __init__(self) -> None:
        self.files: Counter[Attribute] = Counter()
        self.pairs: set[Observation] = set()
        self.reviewed: dict[Attribute, dict[str, int]] = {}

    def add(self, observations: Iterable[Observation], values: Iterable[Value]) -> None:
        """Fold one file's observations (and decoded values, if collected) in."""
        observations = list(observations)
        self.files.update(set(map(_first, observations)))
        self.pairs.update(observations)
        if values:
            _count_values(self.reviewed, values)

    def seal(self) -> SealedCensus:
        """The part as the coordinator receives it: value bytes replaced by digests."""
        digests: dict[AttributeKey, list[int]] = {}
        for attribute, value in self.pairs:
            if value is not None:
                digests.setdefault(attribute.key, []).append(digest(value))
        return SealedCensus({a.key: n for a, n in self.files.items()}, digests,
                            {a.key: counts for a, counts in self.reviewed.items()})


class SealedCensus:
    """A census part ready to travel: counts, value digests, reviewed values."""

    __slots__ = ("digests", "files", "reviewed")

    def __init__(self, files: dict[AttributeKey, int], digests: dict[AttributeKey, list[int]],
                 reviewed: dict[AttributeKey, dict[str, int]]) -> None:
        self.files = files
        self.digests = digests
        self.reviewed = reviewed

    def __getstate__(self) -> tuple[object, ...]:
        return self.files, self.digests, self.reviewed

    def __setstate__(self, state: tuple[object, ...]) -> None:
        self.files, self.digests, self.reviewed = state  # type: ignore[assignment]


class Census:
    """The whole collection's census (the coordinator's)."""

    def __init__(self) -> None:
        self.files: dict[AttributeKey, int] = {}
        self.distinct: dict[AttributeKey, DistinctCounter] = {}
        self.reviewed: dict[AttributeKey, dict[str, int]] = {}

    def merge(self, part: SealedCensus) -> None:
        """Add a worker's sealed part."""
        for key, count in part.files.items():
            self.files[key] = self.files.get(key, 0) + count
        for key, digests in part.digests.items():
            counter = self.distinct.get(key)
            if counter is None:
                counter = self.distinct[key] = DistinctCounter()
            counter.update(digests)
        for key, counts in part.reviewed.items():
            target = self.reviewed.setdefault(key, {})
            for value, files in counts.items():
                if value in target:
                    target[value] += files
                elif len(target) < VALUES_PER_ATTRIBUTE:
                    target[value] = files

    def distinct_count(self, key: AttributeKey) -> tuple[int | None, bool]:
        """How many distinct values ``key`` has (None for a sequence), and whether exactly."""
        counter = self.distinct.get(key)
        if counter is None:
            return (None, True) if key[1] == "SQ" else (0, True)
        return len(counter), counter.exact


def _count_values(reviewed: dict[Attribute, dict[str, int]], values: Iterable[Value]
                  ) -> None:
    """Count each decoded value once per file it appears in."""
    for key, text in set(values):
        counts = reviewed.setdefault(key, {})
        if text in counts:
            counts[text] += 1
        elif len(counts) < VALUES_PER_ATTRIBUTE:
            counts[text] = 1
