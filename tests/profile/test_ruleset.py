from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from pydicom.datadict import tag_for_keyword

from medanon.errors import ConfigurationError
from medanon.profile.model import Action, Mode, Option
from medanon.profile.recipe import Recipe, default_recipe, load_recipe, parse_recipe
from medanon.profile.ruleset import build_ruleset, profile_rules, ruleset_fingerprint
from medanon.profile.structural import STRUCTURAL_ATTRIBUTES, STRUCTURAL_ORIGIN, structural_tags
from medanon.profile.table import entry_for_tag

RECIPES = Path(__file__).resolve().parents[2] / "recipes"


def _tag(keyword: str) -> int:
    tag = tag_for_keyword(keyword)
    assert tag is not None
    return int(tag)


def test_default_ruleset() -> None:
    ruleset = build_ruleset(default_recipe())
    assert ruleset.mode is Mode.BLACKLIST
    assert ruleset.options == frozenset({Option.RETAIN_LONGITUDINAL_MODIFIED_DATES})
    assert not ruleset.allow_unchecked_burned_in
    study_date = ruleset.rule_for(_tag("StudyDate"))
    assert study_date is not None and study_date.action is Action.SHIFT_DATE
    name = ruleset.rule_for(_tag("PatientName"))
    assert name is not None and (name.action, name.origin) == (
        Action.PSEUDONYM,
        "basic:Z+pseudonym",
    )
    pid = ruleset.rule_for(_tag("PatientID"))
    assert pid is not None and (pid.action, pid.origin) == (Action.PSEUDONYM, "basic:Z/D+pseudonym")
    assert ruleset.rule_for(_tag("Rows")) is None  # blacklist: unnamed means kept
    assert pickle.loads(pickle.dumps(ruleset)) == ruleset


def test_sequences_resolve_to_empty_or_remap() -> None:
    ruleset = build_ruleset(Recipe(options=()))
    for keyword, action in [
        ("InstitutionCodeSequence", Action.DUMMY),  # X/Z/D
        ("OperatorIdentificationSequence", Action.DUMMY),  # X/D
        ("ContentSequence", Action.DUMMY),  # D
        ("ReferencedImageSequence", Action.REMAP_UID),  # X/Z/U*
        ("SourceImageSequence", Action.REMAP_UID),
        ("AcquisitionDateTime", Action.DUMMY),  # X/Z/D, not a sequence
        ("ReviewerName", Action.EMPTY),  # X/Z
    ]:
        rule = ruleset.rule_for(_tag(keyword))
        assert rule is not None and rule.action is action, keyword


def test_non_date_cells_of_modified_dates_keep_the_basic_action() -> None:
    ruleset = build_ruleset(default_recipe())
    for keyword, action in [
        ("TimezoneOffsetFromUTC", Action.REMOVE),
        ("CertifiedTimestamp", Action.REMOVE),
        ("FrameOriginTimestamp", Action.DUMMY),
    ]:
        rule = ruleset.rule_for(_tag(keyword))
        assert rule is not None and rule.action is action and rule.origin.startswith("basic:")


def test_recipe_overrides_win_over_the_profile() -> None:
    recipe = parse_recipe(
        "[attributes]\n"
        'StudyDescription = { action = "replace", value = "CT CHEST" }\n'
        'PatientAge = "keep"\n'
        'StudyInstanceUID = "keep"\n'
    )
    ruleset = build_ruleset(recipe)
    description = ruleset.rule_for(_tag("StudyDescription"))
    assert description is not None
    assert (description.action, description.origin, description.value) == (
        Action.REPLACE,
        "recipe",
        "CT CHEST",
    )
    age = ruleset.rule_for(_tag("PatientAge"))
    assert age is not None and age.action is Action.KEEP
    study_uid = ruleset.rule_for(_tag("StudyInstanceUID"))
    assert study_uid is not None and study_uid.action is Action.KEEP


def test_recipe_patterns_cover_exact_rules_and_exact_keys_win_over_patterns() -> None:
    recipe = parse_recipe(
        '[attributes]\n"(0010,xxxx)" = "remove"\nPatientSex = "keep"\n"(60xx,3000)" = "keep"\n'
    )
    ruleset = build_ruleset(recipe)
    name = ruleset.rule_for(_tag("PatientName"))
    assert name is not None and name.action is Action.REMOVE and name.origin == "recipe"
    unknown = ruleset.rule_for(0x00104321)
    assert unknown is not None and unknown.action is Action.REMOVE
    sex = ruleset.rule_for(_tag("PatientSex"))
    assert sex is not None and sex.action is Action.KEEP
    overlay = ruleset.rule_for(0x60043000)
    assert overlay is not None and overlay.action is Action.KEEP and overlay.origin == "recipe"
    assert ruleset.rule_for(0x60053000) is None  # odd group: private, never a pattern match


def test_whitelist_adds_structural_attributes_without_weakening_the_profile() -> None:
    ruleset = build_ruleset(Recipe(mode=Mode.WHITELIST))
    for tag in structural_tags():
        rule = ruleset.rule_for(tag)
        assert rule is not None
        entry = entry_for_tag(tag)
        if entry is None:
            assert (rule.action, rule.origin) == (Action.KEEP, STRUCTURAL_ORIGIN)
        else:
            assert rule.origin != STRUCTURAL_ORIGIN
    sop = ruleset.rule_for(_tag("SOPInstanceUID"))
    assert sop is not None and sop.action is Action.REMAP_UID
    assert ruleset.rule_for(_tag("SliceThickness")) is None  # not approved: removed
    blacklist = build_ruleset(Recipe())
    assert blacklist.rule_for(_tag("PixelData")) is None


def test_structural_list_is_resolvable_and_unique() -> None:
    keywords = [keyword for keyword, _ in STRUCTURAL_ATTRIBUTES]
    assert len(set(keywords)) == len(keywords)
    assert len(structural_tags()) == len(keywords)
    for required in (
        "PixelData",
        "Rows",
        "SOPClassUID",
        "Modality",
        "SpecificCharacterSet",
        "PatientIdentityRemoved",
        "DeidentificationMethodCodeSequence",
        "LongitudinalTemporalInformationModified",
        "RescaleSlope",
        "WindowWidth",
    ):
        assert required in keywords
    assert all(entry_for_tag(tag) is None for tag in structural_tags())


def test_exclusive_options_are_refused_when_building() -> None:
    with pytest.raises(ConfigurationError):
        profile_rules(
            frozenset(
                {Option.RETAIN_LONGITUDINAL_FULL_DATES, Option.RETAIN_LONGITUDINAL_MODIFIED_DATES}
            )
        )


def test_shipped_basic_recipe_is_the_default() -> None:
    basic = load_recipe(RECIPES / "basic.toml")
    assert basic.fingerprint() == default_recipe().fingerprint()
    assert ruleset_fingerprint(build_ruleset(basic)) == ruleset_fingerprint(
        build_ruleset(default_recipe())
    )


def test_ct_mr_whitelist_only_adds_attributes_the_profile_does_not_govern() -> None:
    recipe = load_recipe(RECIPES / "whitelist-ct-mr.toml")
    assert recipe.mode is Mode.WHITELIST
    ruleset = build_ruleset(recipe)
    for item in recipe.attributes:
        selector = item.selector
        assert selector.kind == "tag" and selector.tag is not None
        assert item.action is Action.KEEP
        assert entry_for_tag(selector.tag) is None, item.key
        assert selector.tag not in structural_tags(), item.key
    for keyword in (
        "SliceThickness",
        "KVP",
        "RepetitionTime",
        "EchoTime",
        "PixelSpacing",
        "ImagePositionPatient",
        "ImageOrientationPatient",
    ):
        rule = ruleset.rule_for(_tag(keyword))
        assert rule is not None and rule.action is Action.KEEP


def test_ruleset_fingerprint_follows_content() -> None:
    base = ruleset_fingerprint(build_ruleset(default_recipe()))
    assert base == ruleset_fingerprint(build_ruleset(default_recipe()))
    changed = parse_recipe('[attributes]\nPatientAge = "keep"\n')
    assert ruleset_fingerprint(build_ruleset(changed)) != base
