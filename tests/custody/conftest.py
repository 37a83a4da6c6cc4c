"""Fixtures of the custody tests: a key file, the sample collection, the CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from medanon.custody.keys import SecretKey, write_key
from medanon.sample import SampleCollection, generate_sample

MEDANON = [sys.executable, "-m", "medanon"]
RUN_QUIETLY = [*MEDANON, "run", "--no-report"]  # the HTML report is another feature's test


def _without_html_report(args: tuple[str | Path, ...]) -> list[str]:
    words = [str(a) for a in args]
    return ["run", "--no-report", *words[1:]] if words[:1] == ["run"] else words


def medanon(*args: str | Path, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    """Run the command line in a fresh interpreter, as a user would (runs: no HTML report)."""
    return subprocess.run([*MEDANON, *_without_html_report(args)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


def assert_one_clear_error(result: subprocess.CompletedProcess[str], *words: str,
                           code: int = 2) -> str:
    """The command failed with exactly one 'medanon: error:' line holding ``words``."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("medanon: error:"), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture()
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "site.key"
    write_key(path, SecretKey(b"medanon-custody-test-key".ljust(32, b".")))
    return path


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleCollection:
    """The bundled sample collection (seed 0): never modified by a test."""
    return generate_sample(tmp_path_factory.mktemp("custody-sample") / "collection")


@pytest.fixture(scope="session")
def audited_output(tmp_path_factory: pytest.TempPathFactory, sample: SampleCollection) -> Path:
    """One finished, audited run of the sample (never modified: copy it to tamper)."""
    from medanon.profile.recipe import default_recipe
    from medanon.runner.run import RunOptions, run_folder

    dst = tmp_path_factory.mktemp("audited") / "out"
    run_folder(sample.root, dst, default_recipe(), SecretKey(b"k" * 32),
               options=RunOptions(workers=1))
    return dst


@pytest.fixture()
def audited_copy(tmp_path: Path, audited_output: Path) -> Path:
    """A copy of the audited run that a test may tamper with."""
    import shutil

    copy = tmp_path / "out"
    shutil.copytree(audited_output, copy)
    return copy
