"""Validity: errors dciodvfy (Debian's dicom3tools) reports in an output and not its input.

Messages are compared with the values between angle brackets removed (they may hold
personal data, and a remapped value is not a new error). When dciodvfy is not installed
the check says so; it never passes silently.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

DCIODVFY = "dciodvfy"
SAMPLE_FILES = 20
_VALUE = re.compile(r"<[^>]*>")
_TIMEOUT_SECONDS = 60


def available() -> bool:
    """True when dciodvfy is on PATH."""
    return shutil.which(DCIODVFY) is not None


def errors_of(path: Path) -> set[str]:
    """The error messages of dciodvfy for one file, values removed."""
    try:
        run = subprocess.run([DCIODVFY, str(path)], capture_output=True, text=True,
                             errors="replace", timeout=_TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return {"dciodvfy could not check the file"}
    lines = (run.stderr + run.stdout).splitlines()
    return {_VALUE.sub("<>", line.strip()) for line in lines if line.startswith("Error")}


def new_errors(pair: tuple[Path, Path]) -> list[str]:
    """Errors in the output (first) that its input (second) does not have."""
    output, source = pair
    return sorted(errors_of(output) - errors_of(source))


def choose(pairs: list[tuple[Path, Path]], mode: str) -> list[tuple[Path, Path]]:
    """All pairs, an even sample of them, or none."""
    if mode == "off":
        return []
    if mode == "all" or len(pairs) <= SAMPLE_FILES:
        return pairs
    step = len(pairs) / SAMPLE_FILES
    return [pairs[int(i * step)] for i in range(SAMPLE_FILES)]
