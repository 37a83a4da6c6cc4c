"""Nothing medanon writes outside the DICOM outputs, nor anything it prints, holds a planted
value of the sample: a clean run, its bad inputs, an interrupted and resumed run, a run
stopped by a full disk."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from medanon.custody.audit import verify_audit
from medanon.sample import SampleCollection, byte_patterns
from tests.runner.test_output_failures import small_disk as small_disk  # a 400 KB tmpfs
from tests.signals import sigint_as_at_a_terminal

from .conftest import MEDANON, medanon


def _patterns(value: str) -> tuple[bytes, ...]:
    # JSON writers may escape non-ASCII characters: look for that spelling too.
    return (*byte_patterns(value), json.dumps(value)[1:-1].encode("ascii"))


def _leaks(sample: SampleCollection, blobs: dict[str, bytes]) -> list[tuple[str, str]]:
    found = []
    for value in sample.planted:
        for where, blob in blobs.items():
            if any(pattern in blob for pattern in _patterns(value)):
                found.append((value, where))
    return found


def _state_files(dst: Path) -> dict[str, bytes]:
    return {p.relative_to(dst).as_posix(): p.read_bytes() for p in dst.rglob("*")
            if p.is_file() and p.suffix != ".dcm"}


def test_no_planted_value_outside_the_outputs(tmp_path: Path, key_file: Path,
                                              sample: SampleCollection) -> None:
    printed: dict[str, bytes] = {}
    clean = tmp_path / "clean"
    # This run writes the HTML report too: it is searched like every other file.
    result = subprocess.run([*MEDANON, "run", str(sample.root), str(clean), "--key",
                             str(key_file), "-w", "2"], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 1  # the sample's bad inputs are withheld or failed
    printed["clean run"] = (result.stdout + result.stderr).encode()

    interrupted = tmp_path / "interrupted"
    process = subprocess.Popen(
        [*MEDANON, "run", str(sample.root), str(interrupted), "--key", str(key_file),
         "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True, preexec_fn=sigint_as_at_a_terminal)
    log = interrupted / ".medanon" / "audit.jsonl"
    while process.poll() is None and (not log.exists() or log.read_bytes().count(b"\n") < 8):
        time.sleep(0.001)
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=60)
    printed["interrupted run"] = out + err
    resumed = medanon("run", sample.root, interrupted, "--key", key_file, "-w", "2")
    printed["resumed run"] = (resumed.stdout + resumed.stderr).encode()
    for folder in (clean, interrupted):
        for command in (["audit", "verify"], ["audit", "show"]):
            shown = medanon(*command, folder)
            printed[f"{' '.join(command)} {folder.name}"] = (shown.stdout + shown.stderr).encode()
        assert medanon("audit", "verify", folder).returncode == 0

    written = {f"clean/{k}": v for k, v in _state_files(clean).items()}
    written |= {f"interrupted/{k}": v for k, v in _state_files(interrupted).items()}
    assert any(name.endswith("audit.jsonl") for name in written)
    assert any(name.endswith("report.html") for name in written)
    assert not _leaks(sample, {**written, **printed})
    # The test can fail: the same search finds the values in the input.
    inputs = {p.name: p.read_bytes() for p in sample.root.rglob("*") if p.is_file()}
    assert _leaks(sample, inputs)


def test_a_run_stopped_by_a_full_disk_leaves_no_planted_value_and_a_whole_log(
        small_disk: Path, tmp_path: Path, key_file: Path, sample: SampleCollection) -> None:
    import shutil

    dst = small_disk / "out"
    stopped = medanon("run", sample.root, dst, "--key", key_file, "-w", "1")
    assert stopped.returncode == 2 and "No space left" in stopped.stderr
    printed = {"full-disk run": (stopped.stdout + stopped.stderr).encode()}
    written = {f"full/{k}": v for k, v in _state_files(dst).items()}
    assert any(name.endswith("audit.jsonl") for name in written)
    assert not _leaks(sample, {**written, **printed})
    # The log survived the full disk whole (no torn line), outputs included.
    assert verify_audit(dst).intact, verify_audit(dst).problem
    roomy = tmp_path / "roomy"
    shutil.copytree(dst, roomy)
    resumed = medanon("run", sample.root, roomy, "--key", key_file, "-w", "1")
    assert resumed.returncode == 1, resumed.stderr
    assert verify_audit(roomy).intact, verify_audit(roomy).problem
