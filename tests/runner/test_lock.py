"""One run per output folder: the state folder's lock refuses a second run, changing nothing."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from medanon.collection.run import run_private
from medanon.custody.keys import SecretKey
from medanon.profile.recipe import parse_recipe
from medanon.runner.lock import StateFolderInUseError, StateLock, is_locked
from medanon.sample import SampleCollection
from medanon.scan.api import scan_folder

MEDANON = [sys.executable, "-m", "medanon"]


def _run(src: Path, dst: Path, key: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MEDANON, "run", str(src), str(dst), "--key", str(key), "-q", *extra],
                          capture_output=True, text=True, timeout=300)


def _everything(root: Path) -> dict[str, bytes]:
    """Every file under root, the state folder included."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _held_elsewhere(state: Path) -> subprocess.Popen[str]:
    """Another process holding ``state``'s lock until its stdin closes."""
    code = ("import sys; from pathlib import Path; from medanon.runner.lock import StateLock; "
            f"lock = StateLock.acquire(Path({str(state)!r}), 'x'); print('held', flush=True); "
            "sys.stdin.read()")
    holder = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


def test_the_lock_is_exclusive_between_processes_and_released(tmp_path: Path) -> None:
    state = tmp_path / "state"
    assert not is_locked(state)
    holder = _held_elsewhere(state)
    try:
        assert is_locked(state)
        with pytest.raises(StateFolderInUseError, match="another medanon run is using OUT"):
            StateLock.acquire(state, "OUT")
    finally:
        holder.communicate("")
    assert not is_locked(state)
    StateLock.acquire(state, "OUT").release()


def test_the_lock_is_reentrant_in_one_process_until_the_outermost_release(
        tmp_path: Path) -> None:
    state = tmp_path / "state"
    outer = StateLock.acquire(state, "OUT")
    inner = StateLock.acquire(state, "OUT")  # a privacy run's folder run, inside it
    inner.release()
    inner.release()  # twice is harmless
    assert is_locked(state)
    outer.release()
    assert not is_locked(state)


def test_a_scan_or_privacy_run_into_a_state_folder_in_use_is_refused(
        sample_collection: SampleCollection, tmp_path: Path) -> None:
    key = SecretKey(bytes(range(32)))
    dst = tmp_path / "out"
    holder = _held_elsewhere(dst / ".medanon")
    try:
        with pytest.raises(StateFolderInUseError):
            scan_folder(sample_collection.root, key, state=dst / ".medanon")
        recipe = parse_recipe('[privacy]\nk = 2\nquasi_identifiers = ["PatientSex"]\n')
        with pytest.raises(StateFolderInUseError):
            run_private(sample_collection.root, dst, recipe, key)
        assert sorted(p.name for p in (dst / ".medanon").iterdir()) == ["lock"]
    finally:
        holder.communicate("")


@pytest.mark.parametrize("extra", [(), ("--restart",)])
def test_a_run_into_a_locked_output_is_refused_and_changes_nothing(
        multi_sample: Path, tmp_path: Path, key_file: Path, extra: tuple[str, ...]) -> None:
    dst = tmp_path / "out"
    assert _run(multi_sample / "site0", dst, key_file, "--workers", "1").returncode == 1
    with sqlite3.connect(dst / ".medanon" / "manifest.sqlite") as db:  # as a killed run leaves it
        db.execute("UPDATE meta SET value = 'running' WHERE name = 'state'")
    before = _everything(dst)
    with StateLock.acquire(dst / ".medanon", "another process"):
        refused = _run(multi_sample / "site0", dst, key_file, "--workers", "1", *extra)
        after = _everything(dst)
        status = subprocess.run([*MEDANON, "status", str(dst)], capture_output=True,
                                text=True, timeout=60)
    assert refused.returncode == 2
    assert refused.stderr == f"medanon: error: another medanon run is using {dst}: wait for " \
        "it to end, or stop it (then rerun the same command to resume)\n"
    assert after == before
    assert status.stdout.startswith("run:      running ")


def test_two_runs_started_together_give_what_one_run_gives(
        multi_sample: Path, tmp_path: Path, key_file: Path,
        make_tree_snapshot: Callable[[Path], dict[str, bytes]]) -> None:
    straight = tmp_path / "straight"
    assert _run(multi_sample, straight, key_file, "--workers", "2").returncode == 1
    dst = tmp_path / "out"
    first = subprocess.Popen(
        [*MEDANON, "run", str(multi_sample), str(dst), "--key", str(key_file), "-q",
         "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while first.poll() is None and not any(dst.rglob("*.dcm")):
        time.sleep(0.002)
    second = _run(multi_sample, dst, key_file, "--workers", "2")
    _out, err = first.communicate(timeout=300)
    assert second.returncode == 2, "the first run ended before the second started"
    assert "another medanon run is using" in second.stderr
    assert first.returncode == 1, err
    assert "Traceback" not in err + second.stderr
    assert make_tree_snapshot(dst) == make_tree_snapshot(straight)


def test_status_calls_a_killed_run_interrupted(
        multi_sample: Path, tmp_path: Path, key_file: Path) -> None:
    """The manifest still says running; the free lock says nobody is (while held: running)."""
    dst = tmp_path / "out"
    process = subprocess.Popen(
        [*MEDANON, "run", str(multi_sample), str(dst), "--key", str(key_file), "-q",
         "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    while process.poll() is None and sum(1 for _p in dst.rglob("*.dcm")) < 10:
        time.sleep(0.002)
    still_running = process.poll() is None
    os.killpg(process.pid, signal.SIGKILL)  # a crash: no chance to record anything
    process.wait()
    assert still_running, "the run finished before it could be killed"
    with sqlite3.connect(dst / ".medanon" / "manifest.sqlite") as db:
        assert db.execute("SELECT value FROM meta WHERE name = 'state'").fetchone() == \
            ("running",)
    after = subprocess.run([*MEDANON, "status", str(dst)], capture_output=True, text=True,
                           timeout=60)
    assert after.returncode == 0
    assert after.stdout.startswith("run:      interrupted (rerun the same command to resume)")
    assert not is_locked(dst / ".medanon")  # the kernel released it: nothing stale is left


def test_verify_refuses_an_output_a_run_is_still_writing(
        sample_collection: SampleCollection, tmp_path: Path) -> None:
    from medanon.errors import ConfigurationError
    from medanon.verify import verify_folder

    dst = tmp_path / "out"
    (dst / ".medanon").mkdir(parents=True)
    holder = _held_elsewhere(dst / ".medanon")
    try:
        with pytest.raises(ConfigurationError, match="still writing OUT"):
            verify_folder(dst)
    finally:
        holder.communicate("")
    verify_folder(dst)  # at rest: verified
