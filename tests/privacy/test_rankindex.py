from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from medanon.privacy.rankindex import HistIndex, SortIndex


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(st.integers(0, 15), min_size=1, max_size=12), min_size=1, max_size=6),
       st.integers(-2, 17), st.data())
def test_histogram_and_sort_indexes_agree_with_brute_force(parts: list[list[int]], x: int,
                                                           data: st.DataObject) -> None:
    column = np.array([v for p in parts for v in p], dtype=np.uint16)
    sizes = np.array([len(p) for p in parts], dtype=np.int64)
    starts = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum(sizes, out=starts[1:])
    pid = np.repeat(np.arange(len(parts), dtype=np.int64), sizes)
    lob = np.array([min(p) for p in parts], dtype=np.int64) - data.draw(st.integers(0, 2))
    hib = np.array([max(p) for p in parts], dtype=np.int64) + data.draw(st.integers(0, 2))
    lob = np.maximum(lob, 0)
    for index in (HistIndex(column, pid, starts, lob, hib), SortIndex(column, pid, starts, 18)):
        part = np.arange(len(parts), dtype=np.int64)
        xs = np.full(len(parts), x, dtype=np.int64)
        assert index.count_le(part, xs).tolist() == [sum(v <= x for v in p) for p in parts]
        assert index.distinct_le(part, xs).tolist() == [len({v for v in p if v <= x})
                                                        for p in parts]
        for rank in range(max(sizes)):
            has = sizes > rank
            got = index.code_at(part[has], np.full(int(has.sum()), rank, dtype=np.int64))
            assert got.tolist() == [sorted(p)[rank] for p in parts if len(p) > rank]
