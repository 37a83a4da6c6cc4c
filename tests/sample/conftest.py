from __future__ import annotations

import pydicom
import pytest
from pydicom.dataset import FileDataset

from medanon.sample import SampleCollection, generate_sample


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleCollection:
    """One generated collection (seed 0), shared: the tests only read it."""
    return generate_sample(tmp_path_factory.mktemp("sample") / "collection", seed=0,
                           cohort=True)


@pytest.fixture(scope="session")
def datasets(sample: SampleCollection) -> dict[str, FileDataset]:
    """Every DICOM instance of the five hard-case patients (not the DICOMDIR, not the
    screening cohort), read back, by relative path."""
    return {f.path: pydicom.dcmread(sample.root / f.path) for f in sample.dicom_files
            if "cohort" not in f.features}


@pytest.fixture(scope="session")
def cohort_datasets(sample: SampleCollection) -> dict[str, FileDataset]:
    """Every instance of the screening cohort (see medanon.sample.cohort), by relative path."""
    return {f.path: pydicom.dcmread(sample.root / f.path) for f in sample.dicom_files
            if "cohort" in f.features}


@pytest.fixture(scope="session")
def haystack(sample: SampleCollection) -> bytes:
    """All bytes of all files, then all relative paths: where planted values must be found."""
    parts = [(sample.root / path).read_bytes() for path in sample.files]
    parts.append("\n".join(sample.files).encode("utf-8"))
    return b"\x00".join(parts)

