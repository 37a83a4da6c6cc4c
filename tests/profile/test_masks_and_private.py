from __future__ import annotations

import pytest

from medanon.profile.model import Action, Mode, Option, PrivateKey
from medanon.profile.recipe import Recipe, parse_recipe
from medanon.profile.ruleset import build_ruleset
from medanon.profile.table import entry_for_tag, load_safe_private


@pytest.mark.parametrize(
    ("tag", "name"),
    [
        (0x60003000, "Overlay Data"),
        (0x60023000, "Overlay Data"),
        (0x601E3000, "Overlay Data"),
        (0x60104000, "Overlay Comments"),
        (0x50000010, "Curve Data"),
        (0x501E3000, "Curve Data"),
        (0x50020000, "Curve Data"),
    ],
)
def test_repeating_groups_match_even_groups(tag: int, name: str) -> None:
    entry = entry_for_tag(tag)
    assert entry is not None and entry.name == name
    rule = build_ruleset(Recipe()).rule_for(tag)
    assert rule is not None and rule.action is Action.REMOVE and rule.origin == "basic:X"


@pytest.mark.parametrize(
    "tag", [0x60013000, 0x601F4000, 0x50010010, 0x60023001, 0x60020010, 0x51000010]
)
def test_odd_groups_and_other_elements_do_not_match(tag: int) -> None:
    assert entry_for_tag(tag) is None
    assert build_ruleset(Recipe()).rule_for(tag) is None


def test_clean_graphics_cleans_overlays() -> None:
    ruleset = build_ruleset(Recipe(options=(Option.CLEAN_GRAPHICS,)))
    rule = ruleset.rule_for(0x60023000)
    assert rule is not None and rule.action is Action.CLEAN
    assert rule.origin == "option:clean-graphics:C"


def test_no_private_rules_without_the_option() -> None:
    assert build_ruleset(Recipe()).private == {}


def test_safe_private_matches_creator_and_element_byte() -> None:
    ruleset = build_ruleset(Recipe(options=(Option.RETAIN_SAFE_PRIVATE,)))
    assert len(ruleset.private) == len(load_safe_private()) == 130
    kept = ruleset.private_rule(PrivateKey(0x0019, "GEMS_ACQU_01", 0x23))
    assert kept is not None and kept.action is Action.KEEP
    assert kept.origin == "option:retain-safe-private"
    # Same group and element byte, another creator: not the same attribute.
    assert ruleset.private_rule(PrivateKey(0x0019, "SIEMENS CT VA0  COAD", 0x23)) is None
    # Same creator and element byte in another group: not listed either.
    assert ruleset.private_rule(PrivateKey(0x0021, "GEMS_ACQU_01", 0x23)) is None
    # Lower-case hex in the standard's table: (0199,xx0a) NQLeft.
    assert ruleset.private_rule(PrivateKey(0x0199, "NQLeft", 0x0A)) is not None


def test_safe_private_uids_are_remapped_unless_uids_are_retained() -> None:
    key = PrivateKey(0x0099, "NQHeader", 0x02)  # Analyzed Series UID
    plain = build_ruleset(Recipe(options=(Option.RETAIN_SAFE_PRIVATE,))).private_rule(key)
    assert plain is not None and plain.action is Action.REMAP_UID
    retained = build_ruleset(
        Recipe(options=(Option.RETAIN_SAFE_PRIVATE, Option.RETAIN_UIDS))
    ).private_rule(key)
    assert retained is not None and retained.action is Action.KEEP


def test_recipe_private_overrides_win() -> None:
    recipe = parse_recipe(
        'options = ["retain-safe-private"]\n'
        "[attributes]\n"
        '"(0019,xx23)@GEMS_ACQU_01" = "remove"\n'
        '"(0029,xx10)@SIEMENS CSA HEADER" = "keep"\n'
    )
    ruleset = build_ruleset(recipe)
    removed = ruleset.private_rule(PrivateKey(0x0019, "GEMS_ACQU_01", 0x23))
    assert removed is not None and removed.action is Action.REMOVE and removed.origin == "recipe"
    kept = ruleset.private_rule(PrivateKey(0x0029, "SIEMENS CSA HEADER", 0x10))
    assert kept is not None and kept.action is Action.KEEP
    assert ruleset.mode is Mode.BLACKLIST
