"""The intervals, ordering and masking builders: declared in TOML or on the command line,
built into consistent trees whose every node contains the values under it."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medanon.errors import ConfigurationError, InputError
from medanon.privacy import anonymize, check
from medanon.privacy.builders import (
    FileSpec,
    IntervalSpec,
    MaskingSpec,
    OrderingSpec,
    build_hierarchy,
    interval_hierarchy,
    mask_codes,
    ordering_hierarchy,
    spec_from_option,
    spec_from_toml,
)
from medanon.privacy.config import load_toml, parse_hierarchy_options


def covers(label: str, value: float) -> bool:
    """Whether an interval label (``0-4``, ``[0,5)``, ``<0``, ``120+``, ``*``) holds value."""
    if label == "*":
        return True
    if label.startswith("<"):
        return value < float(label[1:])
    if label.endswith("+"):
        return value >= float(label[:-1])
    if label.startswith("["):
        lo, hi = label[1:-1].split(",")
        return float(lo) <= value < float(hi)
    bounds = re.fullmatch(r"(-?[\d.]+)-(-?[\d.]+)", label)
    if bounds is None:
        return value == float(label)
    return float(bounds[1]) <= value <= float(bounds[2])


def masked_covers(label: str, code: str, uniform: bool) -> bool:
    if label == "*" or label == code:
        return True
    prefix = label.rstrip("*")
    if uniform:
        return len(label) == len(code) and code.startswith(prefix)
    return code.startswith(prefix) and label.endswith("*")


def test_age_by_5_10_20_nests_and_top_codes() -> None:
    tree = interval_hierarchy(["3", "17", "119", "130", "-1"],
                              IntervalSpec((5, 10, 20), 0, 120), "age", "t")
    assert tree.path("17") == ("17", "15-19", "10-19", "0-19", "*")
    assert tree.path("119") == ("119", "115-119", "110-119", "100-119", "*")
    assert tree.path("130")[1:-1] == ("120+",) * 3
    assert tree.path("-1")[1] == "<0"


def test_fractional_values_get_half_open_bands() -> None:
    tree = interval_hierarchy(["1.5", "7.25"], IntervalSpec((2.5, 5)), "dose", "t")
    assert tree.path("1.5")[1:3] == ("[0,2.5)", "[0,5)")
    assert tree.path("7.25")[1:3] == ("[5,7.5)", "[5,10)")


def test_ordering_groups_runs_of_the_declared_order() -> None:
    tree = ordering_hierarchy(["I", "III"], OrderingSpec(("I", "II", "III", "IV")), "stage",
                              "t")
    assert tree.path("III") == ("III", "III-IV", "*")
    grouped = ordering_hierarchy([], OrderingSpec(("a", "b", "c", "d", "e", "f"), (3,)), "g",
                                 "t")
    assert grouped.path("e") == ("e", "d-f", "*")
    with pytest.raises(InputError, match="not in its declared ordering") as caught:
        ordering_hierarchy(["I", "V"], OrderingSpec(("I", "II")), "stage", "t")
    assert "'V'" not in str(caught.value)


def test_masking_icd10_codes_of_several_lengths_share_prefix_nodes() -> None:
    tree = mask_codes(["E11", "E11.9", "E10", "I10"], MaskingSpec(), "icd", "t")
    assert "E11*" in tree.path("E11") and "E11*" in tree.path("E11.9")
    assert tree.path("I10")[-1] == "*"
    zip3 = mask_codes(["021", "029", "100"], MaskingSpec(), "zip3", "t")
    assert zip3.path("021") == ("021", "02*", "0**", "*")
    kept = mask_codes(["02139", "02141"], MaskingSpec((3,)), "zip", "t")
    assert kept.path("02139") == ("02139", "021**", "*")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-20, 200), min_size=1, max_size=40, unique=True),
       st.sampled_from([(5, 10, 20), (1, 2), (3, 9, 27), (10,)]),
       st.integers(-10, 10), st.one_of(st.none(), st.integers(50, 150)))
def test_every_band_contains_its_values(values: list[int], widths: tuple[int, ...],
                                        lower: int, upper: int | None) -> None:
    spec = IntervalSpec(tuple(float(w) for w in widths), float(lower),
                        None if upper is None else float(upper))
    tree = interval_hierarchy([str(v) for v in values], spec, "x", "t")
    for value in values:
        assert all(covers(label, value) for label in tree.path(str(value))), \
            tree.path(str(value))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text("0123456789AEI.", min_size=1, max_size=6), min_size=1, max_size=30,
                unique=True))
def test_every_mask_contains_its_code(codes: list[str]) -> None:
    tree = mask_codes(codes, MaskingSpec(), "c", "t")
    uniform = len({len(c) for c in codes}) == 1
    for code in codes:
        path = tree.path(code)
        assert path[-1] == "*"
        assert all(masked_covers(label, code, uniform) for label in path), path


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=12, max_size=40))
def test_engine_publishes_bands_that_contain_the_true_age(ages: list[float]) -> None:
    table = pa.table({"age": ages, "sex": ["F", "M"] * (len(ages) // 2) + ["F"] *
                      (len(ages) % 2)})
    spec = IntervalSpec((5.0, 10.0, 20.0), 0.0, 120.0)
    tree = build_hierarchy(spec, "age", table.column("age"))
    result = anonymize(table, qi=["age", "sex"], k=3, hierarchies={"age": tree})
    assert check(result.arrow, ["age", "sex"], None, k=3).passed
    published = result.arrow.column("age").to_pylist()
    for value, label in zip(ages, published, strict=True):
        assert covers(str(label), value), (value, label)


def test_toml_and_command_line_declare_the_same_builders(tmp_path: Path) -> None:
    config = tmp_path / "t.toml"
    config.write_text('qi = ["age", "stage", "zip", "race"]\nk = 2\n[hierarchies]\n'
                      'age = { intervals = [5, 10, 20], lower = 0, upper = 120 }\n'
                      'stage = { ordering = ["I", "II", "III"], groups = [2] }\n'
                      'zip = { masking = true, keep = [3, 1] }\nrace = "race.csv"\n')
    from_file = load_toml(config)["hierarchies"]
    from_options = parse_hierarchy_options([
        "age=intervals:5,10,20:0:120", "stage=ordering:I,II,III:2", "zip=masking:3,1",
        f"race={tmp_path / 'race.csv'}"])
    assert from_file == from_options
    assert from_file["race"] == FileSpec(tmp_path / "race.csv")


@pytest.mark.parametrize("value, message", [
    ({"intervals": [5, 7]}, "multiple of the one before"),
    ({"intervals": [5], "upper": -1}, "upper must be a number above lower"),
    ({"intervals": [5], "masking": True}, "exactly one builder"),
    ({"ordering": ["a"]}, "at least two values"),
    ({"masking": True, "keep": [1, 3]}, "decreasing"),
    ({"masking": True, "width": 3}, "unknown key 'width'"),
    ({"intervals": "5"}, "list of numbers"),
    (3, "file name or a table"),
])
def test_bad_declarations_are_one_clear_error(value: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        spec_from_toml(value, "hierarchies.x", None)
    assert str(caught.value).startswith("hierarchies.x")


@pytest.mark.parametrize("option", ["intervals:", "intervals:a,b", "ordering:a:b:c",
                                    "masking:x", "intervals:5:0:1:2"])
def test_bad_command_line_builders_are_refused(option: str) -> None:
    with pytest.raises(ConfigurationError):
        spec_from_option(option)


def test_intervals_on_text_are_refused_without_quoting_values() -> None:
    with pytest.raises(ConfigurationError, match="intervals need numbers") as caught:
        build_hierarchy(IntervalSpec((5.0,)), "ward", pa.chunked_array([["north-7"]]))
    assert "north" not in str(caught.value)


def test_numeric_leaves_match_the_engine_text() -> None:
    column = pa.chunked_array([[39.0, 40.5, None, math.nan]])
    tree = build_hierarchy(IntervalSpec((10.0,)), "age", column)
    assert set(tree.leaves) == {"39", "40.5"}


def test_command_line_errors_name_the_column() -> None:
    with pytest.raises(ConfigurationError, match=r"^--hierarchy age: intervals: each width"):
        parse_hierarchy_options(["age=intervals:5,7"])
    with pytest.raises(ConfigurationError, match=r"^--hierarchy zip: expected masking"):
        parse_hierarchy_options(["zip=masking:1:2"])


def test_codes_already_masked_are_left_to_sets() -> None:
    from medanon.privacy.defaults import resolve_specs

    table = pa.table({"zip": ["021**", "02139"], "icd": ["E11", "I10"], "age": [1, 2]})
    specs = resolve_specs(table, ["zip", "icd", "age"], None, {}, {"zip", "icd"})
    assert specs == {"icd": MaskingSpec()}


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 30), st.lists(st.integers(2, 4), max_size=3), st.data())
def test_every_run_contains_its_value(count: int, groups: list[int], data: st.DataObject
                                      ) -> None:
    order = [f"v{i}" for i in range(count)]
    present = data.draw(st.lists(st.sampled_from(order), min_size=1, unique=True))
    tree = ordering_hierarchy(present, OrderingSpec(tuple(order), tuple(groups)), "o", "t")
    for value in present:
        path = tree.path(value)
        assert path[-1] == "*"
        for label in path[1:-1]:
            first, _, last = label.partition("-")
            span = order[order.index(first):order.index(last or first) + 1]
            assert value in span, (value, label)
