from __future__ import annotations

from pathlib import Path

import pytest

from medanon.custody.keys import SecretKey
from medanon.sample import SampleCollection, generate_sample
from medanon.scan import ScanResult, scan_folder


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleCollection:
    """The sample collection (seed 0), shared: the tests only read it."""
    return generate_sample(tmp_path_factory.mktemp("scan-sample") / "collection", seed=0)


@pytest.fixture(scope="session")
def scan_key() -> SecretKey:
    return SecretKey(bytes(range(32)))


@pytest.fixture(scope="session")
def scanned(sample: SampleCollection, scan_key: SecretKey) -> ScanResult:
    """The sample scanned in this process, values collected."""
    return scan_folder(sample.root, scan_key, workers=1, collect_values=True)


@pytest.fixture(scope="session")
def dicom_bytes(sample: SampleCollection) -> bytes:
    """The bytes of every DICOM file of the sample (where header values can be found)."""
    return b"\x00".join((sample.root / f.path).read_bytes() for f in sample.dicom_files)


def sample_path(sample: SampleCollection, relative: str) -> Path:
    return sample.root / relative
