"""Generalisation hierarchies in ARX's CSV format.

One row per original value: column 0 is the value, column j its generalisation at
level j, the last column the root (usually ``*``). The engine cuts a categorical
quasi-identifier along these subtrees and publishes a node's label, so the file must
describe a real tree: every value once, every node with a single parent, and a label
naming one group of values only (otherwise a published label would be ambiguous).
Hierarchy labels are not personal data, so error messages may quote them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from medanon.errors import ConfigurationError

ROOT_LABEL = "*"


@dataclass(frozen=True)
class Hierarchy:
    """A validated generalisation tree; an instance that exists is a consistent tree.

    Parameters
    ----------
    rows
        One tuple per leaf: the leaf value first, then its ancestors up to the root.
        All rows have the same length. When the top level has more than one node an
        implicit root ``*`` is added, so every hierarchy has a single root.
    source
        Where the rows came from (a file name), used in error messages only.
    """

    rows: tuple[tuple[str, ...], ...]
    source: str = "hierarchy"
    _leaf_index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        rows = tuple(tuple(str(cell).strip() for cell in row) for row in self.rows)
        if not rows:
            raise ConfigurationError(f"hierarchy {self.source} is empty")
        depth = len(rows[0])
        for number, row in enumerate(rows, start=1):
            if len(row) != depth:
                raise ConfigurationError(
                    f"hierarchy {self.source}: row {number} has {len(row)} levels, "
                    f"row 1 has {depth}; every value needs the same number of levels")
            if any(cell == "" for cell in row):
                raise ConfigurationError(
                    f"hierarchy {self.source}: row {number} has an empty cell")
        if len({row[-1] for row in rows}) > 1 or depth == 1:
            rows = tuple((*row, ROOT_LABEL) for row in rows)
        leaf_index: dict[str, int] = {}
        for number, row in enumerate(rows, start=1):
            if row[0] in leaf_index:
                raise ConfigurationError(
                    f"hierarchy {self.source}: value {row[0]!r} appears twice "
                    f"(rows {leaf_index[row[0]] + 1} and {number})")
            leaf_index[row[0]] = number - 1
        _check_tree(rows, self.source)
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "_leaf_index", leaf_index)

    @property
    def depth(self) -> int:
        """Number of levels including the leaves and the root."""
        return len(self.rows[0])

    @property
    def leaves(self) -> tuple[str, ...]:
        """The original values, in file order."""
        return tuple(row[0] for row in self.rows)

    def __contains__(self, value: object) -> bool:
        return value in self._leaf_index

    def path(self, leaf: str) -> tuple[str, ...]:
        """The leaf and its ancestors up to the root."""
        return self.rows[self._leaf_index[leaf]]

    def dfs_order(self) -> list[int]:
        """Row indices ordered so that every node's leaves are contiguous.

        Siblings keep the order in which they first appear in the file, so the order
        is stable and follows the author's intent (age bands stay in age order).
        """
        first_seen: list[dict[str, int]] = [{} for _ in range(self.depth)]
        for row in self.rows:
            for level, label in enumerate(row):
                first_seen[level].setdefault(label, len(first_seen[level]))
        top_down = range(self.depth - 1, -1, -1)
        return sorted(range(len(self.rows)),
                      key=lambda i: tuple(first_seen[j][self.rows[i][j]] for j in top_down))


def _check_tree(rows: Sequence[tuple[str, ...]], source: str) -> None:
    """Every node has one parent, and one label never names two different groups."""
    depth = len(rows[0])
    parent: dict[tuple[int, str], str] = {}
    for row in rows:
        for level in range(depth - 1):
            key = (level, row[level])
            seen = parent.setdefault(key, row[level + 1])
            if seen != row[level + 1]:
                raise ConfigurationError(
                    f"hierarchy {source}: {row[level]!r} at level {level} has two parents, "
                    f"{seen!r} and {row[level + 1]!r}")
    by_node: dict[tuple[int, str], set[str]] = {}
    for row in rows:
        for level, label in enumerate(row):
            by_node.setdefault((level, label), set()).add(row[0])
    groups: dict[str, frozenset[str]] = {}
    for (_, label), leaves in by_node.items():
        group = frozenset(leaves)
        if groups.setdefault(label, group) != group:
            raise ConfigurationError(
                f"hierarchy {source}: label {label!r} names two different groups of "
                "values at different levels; a published label would be ambiguous")


def parse_hierarchy(text: str, source: str = "hierarchy") -> Hierarchy:
    """Parse ARX hierarchy text: ``;``-separated (``,`` or tab also accepted), no header."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ConfigurationError(f"hierarchy {source} is empty")
    delimiter = ";"
    if ";" not in lines[0]:
        delimiter = "\t" if "\t" in lines[0] else ","
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    return Hierarchy(tuple(tuple(row) for row in reader), source=source)


def load_hierarchy(path: str | Path) -> Hierarchy:
    """Read an ARX-format hierarchy CSV file.

    Raises
    ------
    ConfigurationError
        The file cannot be read or does not describe a consistent tree; the message
        names the file and the offending value or row.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read hierarchy {path}: {exc}") from None
    return parse_hierarchy(text, source=path.name)


def hierarchy_from_mapping(paths: Iterable[Sequence[str]], source: str = "hierarchy") -> Hierarchy:
    """Build a hierarchy from in-memory rows (leaf first, root last)."""
    return Hierarchy(tuple(tuple(str(cell) for cell in row) for row in paths), source=source)
