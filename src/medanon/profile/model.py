"""The vocabulary shared by the profile, the recipe and the transform.

A :class:`Ruleset` is the resolved answer to "what happens to this attribute?":
the Basic Profile, the chosen options and the recipe's overrides folded into one
frozen, picklable lookup, built once per run and handed to every worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from medanon.pixels.settings import DEFAULT_PIXELS, PixelSettings


class Option(StrEnum):
    """The options of PS3.15 Table E.1-1, by the names the CLI and recipes use."""

    RETAIN_SAFE_PRIVATE = "retain-safe-private"
    RETAIN_UIDS = "retain-uids"
    RETAIN_DEVICE_IDENTITY = "retain-device-identity"
    RETAIN_INSTITUTION_IDENTITY = "retain-institution-identity"
    RETAIN_PATIENT_CHARACTERISTICS = "retain-patient-characteristics"
    RETAIN_LONGITUDINAL_FULL_DATES = "retain-longitudinal-full-dates"
    RETAIN_LONGITUDINAL_MODIFIED_DATES = "retain-longitudinal-modified-dates"
    CLEAN_DESCRIPTORS = "clean-descriptors"
    CLEAN_STRUCTURED_CONTENT = "clean-structured-content"
    CLEAN_GRAPHICS = "clean-graphics"


class Action(StrEnum):
    """What the transform does to one data element."""

    REMOVE = "remove"  # X
    EMPTY = "empty"  # Z: zero-length value
    DUMMY = "dummy"  # D: a non-zero-length dummy valid for the VR
    KEEP = "keep"  # K
    CLEAN = "clean"  # C: replace identifying content with non-identifying content
    REMAP_UID = "remap-uid"  # U: keyed, consistent UID
    SHIFT_DATE = "shift-date"  # C on a date/time under Modified Dates: per-patient offset
    REPLACE = "replace"  # recipe: a fixed value
    PSEUDONYM = "pseudonym"  # recipe: keyed pseudonym of the value
    HASH = "hash"  # recipe: keyed hash of the value


class Mode(StrEnum):
    """Blacklist removes what is known to be sensitive; whitelist keeps only what is approved."""

    BLACKLIST = "blacklist"
    WHITELIST = "whitelist"


@dataclass(frozen=True)
class Rule:
    """One resolved decision for an attribute.

    ``origin`` says where it came from ("basic:X/Z", "option:clean-descriptors:C",
    "recipe") so ``medanon profiles show`` and the run report can explain it.
    """

    action: Action
    origin: str
    value: str | None = None


@dataclass(frozen=True)
class MaskRule:
    """A rule for a repeating group such as (50xx,xxxx) or (60xx,3000).

    A tag matches when ``tag & mask == value``.
    """

    mask: int
    value: int
    rule: Rule


@dataclass(frozen=True)
class PrivateKey:
    """A private attribute named the only safe way: by creator and element byte, not group."""

    group: int
    creator: str
    element: int  # the low byte (the 'ee' in (gggg,xxee))


@dataclass(frozen=True)
class Ruleset:
    """Everything the transform needs to decide one element, frozen and picklable.

    ``exact`` maps a 32-bit tag to its rule; ``masks`` handles repeating groups;
    ``private`` lists private attributes that survive (Retain Safe Private, or a
    recipe keep). Anything a whitelist ruleset does not name is removed and reported.
    """

    mode: Mode
    options: frozenset[Option]
    exact: Mapping[int, Rule]
    masks: tuple[MaskRule, ...] = ()
    private: Mapping[PrivateKey, Rule] = field(default_factory=dict)
    allow_unchecked_burned_in: bool = False
    pixels: PixelSettings = DEFAULT_PIXELS
    # Answers already looked up: every file asks about the same few hundred tags, and an
    # unnamed tag would otherwise be tried against every mask each time.
    _answers: dict[int, Rule | None] = field(default_factory=dict, init=False, repr=False,
                                             compare=False, hash=False)

    _tags_by_actions: dict[frozenset[Action], frozenset[int]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def exact_tags_with(self, actions: frozenset[Action]) -> frozenset[int]:
        """The tags named exactly (not by a group mask) whose rule is one of ``actions``."""
        try:
            return self._tags_by_actions[actions]
        except KeyError:
            pass
        tags = frozenset(t for t, rule in self.exact.items() if rule.action in actions)
        self._tags_by_actions[actions] = tags
        return tags

    def rule_for(self, tag: int) -> Rule | None:
        """The rule for a public tag, or None when neither the profile nor the recipe names it."""
        try:
            return self._answers[tag]
        except KeyError:
            pass
        rule = self.exact.get(tag)
        if rule is None:
            rule = next((m.rule for m in self.masks if tag & m.mask == m.value), None)
        self._answers[int(tag)] = rule
        return rule

    def private_rule(self, key: PrivateKey) -> Rule | None:
        """The rule for a private attribute, or None (then it is removed)."""
        return self.private.get(key)
