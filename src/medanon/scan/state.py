"""A resumable scan's state: the files done and the tally they add up to, in one SQLite file.

A scan writes nothing unless the user gives it a state folder (``--state DIR``). Then,
every few seconds, the files merged since the last checkpoint (keyed path hash, size,
mtime, as the run's manifest records them) and the pickled tally of every file so far
are committed in one transaction, so after a ``kill -9`` or a power cut the two always
agree: a rerun loads the tally, skips the files it counts, and scans the rest. The state
is pinned to the key, the source folder and whether values are collected; a file that
changed since it was counted cannot be taken out of the tally again, so it stops the
scan with a request to start over (``--restart``).

The tally holds per-attribute value digests and the patient table's characteristics:
the state file is as sensitive as the patient table, and lives where the user puts it.
"""

from __future__ import annotations

import pickle
import sqlite3
from pathlib import Path

from medanon.errors import ConfigurationError
from medanon.runner.manifest import InputStamp
from medanon.scan.tally import CollectionTally

STATE_NAME = "scan.sqlite"
SCHEMA_VERSION = "1"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    source_id TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1),
    tally BLOB NOT NULL);
"""


class ScanStateError(ConfigurationError):
    """The state cannot be resumed: other settings, a damaged file, or a changed input."""


class ChangedInputError(ScanStateError):
    """A file counted by an earlier session of this scan has changed since."""


def remove_state(folder: Path) -> None:
    """Remove a scan's state from ``folder`` (the SQLite file and its journal files)."""
    for suffix in ("", "-wal", "-shm"):
        (folder / f"{STATE_NAME}{suffix}").unlink(missing_ok=True)


class ScanState:
    """The state folder of one resumable scan; the coordinating process owns it."""

    def __init__(self, folder: Path, settings: dict[str, str], *, restart: bool = False
                 ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / STATE_NAME
        if restart:
            remove_state(folder)
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._pin(settings)

    def _pin(self, settings: dict[str, str]) -> None:
        for name, value in settings.items():
            row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
            if row is not None and row[0] != value:
                label = name.replace("_fingerprint", "").replace("_", " ")
                raise ScanStateError(
                    f"the {label} differs from the one this scan state was started with; "
                    "rerun with the same settings to resume, or pass --restart to start over")
        self._db.executemany("INSERT OR REPLACE INTO meta(name, value) VALUES (?, ?)",
                             [*settings.items(), ("schema", SCHEMA_VERSION)])

    def load(self) -> CollectionTally | None:
        """The tally of the files done so far, or None for a new scan."""
        row = self._db.execute("SELECT tally FROM checkpoint WHERE id = 1").fetchone()
        if row is None:
            return None
        tally = pickle.loads(row[0])  # written by this class only, in the user's folder
        if not isinstance(tally, CollectionTally):
            raise ScanStateError("the scan state is damaged; pass --restart to start over")
        return tally

    def is_done(self, stamp: InputStamp) -> bool:
        """True when this file was counted; raises when it was counted and has changed since."""
        row = self._db.execute("SELECT size, mtime_ns FROM files WHERE source_id = ?",
                               (stamp.source_id,)).fetchone()
        if row is None:
            return False
        if (row[0], row[1]) != (stamp.size, stamp.mtime_ns):
            raise ChangedInputError(
                "a file counted by an earlier session of this scan has changed since "
                f"(keyed path hash {stamp.source_id}); pass --restart to scan again from "
                "the start")
        return True

    def checkpoint(self, stamps: list[InputStamp], tally: CollectionTally) -> None:
        """Record ``stamps`` as done and ``tally`` as their sum, in one transaction."""
        blob = pickle.dumps(tally, protocol=pickle.HIGHEST_PROTOCOL)
        self._db.execute("BEGIN")
        try:
            self._db.executemany(
                "INSERT OR REPLACE INTO files(source_id, size, mtime_ns) VALUES (?, ?, ?)",
                [(s.source_id, s.size, s.mtime_ns) for s in stamps])
            self._db.execute("INSERT OR REPLACE INTO checkpoint(id, tally) VALUES (1, ?)",
                             (blob,))
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        """Close the database."""
        self._db.close()
