from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from medanon.errors import ConfigurationError, InputError
from medanon.privacy.encode import DimKind, encode_table, natural_key
from medanon.privacy.hierarchy import Hierarchy, parse_hierarchy


def test_kinds_follow_types_and_hierarchies() -> None:
    table = pa.table({"age": [30, 40, 30], "zip": ["b2", "a10", "a2"], "sex": ["F", "M", "F"],
                      "s": ["x", "y", "x"]})
    sex = parse_hierarchy("F;*\nM;*\n")
    enc = encode_table(table, ["age", "zip", "sex"], "s", {"sex": sex}, "error")
    assert [d.kind for d in enc.dims] == [DimKind.NUMERIC, DimKind.SET, DimKind.TREE]
    assert enc.dims[1].labels == ("a2", "a10", "b2")  # natural order
    assert enc.codes[:, 0].tolist() == [0, 1, 0]
    assert enc.dims[0].value_range == 10


def test_codes_follow_the_hierarchy_and_cover_present_values_only() -> None:
    h = parse_hierarchy("c;G2;*\na;G1;*\nb;G1;*\nd;G2;*\n")
    enc = encode_table(pa.table({"x": ["a", "b", "c", "a"]}), ["x"], None, {"x": h}, "error")
    dim = enc.dims[0]
    assert dim.labels == ("c", "a", "b")  # depth-first in file order; "d" absent
    assert dim.tree is not None
    level, node = dim.tree.lca(np.array([1]), np.array([2]))
    assert dim.tree.labels[int(level[0])][int(node[0])] == "G1"
    assert int(dim.tree.cover[int(level[0]), int(node[0])]) == 2


def test_numeric_column_with_numeric_hierarchy_matches_by_value() -> None:
    h = parse_hierarchy("1;1-2;*\n2;1-2;*\n3;3-4;*\n4;3-4;*\n")
    enc = encode_table(pa.table({"a": [1.0, 2.0, 4.0]}), ["a"], None, {"a": h}, "error")
    assert enc.dims[0].kind is DimKind.TREE
    assert enc.dims[0].labels == ("1", "2", "4")


def test_value_outside_the_hierarchy_names_column_and_row() -> None:
    h = Hierarchy((("a", "*"), ("b", "*")))
    with pytest.raises(InputError, match=r"column 'x': the value in row 3 is not in hierarchy"):
        encode_table(pa.table({"x": ["a", "b", "zz"]}), ["x"], None, {"x": h}, "error")


def test_numeric_column_with_text_hierarchy_is_refused() -> None:
    h = Hierarchy((("low", "*"), ("high", "*")))
    with pytest.raises(ConfigurationError, match="non-numeric"):
        encode_table(pa.table({"x": [1, 2]}), ["x"], None, {"x": h}, "error")


@pytest.mark.parametrize("values", [[1.0, float("nan"), 2.0], ["a", "", "b"], ["a", "  ", "b"],
                                    [1, None, 2]])
def test_missing_values_are_refused_naming_column_and_row(values: list[object]) -> None:
    with pytest.raises(InputError, match=r"column 'x': row 2 has a missing"):
        encode_table(pa.table({"x": values}), ["x"], None, {}, "error")


def test_missing_values_mark_rows_under_the_suppress_policy() -> None:
    enc = encode_table(pa.table({"x": [1.0, float("nan"), 2.0], "s": ["a", "b", None]}),
                       ["x"], "s", {}, "suppress")
    assert enc.missing.tolist() == [False, True, True]
    # Only usable rows define the domain (the last row lacks its sensitive value).
    assert enc.dims[0].labels == ("1",)


def test_dates_are_numeric_and_print_as_iso() -> None:
    days = [dt.date(2020, 1, 3), dt.date(2021, 5, 1)]
    enc = encode_table(pa.table({"d": days}), ["d"], None, {}, "error")
    assert enc.dims[0].kind is DimKind.NUMERIC and enc.dims[0].temporal
    assert enc.dims[0].labels == ("2020-01-03", "2021-05-01")


def test_natural_key_orders_embedded_numbers() -> None:
    assert sorted(["a10", "a2", "b1", "10", "9"], key=natural_key) == ["9", "10", "a2", "a10",
                                                                       "b1"]
