"""The files the verifier reads: every regular file, sorted, minus medanon's own folders.

Its own walk, not the runner's: a file the runner skips by mistake must still be seen.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

STATE_DIR = ".medanon"
RELEASE_DIR = "medanon-release"


def files_under(root: Path, *, skip_release: bool = False) -> Iterator[Path]:
    """Every file under ``root`` (state folders and, if asked, the release skipped).

    Symbolic links to files are yielded too: the scan reports them (a link can point
    back into the source).
    """
    for dirpath, dirs, files in os.walk(root):
        skipped = {STATE_DIR}
        if skip_release and Path(dirpath) == root:
            skipped.add(RELEASE_DIR)
        dirs[:] = sorted(d for d in dirs if d not in skipped)
        for name in sorted(files):
            path = Path(dirpath, name)
            if path.is_file() or path.is_symlink():
                yield path
