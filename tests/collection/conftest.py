"""A screening cohort on disk (written once), its clinical table, and recipe factories."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from medanon.custody.keys import SecretKey
from medanon.profile.recipe import Recipe, load_recipe
from medanon.sample.cohort import make_patient, write_cohort
from medanon.sample.derive import Deriver

COHORT_SIZE = 60
DIAGNOSES = ("nodule", "emphysema", "clear", "fibrosis")


@pytest.fixture(scope="session")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sixty patients, one or two small CT studies each (seed 0)."""
    root = tmp_path_factory.mktemp("cohort") / "source"
    write_cohort(root, Deriver(0), COHORT_SIZE)
    return root


@pytest.fixture(scope="session")
def clinical_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One row per cohort patient (and two for patients not in the collection)."""
    path = tmp_path_factory.mktemp("clinical") / "clinical.csv"
    d = Deriver(0)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["PatientID", "patient_name", "diagnosis", "smoker_years"])
        for index in range(COHORT_SIZE):
            patient = make_patient(d, index)
            writer.writerow([patient.patient_id, patient.name,
                             DIAGNOSES[(index * 7 + index // 3) % len(DIAGNOSES)],
                             str(5 + (index * 13) % 40)])
        writer.writerow(["CH99999998", "NOBODY^HERE", "clear", "3"])
        writer.writerow(["CH99999999", "NOBODY^THERE", "nodule", "4"])
    return path


@pytest.fixture()
def write_recipe(tmp_path: Path) -> Callable[[str], Recipe]:
    """Write recipe text to a file and load it."""
    counter = iter(range(1000))

    def write(text: str) -> Recipe:
        path = tmp_path / f"recipe{next(counter)}.toml"
        path.write_text(text, encoding="utf-8")
        return load_recipe(path)
    return write


@pytest.fixture(scope="session")
def run_key() -> SecretKey:
    return SecretKey(b"collection-test-key".ljust(32, b"."))


@pytest.fixture()
def make_tree() -> Callable[[Path], dict[str, bytes]]:
    """Every output file's bytes (release folder included, state folder not)."""
    def snapshot(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
                if p.is_file() and ".medanon" not in p.relative_to(root).parts}
    return snapshot
