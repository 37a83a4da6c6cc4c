"""The screening cohort: enough patients for k = 5, with plausible characteristics."""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

from pydicom.dataset import FileDataset

from medanon.sample import SampleCollection
from medanon.sample.cohort import COHORT_PATIENTS, write_clinical


def test_the_sample_has_enough_patients_for_k_anonymity(sample: SampleCollection) -> None:
    assert sample.patients >= 60
    assert len([f for f in sample.expected if "cohort" in f.features]) > COHORT_PATIENTS


def test_characteristics_are_plausible(cohort_datasets: dict[str, FileDataset]) -> None:
    patients = {str(ds.PatientID): ds for ds in cohort_datasets.values()}
    assert len(patients) == COHORT_PATIENTS
    sexes = [str(ds.PatientSex) for ds in patients.values()]
    assert 0.3 < sexes.count("F") / len(sexes) < 0.7
    ages = [int(str(ds.StudyDate)[:4]) - int(str(ds.PatientBirthDate)[:4])
            for ds in patients.values()]
    assert min(ages) >= 40 and max(ages) <= 87 and 58 <= statistics.mean(ages) <= 72
    men = [float(ds.PatientSize) for ds in patients.values() if ds.PatientSex == "M"]
    women = [float(ds.PatientSize) for ds in patients.values() if ds.PatientSex == "F"]
    assert statistics.mean(men) > statistics.mean(women) + 0.08
    weights = [float(ds.PatientWeight) for ds in patients.values() if "PatientWeight" in ds]
    assert len(weights) == COHORT_PATIENTS - 3
    assert 60 < statistics.mean(weights) < 95


def test_images_are_small(sample: SampleCollection) -> None:
    sizes = [(sample.root / f.path).stat().st_size for f in sample.expected
             if "cohort" in f.features]
    assert max(sizes) < 4096


def test_the_clinical_table_has_one_row_per_cohort_patient(
        cohort_datasets: dict[str, FileDataset], tmp_path: Path) -> None:
    path = tmp_path / "clinical.csv"
    assert write_clinical(path, seed=0) == COHORT_PATIENTS
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["PatientID"] for row in rows} == \
        {str(ds.PatientID) for ds in cohort_datasets.values()}
    assert len({row["diagnosis"] for row in rows}) >= 3
