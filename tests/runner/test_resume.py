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
    started = time.monotonic()
    assert _run(multi_sample, straight, key_file, "--workers", "2").returncode == 1
    duration = time.monotonic() - started

    interrupted = tmp_path / "interrupted"
    rng = random.Random(20261124)
    kills = 0
    for _attempt in range(4):
        process = subprocess.Popen(
            [*MEDANON, "run", str(multi_sample), str(interrupted), "--key", str(key_file),
             "-q", "--workers", "2"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.35, 0.9) * duration)  # somewhere inside the run
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # the whole group: a crash, workers too
            kills += 1
        process.wait()
    assert kills >= 1, "the run finished before any kill: the corpus is too small"

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
