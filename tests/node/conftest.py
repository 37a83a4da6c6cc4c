"""Fixtures of the network tests: the sample, its folder run, and real peers started on demand."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pydicom
import pytest

from medanon.custody.keys import SecretKey, write_key
from medanon.profile.recipe import default_recipe
from medanon.runner.run import RunOptions, RunResult, run_folder
from medanon.sample import SampleCollection, generate_sample
from tests.node.peers import Orthanc, Serve, free_port, serve_command

KEY = SecretKey(b"medanon-serve-test-key".ljust(32, b"."))


@pytest.fixture(scope="session")
def serve_sample(tmp_path_factory: pytest.TempPathFactory) -> SampleCollection:
    """The sample collection (seed 0), generated once."""
    return generate_sample(tmp_path_factory.mktemp("serve-sample") / "collection")


@pytest.fixture(scope="session")
def sample_instances(serve_sample: SampleCollection) -> list[Path]:
    """The sample's DICOM instances (images and burned-in), as a modality would send them."""
    return [serve_sample.root / item.path for item in serve_sample.dicom_files]


@pytest.fixture(scope="session")
def serve_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("serve-key") / "serve.key"
    write_key(path, KEY)
    return path


@pytest.fixture(scope="session")
def folder_run(serve_sample: SampleCollection, tmp_path_factory: pytest.TempPathFactory
               ) -> tuple[Path, RunResult]:
    """``medanon run`` on the sample with the same key and recipe as the node."""
    dst = tmp_path_factory.mktemp("serve-run") / "out"
    result = run_folder(serve_sample.root, dst, default_recipe(), KEY,
                        options=RunOptions(workers=1))
    return dst, result


@pytest.fixture(scope="session")
def run_structure(folder_run: tuple[Path, RunResult]) -> dict[str, tuple[str, str]]:
    """SOP Instance UID → (Study, Series Instance UID) of every file the folder run wrote."""
    dst, _result = folder_run
    structure = {}
    for path in dst.rglob("*.dcm"):
        header = pydicom.dcmread(path, stop_before_pixels=True)
        structure[str(header.SOPInstanceUID)] = (str(header.StudyInstanceUID),
                                                 str(header.SeriesInstanceUID))
    return structure


@pytest.fixture()
def make_orthanc(tmp_path: Path) -> Iterator[Callable[[int], Orthanc]]:
    """Make a private Orthanc (not started) that knows the node's port; stopped at the end."""
    made: list[Orthanc] = []

    def make(serve_port: int) -> Orthanc:
        orthanc = Orthanc(tmp_path / f"orthanc{len(made)}", serve_port)
        made.append(orthanc)
        return orthanc

    yield make
    for orthanc in made:
        orthanc.stop(signal.SIGKILL)  # its storage is thrown away: no need to wait


@pytest.fixture()
def make_serve(tmp_path: Path, serve_key_file: Path) -> Iterator[Callable[..., Serve]]:
    """Make a ``medanon serve`` child (not started) on a free port; stopped at the end."""
    made: list[Serve] = []

    def make(*extra: str, port: int | None = None, state: Path | None = None) -> Serve:
        chosen = port or free_port()
        node = Serve(serve_command(state or tmp_path / "state", chosen, serve_key_file,
                                   "--max-backoff", "0.5", *extra),
                     tmp_path / f"serve{len(made)}.log", chosen)
        made.append(node)
        return node

    yield make
    for node in made:
        node.stop()
