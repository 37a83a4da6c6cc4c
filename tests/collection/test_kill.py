"""kill -9 in either pass, then the same command again: the uninterrupted output, byte for byte."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from medanon.collection.run import PLAN_NAME
from medanon.custody.keys import SecretKey, write_key

RECIPE = """[privacy]
k = 5
max_suppression = 0.1
quasi_identifiers = ["age", "PatientSex", "PatientSize", "PatientWeight"]
represent = "midpoint"
"""


def _command(src: Path, dst: Path, recipe: Path, key: Path) -> list[str]:
    return [sys.executable, "-m", "medanon.cli.main", "run", str(src), str(dst), "--recipe",
            str(recipe), "--key", str(key), "--workers", "1", "-q", "--no-report"]


def _start(command: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, env=env)


def test_kill_nine_in_each_pass_then_resume(cohort: Path, tmp_path: Path,
                                            make_tree: Callable[[Path], dict[str, bytes]]
                                            ) -> None:
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(RECIPE, encoding="utf-8")
    key = tmp_path / "k.key"
    write_key(key, SecretKey(b"kill-test".ljust(32, b".")))
    straight = tmp_path / "straight"
    assert _start(_command(cohort, straight, recipe, key)).wait() == 1  # suppressed: withheld

    # Killed in pass 1, before the plan is stored: the state folder is made just before
    # pass 1 starts. Under heavy load the poll may notice too late; then try again afresh.
    for attempt in range(3):
        interrupted = tmp_path / f"interrupted{attempt}"
        command = _command(cohort, interrupted, recipe, key)
        early = _start(command)
        deadline = time.monotonic() + 60
        while early.poll() is None and time.monotonic() < deadline and \
                not (interrupted / ".medanon").exists():
            time.sleep(0.001)
        os.killpg(early.pid, signal.SIGKILL)
        early.wait()
        if not (interrupted / ".medanon" / PLAN_NAME).exists():
            break
    assert (interrupted / ".medanon").is_dir()
    assert not (interrupted / ".medanon" / PLAN_NAME).exists()  # killed inside pass 1
    assert not list(interrupted.rglob("*.dcm"))

    late = _start(command)  # pass 2: killed once some files are written
    plan = interrupted / ".medanon" / PLAN_NAME
    while late.poll() is None and sum(1 for _p in interrupted.rglob("*.dcm")) < 15:
        time.sleep(0.002)
    assert late.poll() is None, "pass 2 finished before the kill: the corpus is too small"
    os.killpg(late.pid, signal.SIGKILL)
    late.wait()
    assert plan.is_file()
    written = sum(1 for _p in interrupted.rglob("*.dcm"))
    assert 15 <= written < sum(1 for _p in straight.rglob("*.dcm"))

    assert _start(command).wait() == 1
    assert make_tree(interrupted) == make_tree(straight)
