"""The on-disk queue: each received instance, durable, exactly as it arrived.

A queued file is a Part 10 file (preamble, the file meta the association gives it, the
data set bytes as they came over the wire), so that it is read by the same
``read_instance`` as any input file of ``medanon run``. It is named by the keyed hash
of its SOP Instance UID: no value from the data set reaches a path. Quarantine keeps
the originals that could not be de-identified, beside the queue, for review.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from medanon.dicom.tempfiles import TEMP_PREFIX

SUFFIX = ".dcm"


class OutOfSpace(Exception):
    """The queue's disk holds less than the reserve: refuse rather than risk a loss."""


def fsync_folder(path: Path) -> None:
    """Make a folder's entries (names just created or renamed) durable."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class InstanceQueue:
    """Folders of the serve state: ``queue/`` (received, pending) and ``quarantine/``."""

    def __init__(self, state_dir: Path, reserve_bytes: int) -> None:
        self.root = state_dir / "queue"
        self.quarantine_root = state_dir / "quarantine"
        self.reserve_bytes = reserve_bytes
        # The queue and the quarantine hold instances as received, personal data and all:
        # only the user medanon runs as may read them.
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        for folder in (self.root, self.quarantine_root):
            folder.mkdir(exist_ok=True, mode=0o700)
            folder.chmod(0o700)  # also when an older folder was made more open
        for stale in self.root.glob(TEMP_PREFIX + "*"):
            stale.unlink(missing_ok=True)  # a receipt cut short: its sender got no Success

    def path_of(self, name: str) -> Path:
        """Where the queued instance named ``name`` (a keyed hash) lies."""
        return self.root / (name + SUFFIX)

    def put(self, name: str, part10: bytes) -> Path:
        """Write one instance (Part 10 bytes) durably, file and folder entry, then return.

        Raises
        ------
        OutOfSpace
            When the disk would keep less than the reserve after this write.
        OSError
            When the write itself fails (a full or read-only disk).
        """
        free = shutil.disk_usage(self.root).free
        if free - len(part10) < self.reserve_bytes:
            raise OutOfSpace
        target = self.path_of(name)
        temp = self.root / f"{TEMP_PREFIX}{os.getpid()}-{name}"
        try:
            with open(temp, "wb") as out:
                out.write(part10)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        fsync_folder(self.root)
        return target

    def names(self) -> Iterator[str]:
        """The names of every instance in the queue (for recovery after a restart)."""
        for path in self.root.iterdir():
            if path.name.endswith(SUFFIX) and not path.name.startswith(TEMP_PREFIX):
                yield path.name[: -len(SUFFIX)]

    def remove(self, name: str) -> None:
        """Drop a queued instance once its fate is recorded."""
        self.path_of(name).unlink(missing_ok=True)

    def quarantine(self, name: str) -> None:
        """Move a queued instance to the quarantine folder (kept for review, never sent)."""
        source = self.path_of(name)
        if source.exists():
            os.replace(source, self.quarantine_root / source.name)
            fsync_folder(self.quarantine_root)

    def unquarantine(self, name: str) -> bool:
        """Put back an instance moved to quarantine whose reason was never recorded.

        That happens when the node stops between the move and the ledger's record; the
        instance is de-identified again and quarantined again, this time with its reason.
        """
        source = self.quarantine_root / (name + SUFFIX)
        if self.path_of(name).exists() or not source.exists():
            return False
        os.replace(source, self.path_of(name))
        return True
