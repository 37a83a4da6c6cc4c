"""Interrupted runs: kill -9 at random points, rerun, and get exactly what a straight run writes."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.signals import sigint_as_at_a_terminal

MEDANON = [sys.executable, "-m", "medanon"]


def _run(src: Path, dst: Path, key: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MEDANON, "run", str(src), str(dst), "--key", str(key), "-q", *extra],
                          capture_output=True, text=True, timeout=300)


def _manifest_rows(dst: Path) -> int:
    with sqlite3.connect(dst / ".medanon" / "manifest.sqlite") as db:
        return int(db.execute("SELECT COUNT(*) FROM files").fetchone()[0])


def test_kill_nine_then_resume_matches_a_straight_run(
        multi_sample: Path, tmp_path: Path, key_file: Path,
        make_tree_snapshot: Callable[[Path], dict[str, bytes]]) -> None:
    straight = tmp_path / "straight"
    assert _run(multi_sample, straight, key_file, "--workers", "2").returncode == 1
    outputs = sum(1 for _p in straight.rglob("*.dcm"))

    interrupted = tmp_path / "interrupted"
    rng = random.Random(20261124)
    kills = 0
    for _attempt in range(4):
        done_before = sum(1 for _p in interrupted.rglob("*.dcm"))
        process = subprocess.Popen(
            [*MEDANON, "run", str(multi_sample), str(interrupted), "--key", str(key_file),
             "-q", "--workers", "2"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        # Somewhere inside the run: once a random share of the remaining outputs is there.
        target = done_before + int(rng.uniform(0.1, 0.8) * (outputs - done_before))
        while process.poll() is None and sum(1 for _p in interrupted.rglob("*.dcm")) < target:
            time.sleep(0.005)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # the whole group: a crash, workers too
            kills += 1
        process.wait()
    assert kills >= 2, "the run finished before the kills: the corpus is too small"

    final = _run(multi_sample, interrupted, key_file, "--workers", "2")
    assert final.returncode == 1, final.stderr
    assert make_tree_snapshot(interrupted) == make_tree_snapshot(straight)
    assert not [p for p in interrupted.rglob("*") if p.name.startswith(".medanon-tmp-")]
    files_in = sum(1 for p in multi_sample.rglob("*") if p.is_file())
    assert _manifest_rows(interrupted) == files_in
    report = json.loads((interrupted / ".medanon" / "report.json").read_text())
    straight_report = json.loads((straight / ".medanon" / "report.json").read_text())
    assert report["counts"] == straight_report["counts"]
    assert sum(report["counts"].values()) == files_in


def test_rerun_of_a_finished_run_skips_everything(
        multi_sample: Path, tmp_path: Path, key_file: Path,
        make_tree_snapshot: Callable[[Path], dict[str, bytes]]) -> None:
    dst = tmp_path / "out"
    _run(multi_sample, dst, key_file)
    before = make_tree_snapshot(dst)
    again = _run(multi_sample, dst, key_file)
    assert again.returncode == 1
    report = json.loads((dst / ".medanon" / "report.json").read_text())
    assert report["this_session"]["processed"] == 0
    assert report["this_session"]["skipped_as_done"] == report["files"]
    assert make_tree_snapshot(dst) == before


def test_changed_recipe_or_key_is_refused_unless_restart(
        multi_sample: Path, tmp_path: Path, key_file: Path) -> None:
    dst = tmp_path / "out"
    _run(multi_sample, dst, key_file)
    recipe = tmp_path / "other.toml"
    recipe.write_text('options = ["retain-longitudinal-full-dates"]\n')
    refused = _run(multi_sample, dst, key_file, "--recipe", str(recipe))
    assert refused.returncode == 2
    assert "recipe differs" in refused.stderr and "--restart" in refused.stderr
    assert "Traceback" not in refused.stderr

    other_key = tmp_path / "other.key"
    subprocess.run([*MEDANON, "keygen", str(other_key)], check=True, capture_output=True)
    refused_key = _run(multi_sample, dst, other_key)
    assert refused_key.returncode == 2 and "key differs" in refused_key.stderr

    restarted = _run(multi_sample, dst, other_key, "--restart")
    assert restarted.returncode == 1, restarted.stderr
    report = json.loads((dst / ".medanon" / "report.json").read_text())
    assert report["this_session"]["processed"] == report["files"]


def test_changed_input_is_processed_again(tmp_path: Path, key_file: Path,
                                          sample_collection_path: Path) -> None:
    dst = tmp_path / "out"
    _run(sample_collection_path, dst, key_file)
    junk = sample_collection_path / "README.TXT"
    junk.write_text(junk.read_text() + "\nchanged\n")
    _run(sample_collection_path, dst, key_file)
    report = json.loads((dst / ".medanon" / "report.json").read_text())
    assert report["this_session"]["processed"] == 1


@pytest.fixture()
def sample_collection_path(tmp_path: Path) -> Path:
    from medanon.sample import generate_sample

    return generate_sample(tmp_path / "collection").root


def test_another_source_into_the_same_output_is_refused(
        multi_sample: Path, tmp_path: Path, key_file: Path) -> None:
    dst = tmp_path / "out"
    _run(multi_sample / "site0", dst, key_file)
    refused = _run(multi_sample / "site1", dst, key_file)
    assert refused.returncode == 2
    assert "source folder differs" in refused.stderr


def _children_of(pid: int) -> list[int]:
    """The child processes of ``pid``, read from /proc (none once it is gone)."""
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                kids.extend(int(k) for k in handle.read().split())
    except OSError:
        return []
    return kids


def _start_two_worker_run(src: Path, dst: Path, key: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*MEDANON, "run", str(src), str(dst), "--key", str(key), "-q", "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=sigint_as_at_a_terminal)


def _still_running_once_outputs_exist(process: subprocess.Popen[str], dst: Path) -> bool:
    """Wait until some outputs exist (or the run ends); True when it is still running."""
    while process.poll() is None and sum(1 for _p in dst.rglob("*.dcm")) < 10:
        time.sleep(0.002)
    return process.poll() is None


def test_a_killed_worker_stops_the_run_cleanly_and_the_rerun_completes(
        multi_sample: Path, tmp_path: Path, key_file: Path,
        make_tree_snapshot: Callable[[Path], dict[str, bytes]]) -> None:
    straight = tmp_path / "straight"
    _run(multi_sample, straight, key_file, "--workers", "2")
    dst = tmp_path / "out"
    process = _start_two_worker_run(multi_sample, dst, key_file)
    # The workers are the grandchildren (forked by the fork server): kill one once some
    # outputs exist.
    victim = None
    while victim is None and _still_running_once_outputs_exist(process, dst):
        workers = [g for child in _children_of(process.pid) for g in _children_of(child)]
        if workers:
            victim = workers[0]
            os.kill(victim, signal.SIGKILL)
        time.sleep(0.002)
    _out, err = process.communicate(timeout=120)
    assert victim is not None, "the run finished before a worker could be killed"
    assert process.returncode == 2  # one clear error line, as for every medanon error
    assert "worker process stopped unexpectedly" in err
    assert "Traceback" not in err
    final = _run(multi_sample, dst, key_file, "--workers", "2")
    assert final.returncode == 1, final.stderr
    assert make_tree_snapshot(dst) == make_tree_snapshot(straight)


def test_ctrl_c_stops_with_one_line_and_the_rerun_completes(
        multi_sample: Path, tmp_path: Path, key_file: Path,
        make_tree_snapshot: Callable[[Path], dict[str, bytes]]) -> None:
    straight = tmp_path / "straight"
    _run(multi_sample, straight, key_file, "--workers", "2")
    dst = tmp_path / "out"
    process = _start_two_worker_run(multi_sample, dst, key_file)
    interrupted = _still_running_once_outputs_exist(process, dst)
    if interrupted:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends to the whole group
    _out, err = process.communicate(timeout=120)
    assert interrupted, "the run finished before it could be interrupted"
    assert process.returncode == 130, err[-2000:]  # what the run said, if it went on
    assert "interrupted" in err and "rerun the same command" in err
    assert "Traceback" not in err
    final = _run(multi_sample, dst, key_file, "--workers", "2")
    assert final.returncode == 1, final.stderr
    assert make_tree_snapshot(dst) == make_tree_snapshot(straight)
    assert not [p for p in dst.rglob("*") if p.name.startswith(".medanon-tmp-")]
