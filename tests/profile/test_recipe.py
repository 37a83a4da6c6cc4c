from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medanon.errors import RecipeError
from medanon.profile.model import Action, Mode, Option, PrivateKey
from medanon.profile.recipe import (
    AttributeOverride,
    Recipe,
    default_recipe,
    load_recipe,
    parse_recipe,
)

FULL = """\
mode = "blacklist"
profile = "basic"
options = ["retain-longitudinal-modified-dates", "clean-descriptors"]
allow_unchecked_burned_in = false
[attributes]
PatientAge = "keep"
"(0010,1020)" = "keep"
StudyDescription = { action = "replace", value = "CT CHEST" }
"(0019,xx23)@GEMS_ACQU_01" = "keep"
"""


def test_parse_the_documented_example() -> None:
    recipe = parse_recipe(FULL)
    assert recipe.mode is Mode.BLACKLIST and recipe.profile == "basic"
    assert recipe.options == (Option.RETAIN_LONGITUDINAL_MODIFIED_DATES, Option.CLEAN_DESCRIPTORS)
    by_key = {item.key: item for item in recipe.attributes}
    assert by_key["(0010,1010)"].action is Action.KEEP  # PatientAge by keyword
    assert by_key["(0010,1020)"].action is Action.KEEP
    assert (by_key["(0008,1030)"].action, by_key["(0008,1030)"].value) == (
        Action.REPLACE,
        "CT CHEST",
    )
    private = by_key["(0019,xx23)@GEMS_ACQU_01"].selector
    assert private.private == PrivateKey(0x0019, "GEMS_ACQU_01", 0x23)


def test_an_empty_recipe_is_the_default_and_empty_options_is_plain_basic() -> None:
    assert parse_recipe("").fingerprint() == default_recipe().fingerprint()
    assert parse_recipe("options = []").options == ()
    assert default_recipe().options == (Option.RETAIN_LONGITUDINAL_MODIFIED_DATES,)


def test_other_spellings() -> None:
    recipe = parse_recipe(
        'mode = "whitelist"\n'
        "allow_unchecked_burned_in = true\n"
        "[attributes]\n"
        '"(0028,0030)" = "keep"\n'
        'OverlayData = "remove"\n'  # a repeating-group keyword becomes a pattern
        '"(60XX,0010)" = "keep"\n'
        '"(0008,0018 )" = "remap-uid"\n'
        'StudyDate = "shift-date"\n'
        'OtherPatientIDs = "hash"\n'
        'RequestingPhysician = "pseudonym"\n'
        'Rows = { action = "replace", value = 512 }\n'
        'SliceThickness = { action = "replace", value = 1.5 }\n'
        'ImageOrientationPatient = { action = "replace", value = "1\\\\0\\\\0\\\\0\\\\1\\\\0" }\n'
        "\n[attributes.SeriesDescription]\n"
        'action = "replace"\n'
        'value = "T1"\n'
    )
    assert recipe.mode is Mode.WHITELIST and recipe.allow_unchecked_burned_in
    keys = {item.key: item for item in recipe.attributes}
    assert "(60xx,3000)" in keys and "(60xx,0010)" in keys
    assert keys["(0028,0010)"].value == "512"
    assert keys["(0018,0050)"].value == "1.5"
    assert keys["(0020,0037)"].value == "1\\0\\0\\0\\1\\0"
    assert keys["(0008,103E)"].value == "T1"


def test_load_recipe_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "study.toml"
    path.write_text(FULL, encoding="utf-8")
    recipe = load_recipe(path)
    assert recipe.source == str(path)
    assert recipe.fingerprint() == parse_recipe(FULL).fingerprint()


def _error(text: str) -> str:
    with pytest.raises(RecipeError) as info:
        parse_recipe(text, source="r.toml")
    message = str(info.value)
    assert message.count("\n") == 0
    return message


ERRORS = [
    # (recipe text, line, fragments that must appear)
    ('mode = "blacklist"\noptions = [\n  "retain-uids",\n  bogus\n]\n', 4, ["TOML syntax error"]),
    ('mode = "blacklist"\nmode = "whitelist"\n', 2, ["TOML syntax error"]),
    ('mode = "blacklist"\n\nmodes = "x"\n', 3, ["unknown key 'modes'", "valid keys"]),
    ('# comment\nmode = "greylist"\n', 2, ["mode", "'greylist'", "whitelist"]),
    ('profile = "extended"\n', 1, ["profile", "'extended'", "basic"]),
    ('\noptions = "retain-uids"\n', 2, ["options", "list"]),
    (
        'options = [\n  "retain-uids",\n  "retain-uuids",\n]\n',
        3,
        ["unknown option 'retain-uuids'", "retain-safe-private", "clean-graphics"],
    ),
    ('options = [\n  "retain-uids",\n  "retain-uids",\n]\n', 3, ["listed twice"]),
    (
        '\noptions = ["retain-longitudinal-full-dates", "retain-longitudinal-modified-dates"]\n',
        2,
        ["exclude each other"],
    ),
    ('allow_unchecked_burned_in = "yes"\n', 1, ["allow_unchecked_burned_in", "true or false"]),
    ("\n\nattributes = 5\n", 3, ["attributes", "table"]),
    (
        '[attributes]\nPatientAge = "keep"\nPatientAgee = "keep"\n',
        3,
        ["PatientAgee", "unknown keyword", "did you mean PatientAge"],
    ),
    ('[attributes]\n"(0010,101)" = "keep"\n', 2, ['"(0010,101)"', "four hex digits"]),
    ('[attributes]\n\n"(0019,1023)" = "keep"\n', 3, ["private", "@CREATOR"]),
    ('[attributes]\n"(0019,1023)@GEMS" = "keep"\n', 2, ["xx"]),
    ('[attributes]\n"(0010,xx23)@GEMS" = "keep"\n', 2, ["not a private group"]),
    ('[attributes]\n"(0019,xx23)@  " = "keep"\n', 2, ["creator", "empty"]),
    ('[attributes]\n"(60x1,3000)" = "keep"\n', 2, ["private"]),
    ('[attributes]\nPatient-Age = "keep"\n', 2, ["not a DICOM keyword"]),
    ('[attributes]\nPatientAge = "kep"\n', 2, ["unknown action 'kep'", "remap-uid"]),
    ("[attributes]\nPatientAge = 5\n", 2, ["expected an action name"]),
    ("[attributes]\nPatientAge = { action = 5 }\n", 2, ["unknown action 5"]),
    ('[attributes]\nPatientAge = { value = "045Y" }\n', 2, ["no action"]),
    (
        '[attributes]\nPatientAge = { action = "keep", colour = "red" }\n',
        2,
        ["unknown key 'colour'"],
    ),
    ('[attributes]\nPatientAge = { action = "replace" }\n', 2, ["needs a value"]),
    (
        '[attributes]\nPatientAge = { action = "keep", value = "045Y" }\n',
        2,
        ["only used with action replace"],
    ),
    (
        '[attributes]\nPatientAge = { action = "replace", value = true }\n',
        2,
        ["string or a number"],
    ),
    (
        '[attributes]\nPatientAge = { action = "replace", value = ["1"] }\n',
        2,
        ["string or a number"],
    ),
    (
        '[attributes]\nPatientAge = { action = "replace", value = "45 years" }\n',
        2,
        ["'45 years'", "VR AS"],
    ),
    (
        '[attributes]\nStationName = { action = "replace", value = "ABCDEFGHIJKLMNOPQ" }\n',
        2,
        ["StationName", "VR SH", "length"],
    ),
    (
        '[attributes]\nStudyDate = { action = "replace", value = "20240230" }\n',
        2,
        ["'20240230'", "calendar date"],
    ),
    (
        '[attributes]\nRows = { action = "replace", value = "many" }\n',
        2,
        ["VR US", "not an integer"],
    ),
    ('[attributes]\nRows = { action = "replace", value = 70000 }\n', 2, ["VR US"]),
    (
        '[attributes]\nPixelSpacing = { action = "replace", value = "1\\\\1\\\\1" }\n',
        2,
        ["3 value(s)", "VM is 2"],
    ),
    ('[attributes]\nModality = { action = "replace", value = "ct" }\n', 2, ["VR CS"]),
    ('[attributes]\nPixelData = { action = "replace", value = "00" }\n', 2, ["pixel data cannot"]),
    ('[attributes]\nPatientAge = "remap-uid"\n', 2, ["remap-uid only applies to UI"]),
    ('[attributes]\nPatientName = "shift-date"\n', 2, ["shift-date only applies"]),
    ('[attributes]\nRows = "pseudonym"\n', 2, ["pseudonym only applies to text"]),
    ('[attributes]\nStudyDate = "hash"\n', 2, ["hash only applies to text"]),
    ('[attributes]\n"(0010,9999)" = "hash"\n', 2, ["does not know it"]),
    (
        '[attributes]\n"(0019,xx23)@GEMS_ACQU_01" = { action = "replace", value = "1" }\n',
        2,
        ["private attribute can only be kept, removed or emptied"],
    ),
    (
        '[attributes]\nPatientAge = "keep"\n"(0010,1010)" = "remove"\n',
        3,
        ["same attribute as 'PatientAge' (line 2)"],
    ),
    (
        '[attributes]\nPatientAge = "keep"\n\n[attributes.StudyDescription]\naction = "replace"\n'
        'value = "' + "x" * 70 + '"\n',
        6,
        ["StudyDescription", "VR LO"],
    ),
    ('[attributes]\n[attributes.StudyDescription]\naction = "explode"\n', 3, ["unknown action"]),
]


@pytest.mark.parametrize(("text", "line", "fragments"), ERRORS)
def test_every_error_names_file_line_and_culprit(
    text: str, line: int, fragments: list[str]
) -> None:
    message = _error(text)
    assert message.startswith(f"r.toml, line {line}: "), message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_unreadable_and_undecodable_files(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match="cannot read the recipe"):
        load_recipe(tmp_path / "missing.toml")
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'mode = "blacklist"\n# caf\xe9\n')
    with pytest.raises(RecipeError, match=r"latin1\.toml, line 2: the recipe is not UTF-8"):
        load_recipe(path)


def test_the_model_itself_validates_direct_construction() -> None:
    """Direct construction raises medanon's own RecipeError, naming the field."""
    with pytest.raises(RecipeError, match=r"^AttributeOverride: PatientAge: write the key as"):
        AttributeOverride(key="PatientAge", action=Action.KEEP)  # not canonical
    with pytest.raises(RecipeError, match=r"^AttributeOverride: "):
        AttributeOverride(key="(0010,1010)", action=Action.REMAP_UID)
    with pytest.raises(RecipeError, match=r"^Recipe: options: "):
        Recipe(
            options=(
                Option.RETAIN_LONGITUDINAL_FULL_DATES,
                Option.RETAIN_LONGITUDINAL_MODIFIED_DATES,
            )
        )
    item = AttributeOverride(key="(0010,1010)", action=Action.KEEP)
    with pytest.raises(RecipeError, match=r"^Recipe: attributes"):
        Recipe(attributes=(item, item))
    with pytest.raises(RecipeError, match=r"^Recipe: colour: not a field$"):
        Recipe(colour="red")  # type: ignore[call-arg]
    with pytest.raises(RecipeError, match=r"^Recipe: mode: expected 'blacklist' or 'whitelist'"):
        Recipe(mode="greylist")  # type: ignore[arg-type]
    recipe = Recipe()
    with pytest.raises(RecipeError, match=r"^Recipe: mode: cannot be changed"):
        recipe.mode = Mode.WHITELIST  # type: ignore[misc]


# --- fingerprint ---------------------------------------------------------------------------


def test_fingerprint_is_stable_and_known() -> None:
    # A change here means every earlier run will see "recipe changed": only on purpose.
    assert default_recipe().fingerprint() == (
        "d706a56eb7effe2aee555426b534f89b1251457ff99f53c262d6a3a48310973d"
    )


def test_default_recipe_and_its_ruleset_do_not_import_pydantic() -> None:
    # pydantic costs ~0.1 s to import: a third of a rerun with nothing to do. Only a recipe
    # file needs it. The fingerprint is pinned in every manifest, so it must not move.
    code = (
        "import sys\n"
        "from medanon.profile.recipe import default_recipe\n"
        "from medanon.profile.ruleset import build_ruleset\n"
        "recipe = default_recipe()\n"
        "build_ruleset(recipe)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pydantic', 'pydantic_core', 'pydicom', 'tomllib'))\n"
        "print(recipe.fingerprint(), loaded)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.split(" ", 1) == [
        "d706a56eb7effe2aee555426b534f89b1251457ff99f53c262d6a3a48310973d", "[]\n"
    ]


def test_recipes_compare_hash_pickle_and_convert_like_the_pydantic_models() -> None:
    item = AttributeOverride(key="(0010,1010)", action="keep")
    recipe = Recipe(mode="whitelist", options=["clean-descriptors", "retain-uids"],
                    attributes=[{"key": "(0008,1030)", "action": "empty"}, item])
    assert recipe.mode is Mode.WHITELIST
    assert recipe.options == (Option.RETAIN_UIDS, Option.CLEAN_DESCRIPTORS)
    assert [a.key for a in recipe.attributes] == ["(0008,1030)", "(0010,1010)"]
    assert recipe == pickle.loads(pickle.dumps(recipe))
    assert hash(recipe) == hash(pickle.loads(pickle.dumps(recipe)))
    assert Recipe() == default_recipe() and Recipe() != Recipe(source="x.toml")
    assert Recipe(source="x.toml").fingerprint() == Recipe().fingerprint()
    assert repr(item) == (
        "AttributeOverride(key='(0010,1010)', action=<Action.KEEP: 'keep'>, value=None)"
    )


def test_fingerprint_ignores_spelling_order_comments_and_source() -> None:
    one = parse_recipe(
        'options = ["clean-descriptors", "retain-uids"]\n[attributes]\n'
        'PatientAge = "keep"\nStudyDescription = { action = "replace", value = "X" }\n',
        source="a.toml",
    )
    two = parse_recipe(
        '# same content\noptions = ["retain-uids", "clean-descriptors"]\n[attributes]\n'
        'StudyDescription = { value = "X", action = "replace" }\n"(0010,1010)" = "keep"\n',
        source="b.toml",
    )
    assert one.fingerprint() == two.fingerprint()
    assert one.source != two.source


@pytest.mark.parametrize(
    "changed",
    [
        'mode = "whitelist"',
        "options = []",
        "allow_unchecked_burned_in = true",
        '[attributes]\nPatientAge = "keep"',
        '[attributes]\nStudyDescription = { action = "replace", value = "Y" }',
    ],
)
def test_fingerprint_changes_with_content(changed: str) -> None:
    assert parse_recipe(changed).fingerprint() != default_recipe().fingerprint()


KEYWORDS = [
    "PatientAge",
    "PatientSex",
    "StudyDescription",
    "BodyPartExamined",
    "SliceThickness",
    "KVP",
    "EchoTime",
    "Manufacturer",
    "(0019,xx23)@GEMS_ACQU_01",
    "(60xx,3000)",
]


@given(st.permutations(KEYWORDS), st.permutations(list(Option)[:4]))
def test_fingerprint_does_not_depend_on_order(keys: list[str], options: list[Option]) -> None:
    lines = [f'"{key}" = "keep"' for key in keys]
    text = "options = [" + ", ".join(f'"{o.value}"' for o in options) + "]\n[attributes]\n"
    reference = parse_recipe(
        "options = ["
        + ", ".join(f'"{o.value}"' for o in list(Option)[:4])
        + "]\n[attributes]\n"
        + "\n".join(f'"{key}" = "keep"' for key in KEYWORDS)
    )
    assert parse_recipe(text + "\n".join(lines)).fingerprint() == reference.fingerprint()
