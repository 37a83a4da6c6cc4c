from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from medanon.custody.keys import SecretKey, write_key
from medanon.sample import SampleCollection, generate_sample


def medanon(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """The command line, in a fresh interpreter, from this worktree's sources."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    return subprocess.run([sys.executable, "-m", "medanon.cli.main", *map(str, args)],
                          capture_output=True, text=True, env=env, check=False, timeout=300)


@pytest.fixture(scope="session")
def report_sample(tmp_path_factory: pytest.TempPathFactory) -> SampleCollection:
    return generate_sample(tmp_path_factory.mktemp("report-sample") / "collection")


@pytest.fixture(scope="session")
def report_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report-key") / "run.key"
    write_key(path, SecretKey(bytes(range(32))))
    return path


@pytest.fixture(scope="session")
def run_output(report_sample: SampleCollection, report_key: Path,
               tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``medanon run`` of the sample, with its HTML report; and what the run printed."""
    out = tmp_path_factory.mktemp("report-run") / "out"
    run = medanon("run", report_sample.root, out, "--key", report_key, "--workers", "1",
                  "-q")
    assert run.returncode == 1, run.stderr  # the sample withholds files on purpose
    return out, run.stdout
