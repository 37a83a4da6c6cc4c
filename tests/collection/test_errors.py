"""Bad input: one clear error (or the documented policy), never a traceback or a value."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from medanon.collection.patients import AGE, PatientRow
from medanon.collection.planner import plan_collection
from medanon.collection.run import ClinicalInput, run_private
from medanon.custody.keys import SecretKey
from medanon.errors import ConfigurationError, MedanonError, PrivacyError
from medanon.profile.privacy_section import PrivacySection
from medanon.profile.recipe import Recipe
from medanon.runner.run import RunOptions

ONE = RunOptions(workers=1)


def _privacy(qis: str, extra: str = "") -> str:
    return f"[privacy]\nk = 5\nmax_suppression = 0.1\nquasi_identifiers = {qis}\n{extra}"


def _assert_no_values(message: str, cohort: Path) -> None:
    for path in sorted(cohort.rglob("*.dcm"))[:5]:
        assert path.parent.parent.name not in message
    assert "CH" not in message.replace("CHEST", "")


def test_a_quasi_identifier_no_file_carries(cohort: Path, run_key: SecretKey, tmp_path: Path,
                                            write_recipe: Callable[[str], Recipe]) -> None:
    recipe = write_recipe(_privacy('["age", "EthnicGroup"]'))
    with pytest.raises(ConfigurationError, match="no file carries a readable value for "
                                                 "'EthnicGroup'") as caught:
        run_private(cohort, tmp_path / "out", recipe, run_key, options=ONE)
    _assert_no_values(str(caught.value), cohort)
    assert not list((tmp_path / "out").rglob("*.dcm"))


def test_k_larger_than_the_collection(cohort: Path, run_key: SecretKey, tmp_path: Path,
                                      write_recipe: Callable[[str], Recipe]) -> None:
    recipe = write_recipe(_privacy('["age"]').replace("k = 5", "k = 500"))
    with pytest.raises(PrivacyError, match=r"k = 500 is larger than the number of patients "
                                           r"in the collection \(60\)"):
        run_private(cohort, tmp_path / "out", recipe, run_key, options=ONE)


def test_a_clinical_key_that_matches_nobody(cohort: Path, run_key: SecretKey, tmp_path: Path,
                                            write_recipe: Callable[[str], Recipe]) -> None:
    table = tmp_path / "clinical.csv"
    with table.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["mrn", "diagnosis"])
        writer.writerows([[f"X{i:05d}", "clear"] for i in range(10)])
    recipe = write_recipe(_privacy('["age", "PatientSex"]', 'sensitive = "clinical:diagnosis"'))
    with pytest.raises(ConfigurationError, match="matches no patient") as caught:
        run_private(cohort, tmp_path / "out", recipe, run_key, options=ONE,
                    clinical=ClinicalInput(table, "mrn"))
    assert "X0000" not in str(caught.value)
    with pytest.raises(ConfigurationError, match="no column 'PatientID'"):
        run_private(cohort, tmp_path / "out", recipe, run_key, options=ONE,
                    clinical=ClinicalInput(table, "PatientID"))


def test_clinical_columns_without_a_clinical_table(cohort: Path, run_key: SecretKey,
                                                  tmp_path: Path,
                                                  write_recipe: Callable[[str], Recipe]) -> None:
    recipe = write_recipe(_privacy('["age", "clinical:stage"]'))
    with pytest.raises(ConfigurationError, match="--clinical FILE"):
        run_private(cohort, tmp_path / "out", recipe, run_key, options=ONE)


def _rows(count: int, age: list[float | None]) -> list[PatientRow]:
    return [PatientRow(f"MA{i:012d}", {AGE: age[i], "PatientSex": "FM"[i % 2]}, 1, 1)
            for i in range(count)]


def test_unparseable_ages_are_missing_and_suppressed_within_the_budget() -> None:
    ages: list[float | None] = [float(40 + i) for i in range(20)]
    ages[3] = None  # what an unparseable PatientAge becomes (see patients.py)
    section = PrivacySection(k=5, quasi_identifiers=(AGE, "PatientSex"), max_suppression=0.1)
    plan = plan_collection(_rows(20, ages), section)
    assert "MA000000000003" in plan.suppressed
    assert "MA000000000003" not in plan.patients


def test_too_many_missing_values_name_the_attribute_and_the_counts() -> None:
    ages: list[float | None] = [None if i % 3 == 0 else float(40 + i) for i in range(30)]
    section = PrivacySection(k=5, quasi_identifiers=(AGE, "PatientSex"), max_suppression=0.1)
    with pytest.raises(PrivacyError, match=r"10 of 30 patients lack a readable value .*"
                                           r"\(age 10\).*allows \(3\)"):
        plan_collection(_rows(30, ages), section)


def test_the_command_line_prints_one_error_line(cohort: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "r.toml"
    recipe.write_text(_privacy('["age", "EthnicGroup"]'), encoding="utf-8")
    key = tmp_path / "k.key"
    subprocess.run([sys.executable, "-m", "medanon.cli.main", "keygen", str(key)], check=True,
                   capture_output=True)
    done = subprocess.run([sys.executable, "-m", "medanon.cli.main", "run", str(cohort),
                           str(tmp_path / "out"), "--recipe", str(recipe), "--key", str(key),
                           "--workers", "1"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("medanon: error:")]
    assert len(errors) == 1 and "EthnicGroup" in errors[0]


def test_every_error_is_a_medanon_error() -> None:
    assert issubclass(PrivacyError, MedanonError)
