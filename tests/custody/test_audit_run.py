"""The audit log across sessions: resumed, killed with SIGKILL, restarted, signed."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from medanon.custody.audit import verify_audit
from medanon.custody.keys import SecretKey
from medanon.custody.recorder import CustodyOptions
from medanon.custody.signing import load_public_key, write_signing_keypair
from medanon.profile.recipe import default_recipe
from medanon.runner.run import RunOptions, run_folder
from medanon.sample import SampleCollection
from tests.runner.conftest import multi_sample as multi_sample  # the same four sites

from .conftest import RUN_QUIETLY, assert_one_clear_error, medanon


def _entries(dst: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (dst / ".medanon" / "audit.jsonl").read_bytes()
            .splitlines()]


def test_a_rerun_continues_the_chain_and_prints_the_head(
        tmp_path: Path, key_file: Path, sample: SampleCollection) -> None:
    dst = tmp_path / "out"
    first = medanon("run", sample.root, dst, "--key", key_file, "-q", "-w", "1")
    printed = re.search(r"; audit head: ([0-9a-f]{64})$", first.stdout, re.MULTILINE)
    assert printed is not None, first.stdout
    head = printed[1]
    second = medanon("run", sample.root, dst, "--key", key_file, "-q", "-w", "1")
    assert second.returncode == 1
    entries = _entries(dst)
    starts = [e for e in entries if e["kind"] == "run-start"]
    assert len(starts) == 2 and starts[1]["resumed"] is True and starts[1]["prev"] == head
    assert "SRC" in starts[0]["command"] and str(sample.root) not in json.dumps(entries)
    assert verify_audit(dst, head=head).intact
    report = json.loads((dst / ".medanon" / "report.json").read_text())
    assert report["settings"]["audit_head"] == entries[-1]["hash"]


def test_restart_keeps_the_log_and_verifies(tmp_path: Path, key_file: Path,
                                            sample: SampleCollection) -> None:
    dst = tmp_path / "out"
    medanon("run", sample.root, dst, "--key", key_file, "-q", "-w", "1")
    other = tmp_path / "other.key"
    medanon("keygen", other)
    again = medanon("run", sample.root, dst, "--key", other, "--restart", "-q", "-w", "1")
    assert again.returncode == 1, again.stderr
    result = verify_audit(dst)
    assert result.intact, result.problem
    assert result.summary.runs == 2


def _manifest_outputs(dst: Path) -> dict[str, str]:
    with sqlite3.connect(dst / ".medanon" / "manifest.sqlite") as db:
        return {str(o): str(s) for s, o in db.execute(
            "SELECT source_id, output FROM files WHERE status = 'written'")}


def _line_count(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def test_kill_9_at_random_points_then_resume_verifies(
        tmp_path: Path, key_file: Path, multi_sample: Path) -> None:
    rng = random.Random(13)
    dst = tmp_path / "out"
    log = dst / ".medanon" / "audit.jsonl"
    killed = 0
    for _attempt in range(3):
        before = _line_count(log)
        process = subprocess.Popen(
            [*RUN_QUIETLY, str(multi_sample), str(dst), "--key", str(key_file), "-q",
             "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True)
        wanted = before + rng.randint(2, 30)  # a random point once files are being logged
        while process.poll() is None and _line_count(log) < wanted:
            time.sleep(0.001)
        os.killpg(process.pid, signal.SIGKILL)
        killed += process.wait() == -signal.SIGKILL
        # After the kill, every file the manifest committed has its entry on disk.
        if (dst / ".medanon" / "manifest.sqlite").exists():
            logged = {(e["output"], e["source"]) for e in _entries(dst)
                      if e["kind"] == "file"}
            for output, source in _manifest_outputs(dst).items():
                assert (output, source) in logged
    assert killed >= 2  # the kills landed while the run was under way
    resumed = medanon("run", multi_sample, dst, "--key", key_file, "-q", "--workers", "2")
    assert resumed.returncode == 1, resumed.stderr
    result = verify_audit(dst)
    assert result.intact, result.problem
    assert result.outputs_checked == len(list(dst.rglob("*.dcm")))
    cli = medanon("audit", "verify", dst)
    assert cli.returncode == 0, cli.stderr


def _api_run(src: Path, dst: Path, signing_key: Path | None = None) -> None:
    run_folder(src, dst, default_recipe(), SecretKey(b"s" * 32), options=RunOptions(
        workers=1, custody=CustodyOptions(signing_key=signing_key)))


def test_signed_session_ends(tmp_path: Path, sample: SampleCollection) -> None:
    private, public = tmp_path / "audit.key", tmp_path / "audit.pub"
    made = medanon("audit", "keygen", private, public)
    assert made.returncode == 0, made.stderr
    assert private.stat().st_mode & 0o777 == 0o600
    dst = tmp_path / "out"
    _api_run(sample.root, dst, private)
    checker = load_public_key(public)
    assert verify_audit(dst, public_key=checker).intact
    assert medanon("audit", "verify", dst, "--public-key", public).returncode == 0
    # A rerun without the key leaves an unsigned session end: caught.
    _api_run(sample.root, dst)
    problem = verify_audit(dst, public_key=checker).problem
    assert problem is not None and "not signed" in problem.message
    # Someone rewriting the whole chain cannot sign it with another key.
    other_private, other_public = tmp_path / "o.key", tmp_path / "o.pub"
    write_signing_keypair(other_private, other_public)
    dst2 = tmp_path / "out2"
    _api_run(sample.root, dst2, other_private)
    problem = verify_audit(dst2, public_key=checker).problem
    assert problem is not None and "signature is not valid" in problem.message
    cli = medanon("audit", "verify", dst2, "--public-key", public)
    assert cli.returncode == 1 and "line " in cli.stderr


def test_a_readable_signing_key_is_refused(tmp_path: Path, key_file: Path,
                                           sample: SampleCollection) -> None:
    private, public = tmp_path / "audit.key", tmp_path / "audit.pub"
    medanon("audit", "keygen", private, public)
    private.chmod(0o644)
    run = medanon("run", sample.root, tmp_path / "out", "--key", key_file,
                  "--audit-signing-key", private)
    assert run.returncode == 2 and f"chmod 600 {private}" in run.stderr
    private.chmod(0o600)
    public.chmod(0o600)
    run = medanon("run", sample.root, tmp_path / "out", "--key", key_file,
                  "--audit-signing-key", public)
    assert run.returncode == 2 and "not an audit signing key" in run.stderr


def test_resuming_onto_a_damaged_log_is_one_clear_error(
        tmp_path: Path, key_file: Path, sample: SampleCollection) -> None:
    dst = tmp_path / "out"
    medanon("run", sample.root, dst, "--key", key_file, "-q", "-w", "1")
    with sqlite3.connect(dst / ".medanon" / "manifest.sqlite") as db:
        db.execute("UPDATE meta SET value = 'running' WHERE name = 'state'")
    log = dst / ".medanon" / "audit.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    lines[4] = b"{not json\n"
    log.write_bytes(b"".join(lines))
    resumed = medanon("run", sample.root, dst, "--key", key_file, "-q", "-w", "1")
    assert_one_clear_error(resumed, "audit log", "damaged", "medanon audit verify")
