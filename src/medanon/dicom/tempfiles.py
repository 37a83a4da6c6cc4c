"""Temporary output files: their name, and the clean-up after an interrupted run."""

from __future__ import annotations

import os
from pathlib import Path

TEMP_PREFIX = ".medanon-tmp-"


def remove_stale_temporaries(root: Path) -> int:
    """Delete temporary files an interrupted run left under ``root``; return how many."""
    removed = 0
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            if name.startswith(TEMP_PREFIX):
                Path(dirpath, name).unlink(missing_ok=True)
                removed += 1
    return removed
