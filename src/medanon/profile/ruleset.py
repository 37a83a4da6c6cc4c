"""Fold the profile, the options and a recipe into one frozen :class:`Ruleset`.

Order of precedence, last wins:

1. Table E.1-1 resolved under the recipe's options (:mod:`medanon.profile.resolve`):
   exact tags into ``exact``, the repeating groups (50xx,xxxx), (60xx,3000) and
   (60xx,4000) into ``masks``.
2. With retain-safe-private, every row of Table E.3.10-1 into ``private``,
   keyed by (group, creator, element byte). UI rows there are remapped like every
   other UID unless retain-uids is also chosen: a kept original Series or
   Bookmark UID would link the output back to the source archive.
3. Whitelist mode only: the structural attributes of
   :mod:`medanon.profile.structural`, KEEP with origin ``whitelist:structural``,
   for tags the profile does not already govern (a profile rule such as
   REMAP_UID is never weakened into KEEP).
4. The recipe's overrides, origin ``recipe``: patterns first (they also replace
   the exact rules they cover), then exact tags, then private attributes, so the
   most specific override wins.

Blacklist mode: a public tag with no rule is kept. Whitelist mode: a public tag
with no rule is removed and reported. In both modes a private element is
removed unless ``private`` has a rule for it (and its private creator element
survives only with a surviving element of its block - that is the transform's
job).
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

from medanon.pixels.settings import DEFAULT_PIXELS
from medanon.profile.model import Action, MaskRule, Mode, Option, PrivateKey, Rule, Ruleset
from medanon.profile.recipe import Recipe
from medanon.profile.resolve import check_options, resolve
from medanon.profile.structural import STRUCTURAL_ORIGIN, structural_tags
from medanon.profile.table import load_safe_private, load_table

RECIPE_ORIGIN = "recipe"


@cache
def _profile_rules(options: frozenset[Option]) -> tuple[dict[int, Rule], tuple[MaskRule, ...]]:
    exact: dict[int, Rule] = {}
    masks: list[MaskRule] = []
    for entry in load_table():
        if entry.kind == "tag":
            assert entry.tag is not None
            exact[entry.tag] = resolve(entry, options)
        elif entry.kind == "mask":
            assert entry.mask is not None and entry.mask_value is not None
            masks.append(MaskRule(entry.mask, entry.mask_value, resolve(entry, options)))
    return exact, tuple(masks)


def profile_rules(options: frozenset[Option]) -> tuple[dict[int, Rule], tuple[MaskRule, ...]]:
    """The resolved Table E.1-1 rules under ``options``: (exact rules, mask rules)."""
    exact, masks = _profile_rules(check_options(options))
    return dict(exact), masks


def safe_private_rules(options: frozenset[Option]) -> dict[PrivateKey, Rule]:
    """The private attributes Retain Safe Private keeps (empty without that option)."""
    if Option.RETAIN_SAFE_PRIVATE not in options:
        return {}
    origin = f"option:{Option.RETAIN_SAFE_PRIVATE.value}"
    rules: dict[PrivateKey, Rule] = {}
    for entry in load_safe_private():
        if entry.vr == "UI" and Option.RETAIN_UIDS not in options:
            rules[entry.key] = Rule(Action.REMAP_UID, f"{origin}+remap-uid")
        else:
            rules[entry.key] = Rule(Action.KEEP, origin)
    return rules


def build_ruleset(recipe: Recipe) -> Ruleset:
    """The frozen, picklable ruleset a run hands to every worker."""
    options = check_options(recipe.option_set)
    exact, table_masks = profile_rules(options)
    private = safe_private_rules(options)
    if recipe.mode is Mode.WHITELIST:
        for tag in structural_tags():
            exact.setdefault(tag, Rule(Action.KEEP, STRUCTURAL_ORIGIN))

    recipe_masks: list[MaskRule] = []
    overrides = [
        (item.selector, Rule(item.action, RECIPE_ORIGIN, item.value)) for item in recipe.attributes
    ]
    for selector, rule in overrides:
        if selector.kind == "mask":
            assert selector.mask is not None and selector.value is not None
            recipe_masks.append(MaskRule(selector.mask, selector.value, rule))
            for tag in exact:
                if tag & selector.mask == selector.value:
                    exact[tag] = rule
    for selector, rule in overrides:
        if selector.kind == "tag":
            assert selector.tag is not None
            exact[selector.tag] = rule
        elif selector.kind == "private":
            assert selector.private is not None
            private[selector.private] = rule
    # A narrower pattern (more fixed bits) is consulted first.
    recipe_masks.sort(key=lambda mask_rule: -bin(mask_rule.mask).count("1"))
    return Ruleset(
        mode=recipe.mode,
        options=options,
        exact=exact,
        masks=(*recipe_masks, *table_masks),
        private=private,
        allow_unchecked_burned_in=recipe.allow_unchecked_burned_in,
        pixels=recipe.pixels,
    )


def _rule_json(rule: Rule) -> list[str | None]:
    return [rule.action.value, rule.origin, rule.value]


def ruleset_fingerprint(ruleset: Ruleset) -> str:
    """SHA-256 of the resolved rules: changes when the recipe *or* the shipped table changes."""
    document = {
        "mode": ruleset.mode.value,
        "options": sorted(option.value for option in ruleset.options),
        "exact": {f"{tag:08X}": _rule_json(rule) for tag, rule in sorted(ruleset.exact.items())},
        "masks": [[f"{m.mask:08X}", f"{m.value:08X}", _rule_json(m.rule)] for m in ruleset.masks],
        "private": sorted(
            [f"{key.group:04X}", key.creator, f"{key.element:02X}", _rule_json(rule)]
            for key, rule in ruleset.private.items()
        ),
        "allow_unchecked_burned_in": ruleset.allow_unchecked_burned_in,
    }
    if ruleset.pixels != DEFAULT_PIXELS:  # the default leaves earlier fingerprints as they were
        document["pixels"] = ruleset.pixels.canonical()
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
