"""The [privacy] section of a recipe: exactly the issue's syntax, and one error per problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from medanon.errors import RecipeError
from medanon.privacy.builders import FileSpec
from medanon.profile.recipe import Recipe, load_recipe, parse_recipe

ISSUE_EXAMPLE = """
[privacy]
k = 5
l = 3                      # optional; l_model = "distinct" | "entropy" | "recursive" (c = ...)
t = 0.2                    # optional
max_suppression = 0.02     # share of patients that may be left out
quasi_identifiers = ["age", "PatientSex", "PatientSize", "PatientWeight"]
sensitive = "clinical:diagnosis"   # a column of the clinical table, or a DICOM keyword

[privacy.hierarchies]      # optional, per quasi-identifier
EthnicGroup = "hierarchies/ethnic_group.csv"   # ARX format, as `medanon table` reads
"""


def test_the_issue_example_parses(tmp_path: Path) -> None:
    (tmp_path / "hierarchies").mkdir()
    (tmp_path / "hierarchies" / "ethnic_group.csv").write_text("A;*\nB;*\n")
    path = tmp_path / "recipe.toml"
    path.write_text(ISSUE_EXAMPLE.replace('"PatientWeight"]', '"PatientWeight", "EthnicGroup"]'))
    recipe = load_recipe(path)
    section = recipe.privacy
    assert section is not None
    assert (section.k, section.l, section.t, section.max_suppression) == (5, 3, 0.2, 0.02)
    assert section.quasi_identifiers[0] == "age"
    assert section.sensitive == "clinical:diagnosis"
    assert section.clinical_columns == ("diagnosis",)
    assert section.hierarchies == (("EthnicGroup",
                                    FileSpec(tmp_path / "hierarchies" / "ethnic_group.csv")),)
    assert section.represent == "omit"


def test_builders_use_the_syntax_of_medanon_table(tmp_path: Path) -> None:
    from medanon.privacy.builders import IntervalSpec, MaskingSpec
    from medanon.privacy.config import load_toml

    builders = ('age = { intervals = [5, 10, 20], lower = 0, upper = 120 }\n'
                '"clinical:zip" = { masking = true }\n')
    recipe = parse_recipe('[privacy]\nk = 5\nquasi_identifiers = ["age", "clinical:zip"]\n'
                          "[privacy.hierarchies]\n" + builders)
    assert recipe.privacy is not None
    specs = dict(recipe.privacy.hierarchies)
    assert specs == {"age": IntervalSpec((5.0, 10.0, 20.0), 0.0, 120.0),
                     "clinical:zip": MaskingSpec()}
    table_config = tmp_path / "t.toml"
    table_config.write_text('qi = ["age"]\nk = 5\n[hierarchies]\n' + builders)
    assert load_toml(table_config)["hierarchies"] == specs
    assert recipe.privacy.canonical()["hierarchies"]["age"]["intervals"] == [5.0, 10.0, 20.0]


def test_a_recipe_without_the_section_keeps_its_fingerprint() -> None:
    assert parse_recipe("").fingerprint() == Recipe().fingerprint()
    assert "privacy" not in Recipe().canonical()
    assert Recipe().privacy is None


def test_the_section_changes_the_fingerprint() -> None:
    base = "[privacy]\nquasi_identifiers = [\"age\"]\nk = "
    assert parse_recipe(base + "5").fingerprint() != parse_recipe(base + "6").fingerprint()


@pytest.mark.parametrize(("text", "message"), [
    ('options = ["retain-patient-characteristics"]\n[privacy]\nk = 5\n'
     'quasi_identifiers = ["age", "PatientSex"]',
     "line 1: privacy: 'age' is a quasi-identifier, which retain-patient-characteristics"),
    ('options = ["retain-patient-characteristics"]\n[privacy]\nk = 5\n'
     'quasi_identifiers = ["PatientWeight"]', "choose one of the two"),
    ('[attributes]\nPatientAge = "keep"\n[privacy]\nk = 5\nquasi_identifiers = ["age"]',
     "an [attributes] rule for PatientAge"),
    ('options = ["retain-longitudinal-full-dates"]\n[privacy]\nk = 5\n'
     'quasi_identifiers = ["first_study_year"]', "retain-longitudinal-full-dates"),
    ('[privacy]\nquasi_identifiers = ["age"]', "k is required"),
    ('[privacy]\nk = 1\nquasi_identifiers = ["age"]', "line 2: privacy.k: must be at least 2"),
    ('[privacy]\nk = 2.5\nquasi_identifiers = ["age"]', "expected a whole number"),
    ('[privacy]\nk = 5\nquasi_identifiers = []', "expected a list of names"),
    ('[privacy]\nk = 5\nquasi_identifiers = ["age", "age"]', "listed twice"),
    ('[privacy]\nk = 5\nquasi_identifiers = ["Nonsense"]', "is not a DICOM keyword"),
    ('[privacy]\nk = 5\nquasi_identifiers = ["SeriesDescription"]',
     "not a patient- or study-level attribute"),
    ('[privacy]\nk = 5\nl = 2\nquasi_identifiers = ["age"]', "needs a sensitive attribute"),
    ('[privacy]\nk = 5\nquasi_identifiers = ["age"]\nsensitive = "age"', "quasi-identifier"),
    ('[privacy]\nk = 5\nl = 2\nl_model = "recursive"\nsensitive = "clinical:d"\n'
     'quasi_identifiers = ["age"]', "recursive needs c"),
    ('[privacy]\nk = 5\nmax_suppression = 2\nquasi_identifiers = ["age"]', "between 0 and 1"),
    ('[privacy]\nk = 5\nrepresent = "mean"\nquasi_identifiers = ["age"]', "'midpoint'"),
    ('[privacy]\nk = 5\nquasi_identifiers = ["age"]\nsurprise = 1', "unknown key 'surprise'"),
    ('[privacy]\nk = 5\nquasi_identifiers = ["age"]\n[privacy.hierarchies]\nPatientSex = "x.csv"',
     "neither a quasi-identifier"),
    ('[privacy]\nk = 5\nquasi_identifiers = ["InstitutionName"]',
     "unless retain-institution-identity"),
    ('[privacy]\nk = 5\nquasi_identifiers = ["age"]\n[privacy.hierarchies]\n'
     'age = { intervals = [5, 7] }', "privacy.hierarchies.age: intervals: each width"),
    ('[privacy]\nk = 5\nquasi_identifiers = ["age"]\n[privacy.hierarchies]\n'
     'age = { bands = [5] }', "name exactly one builder"),
])
def test_problems_are_one_recipe_error(text: str, message: str) -> None:
    with pytest.raises(RecipeError, match=message.replace("[", r"\[").replace("(", r"\(")):
        parse_recipe(text)


def test_serve_can_tell_a_privacy_recipe() -> None:
    assert parse_recipe('[privacy]\nk = 5\nquasi_identifiers = ["age"]').privacy is not None
    assert parse_recipe("").privacy is None


def test_the_shipped_privacy_recipe_parses() -> None:
    recipe = load_recipe(Path(__file__).parents[2] / "recipes" / "privacy-k5.toml")
    assert recipe.privacy is not None
    assert (recipe.privacy.k, recipe.privacy.l) == (5, 2)
    assert recipe.privacy.sensitive == "clinical:diagnosis"
