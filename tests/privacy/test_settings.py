"""One Settings object: the API's keywords and medanon table's TOML resolve to the same one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from medanon.errors import ConfigurationError
from medanon.privacy import Settings, anonymize, anonymize_with, load_hierarchy
from medanon.privacy.builders import FileSpec, IntervalSpec, MaskingSpec, TreeSpec
from medanon.privacy.config import TableJob, load_config
from medanon.privacy.models import L_MODELS, one_of
from medanon.privacy.roles import Role

from .conftest import DATA

QI = ("age", "race", "sex")


def test_toml_file_and_options_give_the_settings_the_api_builds(
        adult: pa.Table, tmp_path: Path) -> None:
    race = DATA / "adult_hierarchy_race.csv"
    config = tmp_path / "settings.toml"
    config.write_text(
        'qi = ["age", "race", "sex"]\nsensitive = "occupation"\nk = 5\nl = 2\n'
        'l-model = "entropy"\nmax_suppression = 0.01\ninsensitive = ["education"]\n'
        'cluster = "local:1"\n'
        f'[hierarchies]\nrace = "{race}"\nage = {{ intervals = [5, 10] }}\n')
    job = load_config(config, {"k": 7, "t": None, "hierarchies": {"sex": MaskingSpec()}})
    expected = Settings(QI, "occupation", 7, l=2.0, l_model="entropy", max_suppression=0.01,
                        hierarchies={"race": FileSpec(race), "age": IntervalSpec((5.0, 10.0)),
                                     "sex": MaskingSpec()})
    assert job.settings == expected
    assert job.insensitive == ("education",) and job.cluster == "local:1"
    assert job.declared[Role.INSENSITIVE] == ("education",)
    by_keywords = anonymize(adult, qi=list(QI), sensitive="occupation", k=7, l=2,
                            l_model="entropy", max_suppression=0.01,
                            hierarchies={"race": race, "age": IntervalSpec((5.0, 10.0)),
                                         "sex": MaskingSpec()})
    assert by_keywords.settings == expected
    by_settings = anonymize_with(adult, job.settings)
    assert by_settings.arrow.equals(by_keywords.arrow)
    assert by_settings.metrics == by_keywords.metrics


def test_as_dict_records_each_hierarchy_as_declared(adult: pa.Table) -> None:
    race = DATA / "adult_hierarchy_race.csv"
    result = anonymize(adult, qi=list(QI), k=5, hierarchies={
        "race": race, "sex": [("Male", "*"), ("Female", "*")],
        "age": IntervalSpec((10.0,), 0.0, 100.0)})
    values = result.settings.as_dict()
    assert values["hierarchies"] == {
        "age": {"intervals": [10.0], "lower": 0.0, "upper": 100.0},
        "race": str(race), "sex": "hierarchy of sex"}
    assert list(values) == ["qi", "sensitive", "k", "l", "l_model", "c", "t", "t_distance",
                            "hierarchies", "max_suppression", "missing", "risk_threshold"]
    json.dumps(values)  # plain values only
    assert set(result.hierarchies) == {"age", "race", "sex"}
    ages = result.hierarchies["age"]  # built from the column's values
    assert {row[0]: row[1] for row in ages.rows}["37"] == "30-39"
    labels = {label for row in ages.rows for label in row}
    assert set(result.table.column("age").to_pylist()) <= labels | {"*"}


def test_a_loaded_hierarchy_is_kept_as_given(adult: pa.Table) -> None:
    tree = load_hierarchy(DATA / "adult_hierarchy_race.csv")
    result = anonymize(adult, qi=list(QI), k=5, hierarchies={"race": tree})
    assert result.settings.hierarchies == {"race": TreeSpec(tree)}
    assert result.hierarchies["race"] is tree
    assert result.settings.as_dict()["hierarchies"] == {"race": tree.source}


@pytest.mark.parametrize(("changes", "message"), [
    ({"qi": ()}, "at least one quasi-identifier"),
    ({"qi": ("age", "age")}, "listed twice"),
    ({"sensitive": "age"}, "'age' cannot be both sensitive and a quasi-identifier"),
    ({"max_suppression": 1.5}, "max suppression is a share in [0, 1], got 1.5"),
    ({"missing": "skip"}, "missing-value policy must be error or suppress, got 'skip'"),
    ({"hierarchies": {"zip": MaskingSpec()}}, "'zip', which is neither"),
    ({"hierarchies": {"age": "age.csv"}}, "hierarchy of 'age' must be a declaration"),
    ({"l_model": "most"}, "l-model must be distinct, entropy or recursive, got 'most'"),
    ({"k": 0}, "k must be a positive integer"),
    ({"sensitive": None, "l": 2.0}, "need a sensitive column"),
])
def test_inconsistent_settings_are_one_error_when_made(changes: dict[str, Any],
                                                       message: str) -> None:
    values: dict[str, Any] = {"qi": QI, "sensitive": "occupation", "k": 5, **changes}
    with pytest.raises(ConfigurationError) as caught:
        Settings(**values)
    assert message in str(caught.value)


@pytest.mark.parametrize(("options", "message"), [
    ({"qi": "age", "k": 2, "insensitive": "age"}, "both quasi-identifier and insensitive"),
    ({"qi": "age", "k": 2, "sensitive": "age"}, "both quasi-identifier and sensitive"),
    ({"qi": "age", "k": 2.5}, "k must be an integer, got 2.5"),
    ({"qi": "age", "k": 2, "sensitive": 5}, "sensitive must be text"),
    ({"qi": "age", "k": 2, "t_distance": "far"}, "t distance must be auto, equal, ordered "
                                                 "or hierarchical, got 'far'"),
    ({"qi": "age", "k": 2, "max_suppression": "some"}, "invalid setting"),
    ({"k": 2}, "no quasi-identifiers"),
])
def test_options_are_refused_before_any_table_is_read(options: dict[str, Any],
                                                      message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_config(None, options)
    assert message in str(caught.value)


def test_a_job_gives_every_column_one_role() -> None:
    settings = Settings(("age",), None, 2)
    assert TableJob(settings, identifying=("name",)).declared[Role.IDENTIFYING] == ("name",)
    with pytest.raises(ConfigurationError, match="both identifying and pseudonymised"):
        TableJob(settings, identifying=("name",), pseudonymise=("name",))


def test_one_of_returns_the_choice_or_names_them_all() -> None:
    assert one_of("entropy", L_MODELS, "l-model") == "entropy"
    with pytest.raises(ConfigurationError, match="distinct, entropy or recursive, got 3"):
        one_of(3, L_MODELS, "l-model")
