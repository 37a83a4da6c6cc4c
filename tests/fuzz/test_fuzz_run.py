"""A few hundred damaged files never stop a run: each is failed or withheld, with a reason.

The run is the real command line with two workers, as a site runs it on a pile of CDs.
It must finish with exit code 1 (some files not written), print no traceback, account
for every input in its report, and write every intact file that sits beside the damage.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from medanon.custody.keys import SecretKey, write_key
from medanon.profile.recipe import default_recipe
from medanon.profile.ruleset import build_ruleset
from medanon.runner.outcome import Status
from medanon.runner.process import RunContext, process_file
from tests.fuzz.mutants import KINDS, write_collection

MUTANTS = 300
KEY = SecretKey(b"fuzz-test-key".ljust(32, b"."))


def test_damaged_files_are_accounted_for_and_the_run_goes_on(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    damaged, intact = write_collection(src, MUTANTS, seed=7)
    key_file = tmp_path / "fuzz.key"
    write_key(key_file, KEY)
    done = subprocess.run(
        [sys.executable, "-m", "medanon.cli.main", "run", str(src), str(dst),
         "--key", str(key_file), "--workers", "2", "--quiet"],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 1, done.stderr[-2000:]

    report = json.loads((dst / ".medanon" / "report.json").read_text())
    assert report["files"] == len(damaged) + len(intact)
    not_written = {problem["file"]: problem for problem in report["problems"]}
    assert all(problem["reason"] for problem in not_written.values())
    # Input errors are the input's: no reason blames the output folder.
    assert not [p for p in not_written.values() if "output folder" in p["reason"]]

    # Each intact file fares exactly as it does alone (the default recipe withholds some,
    # such as a secondary capture that may show burned-in text).
    alone = RunContext(src, tmp_path / "alone", build_ruleset(default_recipe()), KEY,
                       durable=False)
    for path in intact:
        expected = process_file(path, alone)
        problem = not_written.get(alone.source_id(path))
        if expected.status in (Status.WRITTEN, Status.DUPLICATE):
            assert problem is None, (path.name, problem)
            assert (dst / str(expected.output)).is_file()
        else:
            assert problem is not None and problem["reason"] == expected.reason, path.name
    written = report["counts"].get(Status.WRITTEN.value, 0) + \
        report["counts"].get(Status.DUPLICATE.value, 0)
    assert len(not_written) + written == report["files"]


def test_every_kind_of_damage_is_exercised() -> None:
    from tests.fuzz.mutants import mutants

    kinds = {mutant.kind for mutant in mutants(MUTANTS, seed=7)}
    assert kinds == set(KINDS)
