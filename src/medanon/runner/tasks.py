"""A unit of work handed to an executor: one input file, and where to read it from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from medanon.runner.manifest import InputStamp


@dataclass(frozen=True)
class Task:
    """One input file to process; ``read_from`` is its staged copy, when staging is on."""

    path: Path
    stamp: InputStamp
    read_from: Path | None = None
