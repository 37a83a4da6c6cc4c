"""The progress display: a bar with a total and an ETA that fits 80 columns; plain lines in logs."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import time
from collections import Counter
from pathlib import Path

import pytest

from medanon.cli.progress import RunProgress, clock, eta_seconds, plain_line
from medanon.custody.keys import SecretKey, write_key
from medanon.runner.report import SessionStats
from medanon.sample import generate_sample

_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_sample(tmp_path_factory.mktemp("progress") / "sample").root


def _run_on_a_terminal(args: list[str], columns: int) -> tuple[int, str, str]:
    """Run medanon with stderr on a pseudo-terminal ``columns`` wide; return code, both streams."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {**os.environ, "COLUMNS": str(columns), "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen([sys.executable, "-m", "medanon", *args], env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=terminal)
    os.close(terminal)
    chunks = []
    while True:
        try:
            data = os.read(controller, 65536)
        except OSError:  # the terminal's other side closed: the run has ended
            break
        if not data:
            break
        chunks.append(data)
    os.close(controller)
    assert process.stdout is not None
    stdout = process.stdout.read().decode()
    process.wait(timeout=120)
    return process.returncode, stdout, b"".join(chunks).decode(errors="replace")


def test_the_bar_shows_total_and_eta_and_fits_80_columns(sample: Path, tmp_path: Path) -> None:
    key_file = tmp_path / "run.key"
    write_key(key_file, SecretKey(b"medanon-test-key".ljust(32, b".")))
    code, stdout, screen = _run_on_a_terminal(
        ["run", str(sample), str(tmp_path / "out"), "--key", str(key_file), "--workers", "1",
         "--no-report"], columns=80)
    assert code == 1, stdout + screen
    files = sum(1 for p in sample.rglob("*") if p.is_file())
    lines = [line for line in re.split(r"[\r\n]+", _ESCAPE.sub("", screen)) if line.strip()]
    assert lines
    assert max(len(line) for line in lines) <= 80
    assert not [line for line in lines if "…" in line]  # nothing cut short
    bars = [line for line in lines if line.startswith("de-identifying ")]
    final = bars[-1]
    assert re.search(rf" {files}/{files} [\d,]+ files/s ETA \d:\d\d:\d\d$", final), final
    assert re.fullmatch(r"  \d+ [a-z]+(, \d+ [a-z]+)*", lines[-1])  # the counts, below
    assert re.search(r"\b\d+ written\b", lines[-1])
    assert str(sample) not in screen and "Traceback" not in screen


def test_plain_lines_come_early_then_at_intervals(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"x")
    session = SessionStats(started=time.monotonic() - 0.5, processed=Counter(written=5))
    with RunProgress(tmp_path, (), quiet=False) as progress:  # stderr is no terminal here
        progress.update(None, session)
        assert capsys.readouterr().err == ""  # too early: nothing yet
        session.started -= 2.0  # 2.5 s in
        progress.update(None, session)
        first = capsys.readouterr().err
        progress.update(None, session)
        assert capsys.readouterr().err == ""  # not again until the interval has passed
        session.started -= 10.0
        progress.update(None, session)
        assert re.match(r"medanon: 5(/1)? files, 0\.4 files/s", capsys.readouterr().err)
    assert re.fullmatch(r"medanon: 5(/1)? files, 2\.0 files/s, 0\.0 MB/s(, ETA 0:00:00)?; "
                        r"5 written\n", first)


def test_eta_counts_the_pace_of_processed_files_only() -> None:
    session = SessionStats(started=time.monotonic() - 10.0, processed=Counter(written=100),
                           skipped=900)
    assert eta_seconds(session, None) is None
    eta = eta_seconds(session, 2000)
    assert eta is not None and 99.9 < eta < 100.1  # 1000 left at 10 files/s
    assert clock(eta) == "0:01:40" and clock(None) == "-:--:--" and clock(3725) == "1:02:05"
    assert plain_line(session, 2000).startswith("medanon: 1,000/2,000 files, 10.0 files/s")
