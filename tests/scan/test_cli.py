"""``medanon scan`` errors: one clear line, exit 2, before any scanning."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from medanon.sample import SampleCollection


def medanon(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "medanon", *map(str, args)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "MEDANON_KEY_FILE": ""})


@pytest.mark.parametrize("option, name", [("--census", "census.xlsx"),
                                          ("--patients", "patients.docx"),
                                          ("--values", "values.xlsx")])
def test_an_unknown_suffix_is_refused_before_the_scan(sample: SampleCollection, tmp_path: Path,
                                                      option: str, name: str) -> None:
    result = medanon("scan", sample.root, "--key", tmp_path / "missing.key", option,
                     tmp_path / name)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("medanon: error:"), result.stderr
    assert option in lines[0] and "Traceback" not in result.stderr
    assert not (tmp_path / name).exists()


def test_a_missing_source_is_one_clear_error(tmp_path: Path) -> None:
    key = tmp_path / "k.key"
    assert medanon("keygen", key).returncode == 0
    result = medanon("scan", tmp_path / "PATIENT_NAME_FOLDER", "--key", key)
    assert result.returncode == 2
    assert result.stderr.startswith("medanon: error: the source folder (SRC) does not exist")
    assert "PATIENT_NAME_FOLDER" not in result.stderr


def test_help() -> None:
    result = medanon("scan", "--help")
    assert result.returncode == 0 and "--values" in result.stdout
