"""Walk a source tree as a stream, in a stable order, accounting for every entry.

Never builds a list of every path: one directory's entries at a time, sorted so that two
runs over the same tree visit files in the same order. Folders medanon itself writes
(a state folder, an output tree placed inside the source) are skipped.

What is not a regular file is never opened (opening a FIFO would wait for a writer
forever) and never skipped silently: broken links, link loops, links to folders (not
followed, so a link cannot lead out of the source or round in circles), FIFOs, sockets,
devices and folders that cannot be read come out as :class:`Excluded` with a reason,
and the run lists them in its report.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from medanon.dicom.tempfiles import TEMP_PREFIX

STATE_DIR_NAME = ".medanon"

BROKEN_LINK = "a broken symbolic link (its target does not exist)"
LINK_LOOP = "a symbolic link loop"
LINK_TO_FOLDER = "a symbolic link to a folder (links to folders are not followed)"
UNREADABLE_LINK = "a symbolic link whose target cannot be read"
FIFO = "a named pipe (FIFO), not a file"
SOCKET = "a socket, not a file"
DEVICE = "a device, not a file"
OTHER = "not a regular file"


@dataclass(frozen=True)
class Excluded:
    """An entry of the source that is not processed, and why (no path in the reason)."""

    path: Path
    reason: str


def walk_files(root: Path, *, exclude: tuple[Path, ...] = ()) -> Iterator[Path]:
    """Yield every regular file under ``root``, depth first, names in sorted order."""
    for entry in walk_entries(root, exclude=exclude):
        if not isinstance(entry, Excluded):
            yield entry


def walk_entries(root: Path, *, exclude: tuple[Path, ...] = ()) -> Iterator[Path | Excluded]:
    """Yield every regular file under ``root`` (a Path), and every entry left out (Excluded).

    Depth first, names in sorted order. Links to files are followed and yielded as files.
    An unreadable folder is one Excluded entry (its contents cannot be known).
    """
    excluded = {os.path.realpath(p) for p in exclude}
    stack = [str(root)]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as entries:
                listing = sorted(entries, key=lambda e: e.name)
        except FileNotFoundError:
            continue  # removed while the walk went on: nothing left to account for
        except OSError as exc:
            yield Excluded(Path(directory), _unreadable_folder(exc))
            continue
        subdirs: list[str] = []
        for entry in listing:
            if entry.name == STATE_DIR_NAME or entry.name.startswith(TEMP_PREFIX):
                continue
            kind = _classify(entry)
            if kind is _FILE:
                yield Path(entry.path)
            elif kind is _FOLDER:
                if os.path.realpath(entry.path) not in excluded:
                    subdirs.append(entry.path)
            elif kind is not _GONE:
                yield Excluded(Path(entry.path), kind)
        stack.extend(reversed(subdirs))


# What an entry is, besides an exclusion reason: sentinels compared by identity.
_FILE = "process as a file"
_FOLDER = "enter as a folder"
_GONE = "removed while the walk went on"


def _classify(entry: os.DirEntry[str]) -> str:
    """_FILE, _FOLDER, _GONE, or the reason the entry is excluded."""
    try:
        if entry.is_symlink():
            return _classify_link(entry.path)
        if entry.is_dir(follow_symlinks=False):
            return _FOLDER
        if entry.is_file(follow_symlinks=False):
            return _FILE
        return _special_kind(entry.stat(follow_symlinks=False).st_mode)
    except FileNotFoundError:
        return _GONE
    except OSError:
        return OTHER


def _classify_link(path: str) -> str:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return BROKEN_LINK
    except OSError as exc:
        return LINK_LOOP if exc.errno == errno.ELOOP else UNREADABLE_LINK
    if stat.S_ISREG(mode):
        return _FILE
    if stat.S_ISDIR(mode):
        return LINK_TO_FOLDER
    return _special_kind(mode)


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return FIFO
    if stat.S_ISSOCK(mode):
        return SOCKET
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return DEVICE
    return OTHER


def _unreadable_folder(exc: OSError) -> str:
    return f"a folder that cannot be read ({exc.strerror or type(exc).__name__})"
