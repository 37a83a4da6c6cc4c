"""What is not a regular file is excluded with a reason, never opened, never a hang."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from medanon.runner import walk
from medanon.runner.walk import Excluded, walk_entries, walk_files
from medanon.sample import SampleCollection

MEDANON = [sys.executable, "-m", "medanon"]


def _special_tree(root: Path, dicom: Path) -> None:
    """A FIFO, a socket, a broken link, a link loop, a link to a folder and to a file."""
    (root / "series").mkdir(parents=True)
    shutil.copyfile(dicom, root / "series" / "IM0001")
    os.mkfifo(root / "series" / "pipe")
    (root / "series" / "gone").symlink_to(root / "nowhere")
    (root / "series" / "loop-a").symlink_to(root / "series" / "loop-b")
    (root / "series" / "loop-b").symlink_to(root / "series" / "loop-a")
    (root / "series" / "self").symlink_to(root / "series" / "self")
    (root / "up").symlink_to(root)  # a folder loop, were links to folders followed
    (root / "series" / "alias").symlink_to(root / "series" / "IM0001")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(root / "series" / "sock"))


def _first_sample_file(sample_root: Path) -> Path:
    return next(p for p in sorted(sample_root.rglob("*"))
                if p.is_file() and p.name != "DICOMDIR" and p.read_bytes()[128:132] == b"DICM")


def test_each_kind_is_excluded_with_its_reason(tmp_path: Path,
                                               sample_collection: SampleCollection) -> None:
    root = tmp_path / "src"
    _special_tree(root, _first_sample_file(sample_collection.root))
    entries = list(walk_entries(root))
    assert list(walk_files(root)) == [p for p in entries if not isinstance(p, Excluded)]
    files = sorted(p.name for p in entries if not isinstance(p, Excluded))
    reasons = {e.path.name: e.reason for e in entries if isinstance(e, Excluded)}
    assert files == ["IM0001", "alias"]
    assert reasons == {"pipe": walk.FIFO, "sock": walk.SOCKET, "gone": walk.BROKEN_LINK,
                       "loop-a": walk.LINK_LOOP, "loop-b": walk.LINK_LOOP,
                       "self": walk.LINK_LOOP, "up": walk.LINK_TO_FOLDER}


def test_a_device_is_excluded(tmp_path: Path) -> None:
    (tmp_path / "null").symlink_to("/dev/null")
    assert list(walk_entries(tmp_path)) == [Excluded(tmp_path / "null", walk.DEVICE)]


def test_an_unreadable_folder_is_excluded(tmp_path: Path) -> None:
    """As an ordinary user; root reads every folder, so a child process drops to nobody."""
    base = Path(tempfile.mkdtemp(prefix="medanon-walk-", dir="/tmp"))
    try:
        base.chmod(0o755)
        (base / "open").mkdir()
        (base / "open" / "a").write_bytes(b"x")
        (base / "open" / "a").chmod(0o644)
        (base / "shut").mkdir()
        (base / "shut" / "b").write_bytes(b"x")
        (base / "shut").chmod(0)
        found = _walk_as_an_ordinary_user(base)
    finally:
        (base / "shut").chmod(0o755)
        shutil.rmtree(base)
    assert found == [["file", "open/a"],
                     ["excluded", "shut", "a folder that cannot be read (Permission denied)"]]


def _walk_as_an_ordinary_user(root: Path) -> list[list[str]]:
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop root (when it is root), walk, report, leave at once
        try:
            os.close(reader)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            result = [["excluded", e.path.relative_to(root).as_posix(), e.reason]
                      if isinstance(e, Excluded) else ["file", e.relative_to(root).as_posix()]
                      for e in walk_entries(root)]
            os.write(writer, json.dumps(result).encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as stream:
        data = stream.read()
    os.waitpid(pid, 0)
    return list(json.loads(data))


def test_a_run_over_special_entries_finishes_and_reports_them(
        tmp_path: Path, key_file: Path, sample_collection: SampleCollection) -> None:
    root = tmp_path / "src"
    _special_tree(root, _first_sample_file(sample_collection.root))
    dst = tmp_path / "out"
    for _session in range(2):  # the rerun finds them recorded: nothing left to do
        result = subprocess.run(
            [*MEDANON, "run", str(root), str(dst), "--key", str(key_file), "--workers", "2",
             "--staging", str(tmp_path / "staging")],
            capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        report = json.loads((dst / ".medanon" / "report.json").read_text())
        assert report["counts"]["excluded"] == 7
        assert report["counts"]["written"] + report["counts"]["duplicate"] == 2
    assert report["this_session"]["processed"] == 0
    reasons = sorted(p["reason"] for p in report["problems"] if p["status"] == "excluded")
    assert reasons == sorted([walk.FIFO, walk.SOCKET, walk.BROKEN_LINK, walk.LINK_LOOP,
                              walk.LINK_LOOP, walk.LINK_LOOP, walk.LINK_TO_FOLDER])
    assert "excluded" in result.stdout
    assert str(root) not in json.dumps(report)
