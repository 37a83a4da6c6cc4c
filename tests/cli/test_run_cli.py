"""The command line as a user meets it: one clear line per error, documented exit codes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from medanon.sample import generate_sample

MEDANON = [sys.executable, "-m", "medanon"]


def medanon(*args: str | Path, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MEDANON, *map(str, args)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


def assert_one_clear_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("medanon: error:"), result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture()
def sample(tmp_path: Path) -> Path:
    return generate_sample(tmp_path / "sample").root


@pytest.fixture()
def key(tmp_path: Path) -> Path:
    path = tmp_path / "site.key"
    assert medanon("keygen", path).returncode == 0
    return path


def test_version_and_help() -> None:
    assert medanon("--version").stdout.startswith("medanon ")
    for command in ([], ["run"], ["keygen"], ["profiles"], ["sample"], ["status"], ["table"]):
        result = medanon(*command, "--help")
        assert result.returncode == 0, (command, result.stderr)
        assert "Usage" in result.stdout


def test_keygen_writes_owner_only_and_never_overwrites(key: Path) -> None:
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    before = key.read_bytes()
    assert_one_clear_error(medanon("keygen", key), "already exists")
    assert key.read_bytes() == before


def test_run_exit_codes_and_summary(sample: Path, key: Path, tmp_path: Path) -> None:
    result = medanon("run", sample, tmp_path / "out", "--key", key)
    assert result.returncode == 1  # the sample plants files that are not DICOM (failed)
    assert "39 written" in result.stdout and "report:" in result.stdout
    clean = tmp_path / "clean"
    clean.mkdir()
    ct = next(p for p in (tmp_path / "out").rglob("*.dcm"))
    (clean / "one.dcm").write_bytes(ct.read_bytes())
    ok = medanon("run", clean, tmp_path / "out2", "--key", key, "--quiet")
    assert ok.returncode == 0, ok.stderr
    assert ok.stderr == ""


@pytest.mark.parametrize("problem", ["missing", "garbage", "directory"])
def test_bad_key_is_one_clear_error(problem: str, sample: Path, tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    if problem == "garbage":
        path.write_text("not a key\n")
    elif problem == "directory":
        path.mkdir()
    result = medanon("run", sample, tmp_path / "out", "--key", path)
    assert_one_clear_error(result, "key")
    assert not (tmp_path / "out").exists()


def test_bad_recipe_names_the_line(sample: Path, key: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "r.toml"
    recipe.write_text('mode = "blacklist"\n[attributes]\nPatientAge = "keep"\n'
                      'NoSuchThing = "keep"\n')
    result = medanon("run", sample, tmp_path / "out", "--key", key, "--recipe", recipe)
    assert_one_clear_error(result, "line 4", "NoSuchThing")
    assert not (tmp_path / "out").exists()


def test_folder_problems(sample: Path, key: Path, tmp_path: Path) -> None:
    assert_one_clear_error(medanon("run", tmp_path / "nope", tmp_path / "out", "--key", key),
                           "does not exist")
    assert_one_clear_error(medanon("run", sample, sample / "inside", "--key", key),
                           "inside the source")
    assert not (sample / "inside").exists()


def test_status_summarises_a_run(sample: Path, key: Path, tmp_path: Path) -> None:
    medanon("run", sample, tmp_path / "out", "--key", key, "-q")
    result = medanon("status", tmp_path / "out")
    assert result.returncode == 0
    assert "finished" in result.stdout and "written    39" in result.stdout
    assert_one_clear_error(medanon("status", tmp_path), "no medanon run")


def test_default_key_is_created_once(sample: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = medanon("run", sample, tmp_path / "a", env={"HOME": str(home), "MEDANON_KEY_FILE": ""})
    assert "created a new key" in first.stderr
    second = medanon("run", sample, tmp_path / "b", env={"HOME": str(home),
                                                         "MEDANON_KEY_FILE": ""})
    assert "created a new key" not in second.stderr
    def names(root: Path) -> list[str]:
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.dcm"))

    assert names(tmp_path / "a") == names(tmp_path / "b")
