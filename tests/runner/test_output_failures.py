"""The output cannot be written: one clear error, nothing half-written, resumable later."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

MEDANON = [sys.executable, "-m", "medanon"]


def _run(src: Path, dst: Path, key: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MEDANON, "run", str(src), str(dst), "--key", str(key), "-q", *extra],
                          capture_output=True, text=True, timeout=300)


def _can_mount() -> bool:
    return os.geteuid() == 0 and shutil.which("mount") is not None


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 400 KB tmpfs: room for a few outputs, not for the whole collection."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    if not _can_mount():
        pytest.skip("needs root to mount a small tmpfs")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount_point)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_full_disk_stops_cleanly_and_resumes(
        small_disk: Path, tmp_path: Path, key_file: Path,
        make_tree_snapshot: Callable[[Path], dict[str, bytes]]) -> None:
    from medanon.sample import generate_sample

    src = generate_sample(tmp_path / "collection").root
    dst = small_disk / "out"
    failed = _run(src, dst, key_file, "--workers", "1")
    assert failed.returncode == 2
    assert "cannot write to the output folder" in failed.stderr
    assert "No space left" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert not [p for p in dst.rglob("*") if p.name.startswith(".medanon-tmp-")]
    # Every output present is whole: it parses and carries the de-identification marker.
    import pydicom

    partial = list(dst.rglob("*.dcm"))
    for path in partial:
        assert pydicom.dcmread(path).PatientIdentityRemoved == "YES"

    # Space is back: move what was written to a big disk and resume there.
    roomy = tmp_path / "roomy"
    shutil.copytree(dst, roomy)
    resumed = _run(src, roomy, key_file, "--workers", "1")
    assert resumed.returncode == 1, resumed.stderr
    straight = tmp_path / "straight"
    _run(src, straight, key_file, "--workers", "1")
    assert make_tree_snapshot(roomy) == make_tree_snapshot(straight)
    report = json.loads((roomy / ".medanon" / "report.json").read_text())
    assert report["this_session"]["skipped_as_done"] >= 1


def test_output_that_cannot_be_created(tmp_path: Path, key_file: Path) -> None:
    from medanon.sample import generate_sample

    src = generate_sample(tmp_path / "collection").root
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = _run(src, blocker / "out", key_file)
    assert result.returncode == 2
    assert result.stderr.startswith("medanon: error:")
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_corrupt_and_foreign_files_are_failed_not_written(tmp_path: Path, key_file: Path) -> None:
    from medanon.sample import generate_sample

    collection = generate_sample(tmp_path / "collection")
    src = collection.root
    dicom_files = [src / e.path for e in collection.expected if e.sop_instance_uid]
    truncated = src / "TRUNCATED.dcm"
    truncated.write_bytes(dicom_files[0].read_bytes()[:700])
    (src / "junk.bin").write_bytes(os.urandom(3000))
    (src / "empty").write_bytes(b"")
    result = _run(src, tmp_path / "out", key_file, "--workers", "2")
    assert result.returncode == 1
    report = json.loads((tmp_path / "out" / ".medanon" / "report.json").read_text())
    assert report["counts"]["failed"] == collection.counts.failed + 3
    reasons = " ".join(p["reason"] for p in report["problems"])
    assert "truncated" in reasons and "empty file" in reasons and "not a DICOM file" in reasons
    assert report["counts"]["written"] == collection.counts.written


def test_a_failing_flush_records_nothing_it_did_not_make_durable(
        tmp_path: Path, key_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever goes wrong while outputs are flushed, the rows of that batch stay unwritten."""
    from medanon.custody.keys import load_key
    from medanon.profile.recipe import default_recipe
    from medanon.runner import run as run_module
    from medanon.runner.manifest import MANIFEST_NAME, Manifest
    from medanon.sample import generate_sample

    collection = generate_sample(tmp_path / "src")

    def broken_flush(descriptor: int) -> None:
        raise RuntimeError("the disk controller went away")

    monkeypatch.setattr(run_module.os, "fdatasync", broken_flush)
    dst = tmp_path / "out"
    with pytest.raises(RuntimeError):
        run_module.run_folder(collection.root, dst, default_recipe(), load_key(key_file),
                              options=run_module.RunOptions(workers=1))
    manifest = Manifest(dst / ".medanon" / MANIFEST_NAME)
    try:
        assert not manifest.has_files()
    finally:
        manifest.close()
