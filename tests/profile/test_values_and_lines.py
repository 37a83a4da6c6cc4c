from __future__ import annotations

import pytest

from medanon.profile.model import Action
from medanon.profile.selectors import SelectorError, parse_selector, pattern_text
from medanon.profile.toml_lines import LineLocator
from medanon.profile.values import action_problem, check_replacement


@pytest.mark.parametrize(
    ("vr", "vm", "value", "expected"),
    [
        ("LO", "1", "CT CHEST", "CT CHEST"),
        ("SH", "1", "A" * 16, "A" * 16),
        ("CS", "1-n", "ORIGINAL\\PRIMARY", "ORIGINAL\\PRIMARY"),
        ("DA", "1", "20240229", "20240229"),
        ("DT", "1", "20240101120000+0100", "20240101120000+0100"),
        ("TM", "1", "235959.5", "235959.5"),
        ("DS", "2", "0.5\\0.5", "0.5\\0.5"),
        ("DS", "1", 1.5, "1.5"),
        ("IS", "1", 7, "7"),
        ("US", "1", 512, "512"),
        ("US or SS", "1", "-5", "-5"),
        ("FD", "1", "2.5", "2.5"),
        ("UI", "1", "1.2.840.10008.1.2", "1.2.840.10008.1.2"),
        ("PN", "1", "Anon^Patient", "Anon^Patient"),
        ("AS", "1", "045Y", "045Y"),
        (
            "LT",
            "1",
            "line one\nline two \\ with a backslash",
            "line one\nline two \\ with a backslash",
        ),
    ],
)
def test_valid_replacements(vr: str, vm: str, value: str | int | float, expected: str) -> None:
    assert check_replacement(vr, vm, value) == expected


@pytest.mark.parametrize(
    ("vr", "vm", "value", "fragment"),
    [
        ("SH", "1", "A" * 17, "length"),
        ("DA", "1", "20230229", "calendar date"),
        ("DA", "1", "2024-01-01", "VR DA"),
        ("TM", "1", "250000", "VR TM"),
        ("CS", "1", "lower", "VR CS"),
        ("US", "1", "-1", "VR US"),
        ("US", "1", "1.5", "not an integer"),
        ("FL", "1", "abc", "not a number"),
        ("UI", "1", "1.02.3", "VR UI"),
        ("DS", "2", "1", "VM is 2"),
        ("IS", "1", "1\\2", "VM is 1"),
        ("LO", "1", "tab\there", "control characters"),
        ("LO", "1", "", "empty"),
        ("LO", "1", True, "boolean"),
        ("OB", "1", "00", "cannot write"),
        ("US or SS", "1", "70000", "VR SS"),
    ],
)
def test_invalid_replacements(vr: str, vm: str, value: str | int | float, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        check_replacement(vr, vm, value)


@pytest.mark.parametrize(
    ("action", "vr", "ok"),
    [
        (Action.REMAP_UID, "UI", True),
        (Action.REMAP_UID, "LO", False),
        (Action.SHIFT_DATE, "DA", True),
        (Action.SHIFT_DATE, "DT", True),
        (Action.SHIFT_DATE, "TM", True),
        (Action.SHIFT_DATE, "SH", False),
        (Action.PSEUDONYM, "PN", True),
        (Action.PSEUDONYM, "LO", True),
        (Action.PSEUDONYM, "US", False),
        (Action.HASH, "SH", True),
        (Action.HASH, "UI", False),
        (Action.REPLACE, "OB or OW", False),
        (Action.REPLACE, "US or OW", True),
        (Action.KEEP, None, True),
        (Action.DUMMY, None, True),
        (Action.HASH, None, False),
    ],
)
def test_action_problem(action: Action, vr: str | None, ok: bool) -> None:
    assert (action_problem(action, vr) is None) is ok


@pytest.mark.parametrize(
    ("key", "canonical", "kind"),
    [
        ("PatientAge", "(0010,1010)", "tag"),
        ("(0010,1010)", "(0010,1010)", "tag"),
        ("( 0010 , 1010 )", "(0010,1010)", "tag"),
        ("(7fe0,0010)", "(7FE0,0010)", "tag"),
        ("OverlayData", "(60xx,3000)", "mask"),
        ("(60XX,3000)", "(60xx,3000)", "mask"),
        ("(0019,XX23)@GEMS_ACQU_01", "(0019,xx23)@GEMS_ACQU_01", "private"),
        ("(0199,xx0a)@NQLeft", "(0199,xx0A)@NQLeft", "private"),
    ],
)
def test_selectors(key: str, canonical: str, kind: str) -> None:
    selector = parse_selector(key)
    assert (selector.canonical, selector.kind) == (canonical, kind)
    assert parse_selector(selector.canonical) == selector


def test_pattern_selectors_skip_odd_groups() -> None:
    selector = parse_selector("(60xx,3000)")
    assert selector.mask is not None and selector.value is not None
    assert 0x60023000 & selector.mask == selector.value
    assert 0x60033000 & selector.mask != selector.value
    assert pattern_text(selector.mask, selector.value) == "(60xx,3000)"


@pytest.mark.parametrize("key", ["(0001,xx10)@X", "(FFFF,xx10)@X", "(0019,xx10)@" + "a" * 65])
def test_invalid_private_selectors(key: str) -> None:
    with pytest.raises(SelectorError):
        parse_selector(key)


def test_line_locator_handles_tables_dotted_keys_and_multiline_strings() -> None:
    text = (
        'mode = "blacklist"\n'  # 1
        'note = """\n'  # 2
        'fake = "not a key"\n'  # 3
        '"""\n'  # 4
        "[attributes]\n"  # 5
        '"(0010,1010)" = "keep"\n'  # 6
        "[attributes.StudyDescription]\n"  # 7
        'action = "replace"\n'  # 8
        'value = "x"\n'  # 9
        "[other]\n"  # 10
        "a.b = 1\n"  # 11
    )
    lines = LineLocator(text)
    assert lines.line_of(("mode",)) == 1
    assert lines.line_of(("fake",)) == 1  # inside a string: falls back to line 1
    assert lines.line_of(("attributes", "(0010,1010)")) == 6
    assert lines.line_of(("attributes", "StudyDescription", "value")) == 9
    assert lines.line_of(("attributes", "StudyDescription", "missing")) == 7
    assert lines.line_of(("other", "a", "b")) == 11
    assert lines.line_of(("nowhere",)) == 1
