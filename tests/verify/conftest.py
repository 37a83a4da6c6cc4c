from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import FileDataset

from medanon.custody.keys import SecretKey
from medanon.profile.recipe import default_recipe
from medanon.runner.run import RunOptions, run_folder
from medanon.sample import SampleCollection, generate_sample
from medanon.verify.accounting import new_uid


@pytest.fixture(scope="session")
def collection(tmp_path_factory: pytest.TempPathFactory) -> SampleCollection:
    """The sample collection (seed 0)."""
    return generate_sample(tmp_path_factory.mktemp("verify-sample") / "collection")


@pytest.fixture(scope="session")
def clean_output(collection: SampleCollection, key: SecretKey,
                 tmp_path_factory: pytest.TempPathFactory) -> Path:
    """medanon run's output of the sample (read only: tests copy it before planting)."""
    out = tmp_path_factory.mktemp("verify-clean") / "out"
    run_folder(collection.root, out, default_recipe(), key, options=RunOptions(workers=1))
    return out


@pytest.fixture()
def output_copy(clean_output: Path, tmp_path: Path) -> Path:
    """A copy of the clean output to plant personal data in."""
    target = tmp_path / "out"
    shutil.copytree(clean_output, target)
    return target


@pytest.fixture(scope="session")
def source_of(collection: SampleCollection, key: SecretKey
              ) -> Callable[[Path], FileDataset]:
    """The source data set an output file was made from (paired by its new UID)."""
    by_new_uid = {}
    for item in collection.dicom_files:
        by_new_uid[new_uid(key, item.sop_instance_uid)] = collection.root / item.path

    def find(output: Path) -> FileDataset:
        uid = str(pydicom.dcmread(output, stop_before_pixels=True).SOPInstanceUID)
        return pydicom.dcmread(by_new_uid[uid])
    return find


@pytest.fixture(scope="session")
def key_file(key: SecretKey, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session key, as a key file for the command line."""
    from medanon.custody.keys import write_key

    path = tmp_path_factory.mktemp("verify-key") / "run.key"
    write_key(path, key)
    return path
