"""``medanon run --accept-no-meta``: bare data sets (no preamble, no file meta) are read.

Without the option such a file fails with a reason that names the option; with it, the
file is written like any other, with file meta made anew.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pydicom

from medanon.custody.keys import SecretKey, write_key

BARE = Path(pydicom.__file__).parent / "data" / "test_files" / "ExplVR_LitEndNoMeta.dcm"


def _run(src: Path, dst: Path, key: Path, *extra: str) -> tuple[int, dict[str, object]]:
    done = subprocess.run([sys.executable, "-m", "medanon.cli.main", "run", str(src), str(dst),
                           "--key", str(key), "--workers", "1", "--quiet", *extra],
                          capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads((dst / ".medanon" / "report.json").read_text())


def test_a_bare_data_set_is_read_only_when_asked(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(BARE, src / "bare.dcm")
    key = tmp_path / "k.key"
    write_key(key, SecretKey(b"bare-key".ljust(32, b".")))

    code, report = _run(src, tmp_path / "refused", key)
    assert code == 1
    problems = report["problems"]
    assert isinstance(problems, list) and "--accept-no-meta" in problems[0]["reason"]

    code, report = _run(src, tmp_path / "read", key, "--accept-no-meta")
    assert code == 0, report
    written = list((tmp_path / "read").rglob("*.dcm"))
    assert len(written) == 1
    syntax = pydicom.dcmread(written[0]).file_meta.TransferSyntaxUID
    assert syntax == pydicom.uid.ExplicitVRLittleEndian
