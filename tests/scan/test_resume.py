"""A scan with a state folder resumes after an interruption and gives the same result."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest

from medanon.custody.keys import SecretKey
from medanon.errors import ConfigurationError
from medanon.runner.context import RunContext
from medanon.sample import SampleCollection
from medanon.scan import ScanResult, scan_folder
from medanon.scan.api import source_id
from medanon.scan.tally import CollectionTally


class Interrupted(Exception):
    pass


def _without_timing(result: ScanResult) -> dict[str, object]:
    summary = result.summary()
    del summary["scan"]
    return {"summary": summary, "census": result.census_rows(),
            "patients": result.patient_rows()}


def _interrupt_after(files: int):  # type: ignore[no-untyped-def]
    def progress(tally: CollectionTally) -> None:
        if tally.files_done >= files:
            raise Interrupted
    return progress


@pytest.mark.parametrize("workers", [1, 2])
def test_an_interrupted_scan_resumes_to_the_same_result(
        sample: SampleCollection, scan_key: SecretKey, tmp_path: Path, workers: int) -> None:
    reference = scan_folder(sample.root, scan_key, workers=1)
    state = tmp_path / "state"
    with pytest.raises(Interrupted):
        scan_folder(sample.root, scan_key, workers=workers, batch_files=4, state=state,
                    on_progress=_interrupt_after(10))
    resumed = scan_folder(sample.root, scan_key, workers=workers, batch_files=4, state=state)
    assert 10 <= resumed.resumed_files < len(sample.files)
    assert _without_timing(resumed) == _without_timing(reference)
    again = scan_folder(sample.root, scan_key, workers=workers, state=state)
    assert again.resumed_files == len(sample.files) and again.scanned == 0
    assert _without_timing(again) == _without_timing(reference)


def test_the_state_is_pinned_to_key_and_values(sample: SampleCollection, scan_key: SecretKey,
                                               other_key: SecretKey, tmp_path: Path) -> None:
    state = tmp_path / "state"
    scan_folder(sample.root, scan_key, workers=1, state=state)
    with pytest.raises(ConfigurationError, match="key differs"):
        scan_folder(sample.root, other_key, workers=1, state=state)
    with pytest.raises(ConfigurationError, match="values collected differs"):
        scan_folder(sample.root, scan_key, workers=1, state=state, collect_values=True)
    fresh = scan_folder(sample.root, other_key, workers=1, state=state, restart=True)
    assert fresh.resumed_files == 0


def test_a_changed_file_asks_for_a_restart(sample: SampleCollection, scan_key: SecretKey,
                                           tmp_path: Path) -> None:
    root = tmp_path / "copy"
    shutil.copytree(sample.root, root)
    state = tmp_path / "state"
    scan_folder(root, scan_key, workers=1, state=state)
    readme = next(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() == ".txt")
    readme.write_text("changed and longer than before " * 10)
    with pytest.raises(ConfigurationError, match="--restart") as raised:
        scan_folder(root, scan_key, workers=1, state=state)
    assert readme.name not in str(raised.value)


def test_files_are_named_as_the_run_manifest_names_them(sample: SampleCollection,
                                                       scan_key: SecretKey) -> None:
    from medanon.profile.recipe import default_recipe
    from medanon.profile.ruleset import build_ruleset

    ctx = RunContext(sample.root, sample.root, build_ruleset(default_recipe()), scan_key)
    for relative in sample.files[:5]:
        path = sample.root / relative
        assert source_id(scan_key, sample.root, path) == ctx.source_id(path)


def test_kill_9_then_resume_gives_the_uninterrupted_result(
        sample: SampleCollection, scan_key: SecretKey, tmp_path: Path) -> None:
    import json
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    from medanon.custody.keys import write_key

    root = tmp_path / "many"
    for copy in range(24):  # about 1,000 files, so a scan is still running when it is killed
        shutil.copytree(sample.root, root / f"site{copy}")
    key = tmp_path / "k.key"
    write_key(key, scan_key)
    state = tmp_path / "state"
    # A checkpoint after every batch (the command keeps one every few seconds).
    command = [sys.executable, "-c",
               "import sys, medanon.scan.api as api; api.CHECKPOINT_SECONDS = 0; "
               "sys.argv = ['medanon'] + sys.argv[1:]; "
               "from medanon.cli.main import main; main()",
               "scan", str(root), "--key", str(key), "--workers", "1", "--quiet",
               "--state", str(state)]
    process = subprocess.Popen([*command, "--json", str(tmp_path / "killed.json")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    database = state / "scan.sqlite"
    deadline = time.monotonic() + 60
    counted = 0
    while time.monotonic() < deadline and process.poll() is None:
        if database.exists():
            with contextlib.suppress(sqlite3.Error), \
                    contextlib.closing(sqlite3.connect(database)) as db:
                counted = db.execute("SELECT count(*) FROM files").fetchone()[0]
            if counted >= 16:
                break
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, "the scan ended before it could be killed"
    assert counted >= 16
    resumed = subprocess.run([*command, "--json", str(tmp_path / "resumed.json")],
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    reference = scan_folder(root, scan_key, workers=1)
    document = json.loads((tmp_path / "resumed.json").read_text())
    assert 0 < document["summary"]["scan"]["files_from_earlier_sessions"] < \
        document["summary"]["files"]["total"]
    expected = json.loads(json.dumps({"summary": reference.summary(),
                                      "census": reference.census_rows()}))
    for summary in (document["summary"], expected["summary"]):
        del summary["scan"]
    assert document["summary"] == expected["summary"]
    assert document["census"] == expected["census"]
