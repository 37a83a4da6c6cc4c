"""docs/recipes.md must not drift from the code it documents."""

from __future__ import annotations

from pathlib import Path

from medanon.profile.model import Action, Option
from medanon.profile.resolve import OPTION_SUMMARIES
from medanon.profile.structural import STRUCTURAL_ATTRIBUTES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "recipes.md").read_text(encoding="utf-8")


def test_every_structural_attribute_is_documented() -> None:
    missing = [keyword for keyword, _ in STRUCTURAL_ATTRIBUTES if keyword not in DOC]
    assert missing == []


def test_every_option_and_action_is_documented() -> None:
    for option in Option:
        assert f"| `{option.value}` |" in DOC
        assert OPTION_SUMMARIES[option].split(",")[0] in DOC
    for action in Action:
        assert f"| `{action.value}` |" in DOC
