"""The report in a real browser (Debian's chromium, headless): its sections render, and
the console shows no error. Under CI a missing chromium fails the test."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"


def _chromium() -> str:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed (scripts/test installs Debian's chromium)")
    pytest.skip("chromium is not installed")


def _browse(page: Path, profile: Path, *action: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={profile}", "--enable-logging=stderr",
         "--v=0", "--window-size=1200,1600", *action, page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)


def _console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "CONSOLE" in line
            or "Uncaught" in line]


def test_console_errors_are_seen(tmp_path: Path) -> None:
    """The check below can fail: a page with a script error is caught."""
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>undefinedFunction();</script></body></html>")
    run = _browse(page, tmp_path / "profile", "--dump-dom")
    assert _console_errors(run.stderr)


def test_report_renders_without_console_errors(run_output: tuple[Path, str],
                                               tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    shutil.copy(run_output[0] / ".medanon" / "report.html", page)
    dom = _browse(page, tmp_path / "profile", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    for section in ("summary", "findings", "problems", "review", "pixels", "census", "privacy",
                    "timings"):
        assert f'<section id="{section}">' in dom.stdout
    assert "<svg" in dom.stdout
    assert not _console_errors(dom.stderr)
    shot = tmp_path / "report.png"
    screenshot = _browse(page, tmp_path / "profile2", f"--screenshot={shot}")
    assert screenshot.returncode == 0
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    assert not _console_errors(screenshot.stderr)
