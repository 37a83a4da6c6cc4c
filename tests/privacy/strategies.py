"""Hypothesis strategies: small random tables with numeric, set and hierarchy QIs."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
from hypothesis import strategies as st

from medanon.privacy.hierarchy import Hierarchy


@dataclass
class RandomTable:
    table: pa.Table
    qi: list[str]
    sensitive: str
    hierarchies: dict[str, Hierarchy] = field(default_factory=dict)


@st.composite
def hierarchies(draw: st.DrawFn, leaves: list[str], name: str) -> Hierarchy:
    """A random balanced tree over ``leaves`` with 2 or 3 levels above them."""
    levels = draw(st.integers(1, 2))
    rows = [[leaf] for leaf in leaves]
    groups = len(leaves)
    for level in range(levels):
        groups = max(1, draw(st.integers(1, max(1, groups - 1))) if groups > 1 else 1)
        tops = sorted({r[-1] for r in rows})
        assignment = [draw(st.integers(0, groups - 1)) for _ in tops]
        parents = {}
        for label, group in zip(tops, assignment, strict=True):
            parents[label] = f"{name}L{level + 1}G{group}"
        rows = [[*r, parents[r[-1]]] for r in rows]
    return Hierarchy(tuple(tuple(r) for r in rows), source=name)


@st.composite
def random_tables(draw: st.DrawFn, max_rows: int = 60, sensitive_tree: bool = False
                  ) -> RandomTable:
    n = draw(st.integers(1, max_rows))
    d = draw(st.integers(1, 3))
    columns: dict[str, list[object]] = {}
    trees: dict[str, Hierarchy] = {}
    qi = []
    for j in range(d):
        name = f"q{j}"
        kind = draw(st.sampled_from(["int", "float", "set", "tree"]))
        if kind == "int":
            columns[name] = draw(st.lists(st.integers(0, 12), min_size=n, max_size=n))
        elif kind == "float":
            columns[name] = draw(st.lists(st.sampled_from([0.5, 1.25, 2.0, 3.5, 7.75, 10.0]),
                                          min_size=n, max_size=n))
        else:
            size = draw(st.integers(1, 7))
            labels = [f"v{i}" for i in range(size)]
            columns[name] = draw(st.lists(st.sampled_from(labels), min_size=n, max_size=n))
            if kind == "tree":
                trees[name] = draw(hierarchies(labels, name))
        qi.append(name)
    values = draw(st.integers(1, 5))
    slabels = [f"s{i}" for i in range(values)]
    columns["s"] = draw(st.lists(st.sampled_from(slabels), min_size=n, max_size=n))
    if sensitive_tree:
        trees["s"] = draw(hierarchies(slabels, "s"))
    return RandomTable(pa.table(columns), qi, "s", trees)
