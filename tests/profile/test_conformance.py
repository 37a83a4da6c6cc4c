"""Each row of Table E.1-1 as resolved by medanon, against an expectation from the raw source.

The expectation is a small, explicit restatement of the documented decisions
(docs/recipes.md, "How an action is resolved"); it shares no code with medanon.
"""

from __future__ import annotations

import re
from itertools import combinations
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.datadict import dictionary_VR

from medanon.errors import ConfigurationError
from medanon.profile.model import Action, Option
from medanon.profile.recipe import Recipe
from medanon.profile.resolve import resolve
from medanon.profile.ruleset import build_ruleset
from medanon.profile.table import entry_for_tag, load_table, private_entry

COLUMN_TO_OPTION = {
    "rtnSafePrivOpt": "retain-safe-private",
    "rtnUIDsOpt": "retain-uids",
    "rtnDevIdOpt": "retain-device-identity",
    "rtnInstIdOpt": "retain-institution-identity",
    "rtnPatCharsOpt": "retain-patient-characteristics",
    "rtnLongFullDatesOpt": "retain-longitudinal-full-dates",
    "rtnLongModifDatesOpt": "retain-longitudinal-modified-dates",
    "cleanDescOpt": "clean-descriptors",
    "cleanStructContOpt": "clean-structured-content",
    "cleanGraphOpt": "clean-graphics",
}

# (Basic Profile code, is a sequence) -> action. A missing pair fails the test: decide it first.
BASIC = {
    ("X", False): "remove",
    ("X", True): "remove",
    ("Z", False): "empty",
    ("Z", True): "empty",
    ("D", False): "dummy",
    ("D", True): "dummy",
    ("U", False): "remap-uid",
    ("X/Z", False): "empty",
    ("X/Z", True): "dummy",
    ("X/D", False): "dummy",
    ("X/D", True): "dummy",
    ("Z/D", False): "dummy",
    ("Z/D", True): "dummy",
    ("X/Z/D", False): "dummy",
    ("X/Z/D", True): "dummy",
    ("X/Z/U*", True): "remap-uid",
}
PSEUDONYMISED = {"(0010,0010)", "(0010,0020)"}


def _vr(row: dict[str, Any]) -> str | None:
    match = re.fullmatch(r"\(([0-9A-F]{4}),([0-9A-F]{4})\)", row["tag"])
    return dictionary_VR(int(match.group(1) + match.group(2), 16)) if match else None


def expected(row: dict[str, Any], column: str | None) -> tuple[str, str]:
    vr = _vr(row)
    code = row["basicProfile"]
    if column is not None and column in row:
        name = COLUMN_TO_OPTION[column]
        if row[column] == "K":
            return "keep", f"option:{name}:K"
        if column != "rtnLongModifDatesOpt":
            return "clean", f"option:{name}:C"
        if vr in ("DA", "DT", "TM"):
            return "shift-date", f"option:{name}:C"
        # A C for modified dates on a VR that holds no date: the Basic Profile stays.
    if row["tag"] in PSEUDONYMISED:
        return "pseudonym", f"basic:{code}+pseudonym"
    if row["stdCompIOD"] == "N" and "/" in code and "X" in code:
        return "remove", f"basic:{code}"
    return BASIC[(code, vr == "SQ")], f"basic:{code}"


def _public_rows(raw_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [row for row in raw_rows if "ODD" not in row["tag"]]


def _entry(row: dict[str, Any]) -> Any:
    by_text = {entry.tag_text: entry for entry in load_table()}
    return by_text[row["tag"]]


@pytest.mark.parametrize("column", [None, *COLUMN_TO_OPTION])
def test_every_row_resolves_as_documented(
    raw_rows: list[dict[str, Any]], column: str | None
) -> None:
    options = frozenset() if column is None else frozenset({Option(COLUMN_TO_OPTION[column])})
    by_text = {entry.tag_text: entry for entry in load_table()}
    rows = _public_rows(raw_rows)
    assert len(rows) == 620
    mismatches = []
    for row in rows:
        rule = resolve(by_text[row["tag"]], options)
        got = (rule.action.value, rule.origin)
        want = expected(row, column)
        if got != want:
            mismatches.append((row["tag"], row["name"], got, want))
    assert mismatches == []


@pytest.mark.parametrize("column", [None, *COLUMN_TO_OPTION])
def test_ruleset_carries_the_resolved_rules(
    raw_rows: list[dict[str, Any]], column: str | None
) -> None:
    options = () if column is None else (Option(COLUMN_TO_OPTION[column]),)
    ruleset = build_ruleset(Recipe(options=options))
    for row in _public_rows(raw_rows):
        entry = _entry(row)
        probe = entry.tag if entry.kind == "tag" else entry.mask_value
        rule = ruleset.rule_for(probe)
        assert rule is not None and (rule.action.value, rule.origin) == expected(row, column)


def test_the_table_has_the_expected_shape(raw_rows: list[dict[str, Any]]) -> None:
    assert len(load_table()) == len(raw_rows) == 621
    assert private_entry().basic == "X"
    assert private_entry().cell(Option.RETAIN_SAFE_PRIVATE) == "C"
    patient_id = entry_for_tag(0x00100020)
    assert patient_id is not None and patient_id.keyword == "PatientID" and patient_id.vr == "LO"
    assert entry_for_tag(0x00280010) is None  # Rows: not in the table


def test_private_row_is_informational_only() -> None:
    assert resolve(private_entry()).action is Action.REMOVE
    assert resolve(private_entry(), {Option.RETAIN_SAFE_PRIVATE}).origin == (
        "option:retain-safe-private:C"
    )
    assert not private_entry().matches(0x00191023)


# --- several options at once -----------------------------------------------------------


def _by_keyword(keyword: str) -> Any:
    return next(entry for entry in load_table() if entry.keyword == keyword)


def test_retain_beats_clean_when_options_collide() -> None:
    calibration = _by_keyword("DateOfLastCalibration")  # device K, modified dates C
    rule = resolve(
        calibration, {Option.RETAIN_DEVICE_IDENTITY, Option.RETAIN_LONGITUDINAL_MODIFIED_DATES}
    )
    assert (rule.action, rule.origin) == (Action.KEEP, "option:retain-device-identity:K")


def test_first_option_names_the_origin_among_equal_codes() -> None:
    allergies = _by_keyword("Allergies")  # patient characteristics C, clean descriptors C
    rule = resolve(allergies, {Option.CLEAN_DESCRIPTORS, Option.RETAIN_PATIENT_CHARACTERISTICS})
    assert (rule.action, rule.origin) == (Action.CLEAN, "option:retain-patient-characteristics:C")
    device_uid = _by_keyword("DeviceUID")
    rule = resolve(device_uid, {Option.RETAIN_DEVICE_IDENTITY, Option.RETAIN_UIDS})
    assert (rule.action, rule.origin) == (Action.KEEP, "option:retain-uids:K")


def test_full_and_modified_dates_exclude_each_other() -> None:
    both = {Option.RETAIN_LONGITUDINAL_FULL_DATES, Option.RETAIN_LONGITUDINAL_MODIFIED_DATES}
    with pytest.raises(ConfigurationError, match="exclude each other"):
        resolve(_by_keyword("StudyDate"), both)


_COMPATIBLE = [
    frozenset(c)
    for size in range(0, 4)
    for c in combinations(list(Option), size)
    if not {Option.RETAIN_LONGITUDINAL_FULL_DATES, Option.RETAIN_LONGITUDINAL_MODIFIED_DATES}
    <= set(c)
]


@given(st.sampled_from(_COMPATIBLE), st.sampled_from(load_table()))
def test_any_chosen_k_cell_keeps(options: frozenset[Option], entry: Any) -> None:
    rule = resolve(entry, options)
    chosen_cells = [code for option, code in entry.option_cells if option in options]
    if "K" in chosen_cells:
        assert rule.action is Action.KEEP
    elif not chosen_cells:
        assert rule.origin.startswith("basic:")
    else:
        assert rule.action in (Action.CLEAN, Action.SHIFT_DATE) or rule.origin.startswith("basic:")
