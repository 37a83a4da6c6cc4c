"""The run manifest: one SQLite row per input file, so a run can stop and resume.

A row is written only after the file's output is durable, so after a crash, a
``kill -9`` or a power cut every row tells the truth: what has a row is done, what has
none is redone. Inputs are keyed by the keyed hash of their relative path (never the
path), with size and mtime so that a changed input is processed again.

The manifest also pins the run's recipe and key (by fingerprint): resuming with other
settings would mix two de-identifications in one output, so it is refused.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from medanon.errors import ConfigurationError
from medanon.runner import pixel_log
from medanon.runner.outcome import FileOutcome, Status

MANIFEST_NAME = "manifest.sqlite"
CLASH_REASON = ("another input file has the same SOP Instance UID but different content "
                "(the one with the smaller output digest was written)")
SCHEMA_VERSION = "1"
CACHE_KIB = 512

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    source_id TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    status TEXT NOT NULL,
    output TEXT,
    reason TEXT,
    bytes_out INTEGER NOT NULL DEFAULT 0,
    clash_digest TEXT
);
CREATE INDEX IF NOT EXISTS files_output ON files(output);
CREATE TABLE IF NOT EXISTS review (
    source_id TEXT NOT NULL,
    tag INTEGER NOT NULL,
    keyword TEXT NOT NULL,
    vr TEXT NOT NULL,
    digest TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS review_source ON review(source_id);
CREATE TABLE IF NOT EXISTS net_hits (
    source_id TEXT NOT NULL,
    attribute TEXT NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (source_id, attribute)
);
"""


@dataclass(frozen=True)
class InputStamp:
    """What identifies one version of an input file."""

    source_id: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class DoneRow:
    """What the manifest recorded for an input done by an earlier session."""

    status: Status
    output: str | None  # relative path; for a DUPLICATE, the output another input wrote
    bytes_out: int

    @property
    def claims_output(self) -> bool:
        """True when this input wrote its output, so the output must be there, whole."""
        return self.status is Status.WRITTEN and bool(self.output)


class Manifest:
    """The state of one run; a single writer (the coordinating process) owns it."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        # A small page cache: memory stays flat however many rows the manifest grows to,
        # and the pages it reads again are in the operating system's cache anyway.
        self._db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        self._db.executescript(_SCHEMA + pixel_log.SCHEMA)
        self._pending: list[tuple[InputStamp, FileOutcome]] = []
        # The staged WRITTEN row of each output (at most one), so that settling an output's
        # owner costs one lookup however many rows wait for the next commit.
        self._pending_owners: dict[str, tuple[str, str | None]] = {}
        self._demoted: set[str] = set()
        self._owner_thread = threading.get_ident()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []

    def close(self) -> None:
        """Close the database (and any reader connections of other threads)."""
        for reader in self._readers:
            reader.close()
        self._db.close()

    # -- settings ------------------------------------------------------------------------
    def get(self, name: str) -> str | None:
        """A value from the meta table."""
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def put(self, name: str, value: str) -> None:
        """Store a value in the meta table."""
        self._db.execute("INSERT OR REPLACE INTO meta(name, value) VALUES (?, ?)", (name, value))

    def forget(self, name: str) -> None:
        """Remove a value from the meta table."""
        self._db.execute("DELETE FROM meta WHERE name = ?", (name,))

    def pin_settings(self, settings: dict[str, str]) -> None:
        """Record the run's fingerprints, or refuse when a resumed run changed them."""
        for name, value in settings.items():
            previous = self.get(name)
            if previous is not None and previous != value:
                label = name.replace("_fingerprint", "").replace("_", " ")
                raise ConfigurationError(
                    f"the {label} differs from the one this output folder was started with; "
                    "rerun with the same settings to resume, or pass --restart to start over")
        for name, value in settings.items():
            self.put(name, value)
        self.put("schema", SCHEMA_VERSION)

    # -- files ---------------------------------------------------------------------------
    def _reader(self) -> sqlite3.Connection:
        """A connection for the calling thread (the walk may run in a staging thread)."""
        if threading.get_ident() == self._owner_thread:
            return self._db
        connection: sqlite3.Connection | None = getattr(self._local, "db", None)
        if connection is None:
            connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._local.db = connection
            self._readers.append(connection)
        return connection

    def has_files(self) -> bool:
        """True when any input has a row (an earlier session did some work)."""
        return self._db.execute("SELECT 1 FROM files LIMIT 1").fetchone() is not None

    def is_done(self, stamp: InputStamp) -> bool:
        """True when this exact version of the input already has a final row."""
        return self.done_row(stamp) is not None

    def done_row(self, stamp: InputStamp) -> DoneRow | None:
        """The final row of this exact version of the input, or None when it has none."""
        row = self._reader().execute(
            "SELECT size, mtime_ns, status, output, bytes_out FROM files WHERE source_id = ?",
            (stamp.source_id,)).fetchone()
        if row is None or row[0] != stamp.size or row[1] != stamp.mtime_ns:
            return None
        return DoneRow(Status(row[2]), row[3], int(row[4]))

    def output_owner(self, output: str) -> str | None:
        """The input recorded as having written ``output``, if any."""
        owner = self._owner(output)
        return None if owner is None else owner[0]

    def _owner(self, output: str) -> tuple[str, str | None] | None:
        staged = self._pending_owners.get(output)
        if staged is not None:
            return staged
        row = self._db.execute(
            "SELECT source_id, clash_digest FROM files WHERE output = ? AND status = ? LIMIT 1",
            (output, Status.WRITTEN.value)).fetchone()
        if row is None or row[0] in self._demoted:
            return None
        return str(row[0]), row[1]

    def stage(self, stamp: InputStamp, outcome: FileOutcome) -> FileOutcome:
        """Queue one outcome for the next commit; returns it as it will be recorded.

        Settles who owns each output whatever order workers finished in: the first input to
        produce an output WROTE it and later identical ones are DUPLICATEs; when inputs
        clash (same name, different bytes), the one whose bytes are in place (the smallest
        digest, see :func:`medanon.dicom.write.publish`) is WRITTEN and the others are
        WITHHELD. Counts are then the same for a parallel, resumed or cluster run as for a
        sequential one.
        """
        if outcome.status in (Status.WRITTEN, Status.DUPLICATE) and outcome.output:
            owner = self._owner(outcome.output)
            if owner is not None and owner[0] == stamp.source_id:
                owner = None
            outcome = self._settle(outcome, owner)
            if outcome.status is Status.WRITTEN and outcome.output:
                self._pending_owners[outcome.output] = (stamp.source_id, outcome.clash_digest)
        self._pending.append((stamp, outcome))
        return outcome

    def _settle(self, outcome: FileOutcome, owner: tuple[str, str | None] | None
                ) -> FileOutcome:
        if owner is None:
            return replace(outcome, status=Status.WRITTEN)
        if outcome.status is Status.DUPLICATE:
            return outcome
        owner_id, owner_digest = owner
        mine = outcome.clash_digest
        if mine is not None and (owner_digest is None or mine < owner_digest):
            self._demote(owner_id)
            return outcome
        return replace(outcome, status=Status.WITHHELD, output=None, bytes_out=0,
                       reason=CLASH_REASON, review=())

    def _demote(self, source_id: str) -> None:
        """An earlier owner's output was replaced by a clashing input that wins."""
        for index, (stamp, outcome) in enumerate(self._pending):
            if stamp.source_id == source_id:
                if outcome.output and self._pending_owners.get(outcome.output, ("",))[0] \
                        == source_id:
                    del self._pending_owners[outcome.output]
                self._pending[index] = (stamp, replace(
                    outcome, status=Status.WITHHELD, output=None, bytes_out=0,
                    reason=CLASH_REASON, review=()))
                return
        self._demoted.add(source_id)

    def pending_outputs(self) -> list[str]:
        """The outputs (relative paths) the staged rows claim, to be made durable first."""
        return [o.output for _s, o in self._pending if o.output]

    @property
    def pending(self) -> int:
        """Outcomes staged but not yet committed."""
        return len(self._pending)

    def commit(self, count: int | None = None) -> None:
        """Record the first ``count`` staged rows (all by default) in one transaction.

        Call only once their outputs are durable.
        """
        batch = self._pending if count is None else self._pending[:count]
        if not batch and not self._demoted:
            return
        rows = [(s.source_id, s.size, s.mtime_ns, o.status.value, o.output, o.reason, o.bytes_out,
                 o.clash_digest) for s, o in batch]
        review = [(o.source_id, item.tag, item.keyword, item.vr, item.value_digest)
                  for _s, o in batch for item in o.review]
        net_hits = [(o.source_id, attribute, count) for _s, o in batch
                    for attribute, count in Counter(o.net_hits).items()]
        self._db.execute("BEGIN")
        try:
            self._db.executemany("DELETE FROM review WHERE source_id = ?",
                                 [(s.source_id,) for s, _o in batch])
            self._db.executemany("DELETE FROM net_hits WHERE source_id = ?",
                                 [(s.source_id,) for s, _o in batch])
            self._db.executemany(
                "INSERT INTO net_hits(source_id, attribute, hits) VALUES (?, ?, ?)", net_hits)
            pixel_log.store(self._db, [o for _s, o in batch])
            self._db.executemany(
                "INSERT OR REPLACE INTO files(source_id, size, mtime_ns, status, output, reason,"
                " bytes_out, clash_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            self._db.executemany(
                "UPDATE files SET status = ?, output = NULL, bytes_out = 0, reason = ?"
                " WHERE source_id = ?",
                [(Status.WITHHELD.value, CLASH_REASON, sid) for sid in self._demoted])
            self._db.executemany("DELETE FROM review WHERE source_id = ?",
                                 [(sid,) for sid in self._demoted])
            self._db.executemany(
                "INSERT INTO review(source_id, tag, keyword, vr, digest) VALUES (?, ?, ?, ?, ?)",
                review)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        for stamp, outcome in batch:
            if outcome.output and self._pending_owners.get(outcome.output, ("",))[0] \
                    == stamp.source_id:
                del self._pending_owners[outcome.output]
        del self._pending[:len(batch)]
        self._demoted.clear()

    def recorded_outputs(self) -> set[str]:
        """Every output path (relative) the manifest says was written."""
        return {str(row[0]) for row in self._db.execute(
            "SELECT output FROM files WHERE output IS NOT NULL AND status = ?",
            (Status.WRITTEN.value,))}

    def counts(self) -> Counter[str]:
        """Rows by status."""
        return Counter({str(status): int(n) for status, n in self._db.execute(
            "SELECT status, COUNT(*) FROM files GROUP BY status")})

    def problems(self) -> list[dict[str, str]]:
        """Every input that was not written, with its reason."""
        return [{"file": str(r[0]), "status": str(r[1]), "reason": str(r[2] or "")}
                for r in self._db.execute(
                    "SELECT source_id, status, reason FROM files WHERE status IN (?, ?, ?)"
                    " ORDER BY source_id",
                    (Status.WITHHELD.value, Status.FAILED.value, Status.EXCLUDED.value))]

    def net_rows(self) -> list[dict[str, object]]:
        """Per attribute, how often the safety net cleaned a value there, in how many files.

        Counted over the files the run wrote (a withheld file's output never existed), so a
        site sees where its recipe needs a rule of its own.
        """
        rows = self._db.execute(
            "SELECT n.attribute, COUNT(*), SUM(n.hits) FROM net_hits n"
            " JOIN files f ON f.source_id = n.source_id AND f.status IN (?, ?)"
            " GROUP BY n.attribute ORDER BY COUNT(*) DESC, n.attribute",
            (Status.WRITTEN.value, Status.DUPLICATE.value))
        return [{"attribute": attribute, "files": files, "values": hits}
                for attribute, files, hits in rows]

    def pixel_totals(self) -> dict[str, int]:
        """Files cleaned, boxes blanked, frames searched (:mod:`medanon.runner.pixel_log`)."""
        return pixel_log.pixel_totals(self._db)

    def review_rows(self) -> list[dict[str, object]]:
        """The whitelist review: per removed attribute, files it was in and distinct values."""
        rows = self._db.execute(
            "SELECT tag, keyword, vr, COUNT(DISTINCT source_id), COUNT(DISTINCT digest)"
            " FROM review GROUP BY tag ORDER BY COUNT(DISTINCT source_id) DESC, tag")
        return [{"tag": f"({tag >> 16:04X},{tag & 0xFFFF:04X})", "keyword": keyword, "vr": vr,
                 "files": files, "distinct_values": distinct}
                for tag, keyword, vr, files, distinct in rows]

    def totals(self) -> tuple[int, int]:
        """Bytes written and rows recorded."""
        row = self._db.execute("SELECT COALESCE(SUM(bytes_out), 0), COUNT(*) FROM files").fetchone()
        return int(row[0]), int(row[1])

    def mark_started(self) -> None:
        """Record that a run is under way (cleared by :meth:`mark_finished`)."""
        self.put("state", "running")
        self.put("started", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))

    def mark_finished(self) -> None:
        """Record that the run reached the end of its input."""
        self.put("state", "finished")
        self.put("finished", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
