"""Staged copies (untouched source files) never outlive a run, however it ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from medanon.custody.keys import SecretKey, write_key
from medanon.runner.staging import STAGING_PREFIX, remove_leftovers

MEDANON = [sys.executable, "-m", "medanon"]


def _command(src: Path, dst: Path, key: Path, *extra: str) -> list[str]:
    return [*MEDANON, "run", str(src), str(dst), "--key", str(key), "-q", "--workers", "2",
            *extra]


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a shell script starts a job with '&'


def _start_once_outputs_exist(command: list[str], dst: Path, *, sigint_ignored: bool = False
                              ) -> subprocess.Popen[str]:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True,
                               preexec_fn=_ignore_sigint if sigint_ignored else None)
    while process.poll() is None and sum(1 for _p in dst.rglob("*.dcm")) < 10:
        time.sleep(0.002)
    assert process.poll() is None, "the run finished before it could be interrupted"
    return process


def _staged_copies(staging: Path) -> list[Path]:
    return [p for p in staging.rglob("*") if p.is_file()] if staging.exists() else []


@pytest.fixture(scope="module")
def straight_run(multi_sample: Path, tmp_path_factory: pytest.TempPathFactory
                 ) -> dict[str, bytes]:
    """What an uninterrupted run writes (the same key as ``key_file``)."""
    folder = tmp_path_factory.mktemp("straight")
    key = folder / "run.key"
    write_key(key, SecretKey(b"medanon-test-key".ljust(32, b".")))
    subprocess.run(_command(multi_sample, folder / "out", key), capture_output=True,
                   timeout=300)
    return {p.relative_to(folder / "out").as_posix(): p.read_bytes()
            for p in sorted((folder / "out").rglob("*"))
            if p.is_file() and ".medanon" not in p.relative_to(folder / "out").parts}


@pytest.mark.parametrize(("whole_group", "sigint_ignored"), [
    (False, False), (True, False), (False, True)],
    ids=["kill pid", "service stop", "background job"])
def test_sigterm_leaves_no_staged_copy_and_the_rerun_completes(
        multi_sample: Path, tmp_path: Path, key_file: Path, straight_run: dict[str, bytes],
        make_tree_snapshot: Callable[[Path], dict[str, bytes]], whole_group: bool,
        sigint_ignored: bool) -> None:
    """SIGTERM to medanon alone (``kill PID``), to every process of the run, or to a run
    started where SIGINT is ignored."""
    dst, staging = tmp_path / "out", tmp_path / "staging"
    process = _start_once_outputs_exist(
        _command(multi_sample, dst, key_file, "--staging", str(staging)), dst,
        sigint_ignored=sigint_ignored)
    if whole_group:
        os.killpg(process.pid, signal.SIGTERM)
    else:
        process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err  # as after Ctrl-C
    assert err == "medanon: interrupted; what was finished is recorded: rerun the same " \
        "command to resume\n"
    assert list(staging.iterdir()) == []
    final = subprocess.run(_command(multi_sample, dst, key_file), capture_output=True,
                           text=True, timeout=300)
    assert final.returncode == 1, final.stderr
    assert make_tree_snapshot(dst) == straight_run


def test_copies_left_by_a_killed_run_are_named_then_removed_by_the_next_run(
        multi_sample: Path, tmp_path: Path, key_file: Path) -> None:
    dst, staging = tmp_path / "out", tmp_path / "staging"
    process = _start_once_outputs_exist(
        _command(multi_sample, dst, key_file, "--staging", str(staging)), dst)
    os.killpg(process.pid, signal.SIGKILL)  # no chance to clean up
    process.wait()
    left = _staged_copies(staging)
    assert left, "the killed run had nothing staged: the corpus is too small"
    assert all(p.parent.name.startswith(STAGING_PREFIX) for p in left)
    status = subprocess.run([*MEDANON, "status", str(dst)], capture_output=True, text=True,
                            timeout=60)
    assert f"staging:  {len(left)} staged copies of source files left" in status.stdout
    final = subprocess.run(_command(multi_sample, dst, key_file), capture_output=True,
                           text=True, timeout=300)  # without --staging
    assert final.returncode == 1, final.stderr
    assert list(staging.iterdir()) == []
    again = subprocess.run([*MEDANON, "status", str(dst)], capture_output=True, text=True,
                           timeout=60)
    assert "staging:" not in again.stdout and again.stdout.startswith("run:      finished")


def test_only_a_folder_named_as_medanon_names_its_own_is_removed(tmp_path: Path) -> None:
    """A manifest edited by hand (or gone wrong) cannot make a run delete another folder."""
    other = tmp_path / "precious"
    other.mkdir()
    (other / "file").write_bytes(b"keep")
    assert remove_leftovers(str(other)) == 0
    assert (other / "file").read_bytes() == b"keep"
    ours = tmp_path / f"{STAGING_PREFIX}0123456789abcdef"
    ours.mkdir()
    (ours / "copy").write_bytes(b"x")
    assert remove_leftovers(str(ours)) == 1
    assert not ours.exists()
    assert remove_leftovers(str(ours)) == 0  # already gone: nothing to do
