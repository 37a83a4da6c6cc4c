"""Walk a source tree as a stream, in a stable order.

Never builds a list of every path: one directory's entries at a time, sorted so that two
runs over the same tree visit files in the same order. Folders medanon itself writes
(a state folder, an output tree placed inside the source) are skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from medanon.dicom.tempfiles import TEMP_PREFIX

STATE_DIR_NAME = ".medanon"


def walk_files(root: Path, *, exclude: tuple[Path, ...] = ()) -> Iterator[Path]:
    """Yield every regular file under ``root``, depth first, names in sorted order."""
    excluded = {os.path.realpath(p) for p in exclude}
    stack = [str(root)]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as entries:
                listing = sorted(entries, key=lambda e: e.name)
        except OSError:
            continue
        subdirs: list[str] = []
        for entry in listing:
            if entry.name == STATE_DIR_NAME or entry.name.startswith(TEMP_PREFIX):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if os.path.realpath(entry.path) not in excluded:
                        subdirs.append(entry.path)
                elif entry.is_file():
                    yield Path(entry.path)
            except OSError:
                continue
        stack.extend(reversed(subdirs))
