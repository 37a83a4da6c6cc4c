"""The ledger: the one state every received SOP Instance UID ends in (SQLite).

States: ``pending`` (queued, perhaps waiting for a retry), ``forwarded`` (the
destination confirmed it), ``written`` (under ``--out``), ``quarantined`` (with its
reason). Instances are named by the keyed hash of their SOP Instance UID, never by the
UID itself. The queue folder is the truth for what is pending: a file there that the
ledger does not know (the service stopped between the two) is recorded on start.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

LEDGER_NAME = "ledger.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    name TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    reason TEXT,
    received INTEGER NOT NULL DEFAULT 1,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try REAL NOT NULL DEFAULT 0,
    output TEXT,
    received_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS instances_due ON instances (state, next_try);
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class State(StrEnum):
    """Where one received instance stands."""

    PENDING = "pending"
    FORWARDED = "forwarded"
    WRITTEN = "written"
    QUARANTINED = "quarantined"


FINAL_STATES = (State.FORWARDED, State.WRITTEN, State.QUARANTINED)


@dataclass(frozen=True)
class Entry:
    """One ledger row: what the status command lists."""

    name: str
    state: State
    reason: str | None
    received: int
    attempts: int


class Ledger:
    """The SQLite ledger, shared by the receiving threads and the delivery thread."""

    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(state_dir / LEDGER_NAME, check_same_thread=False,
                                   isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database (every change is already committed)."""
        with self._lock:
            self._db.close()

    def swap_setting(self, name: str, value: str) -> str | None:
        """Store a setting; return the value it had (None the first time)."""
        with self._lock:
            row = self._db.execute("SELECT value FROM settings WHERE name = ?",
                                   (name,)).fetchone()
            self._db.execute("INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)",
                             (name, value))
        return None if row is None else str(row[0])

    def receive(self, name: str) -> State | None:
        """Record a receipt; return the state it already had (a duplicate), or None if new."""
        now = time.time()
        with self._lock:
            row = self._db.execute("SELECT state FROM instances WHERE name = ?",
                                   (name,)).fetchone()
            if row is not None:
                self._db.execute("UPDATE instances SET received = received + 1, updated_at = ? "
                                 "WHERE name = ?", (now, name))
                return State(row[0])
            self._db.execute("INSERT INTO instances (name, state, received_at, updated_at) "
                             "VALUES (?, ?, ?, ?)", (name, State.PENDING, now, now))
            return None

    def adopt(self, names: Iterable[str]) -> int:
        """Record queued files the ledger does not know (written just before a stop)."""
        now = time.time()
        with self._lock:
            cursor = self._db.executemany(
                "INSERT OR IGNORE INTO instances (name, state, received_at, updated_at) "
                "VALUES (?, ?, ?, ?)", ((name, State.PENDING, now, now) for name in names))
            return cursor.rowcount

    def state_of(self, name: str) -> State | None:
        """The state of one instance, or None when it was never received."""
        with self._lock:
            row = self._db.execute("SELECT state FROM instances WHERE name = ?",
                                   (name,)).fetchone()
        return None if row is None else State(row[0])

    def due(self, limit: int, now: float | None = None) -> list[str]:
        """Pending instances not de-identified yet whose next attempt is due, oldest first."""
        moment = time.time() if now is None else now
        with self._lock:
            rows = self._db.execute(
                "SELECT name FROM instances WHERE state = ? AND output IS NULL "
                "AND next_try <= ? ORDER BY received_at, name LIMIT ?",
                (State.PENDING, moment, limit)).fetchall()
        return [row[0] for row in rows]

    def due_to_send(self, limit: int, now: float | None = None) -> list[tuple[str, str]]:
        """Pending instances de-identified into the outbox and due: (name, output path).

        ``limit=-1, now=math.inf``: every one of them, due or not.
        """
        moment = time.time() if now is None else now
        with self._lock:
            rows = self._db.execute(
                "SELECT name, output FROM instances WHERE state = ? AND output IS NOT NULL "
                "AND next_try <= ? ORDER BY received_at, name LIMIT ?",
                (State.PENDING, moment, limit)).fetchall()
        return [(row[0], row[1]) for row in rows]

    def mark_ready(self, name: str, output: str) -> None:
        """Record that a pending instance is de-identified at ``output``, waiting to be sent."""
        with self._lock:
            self._db.execute("UPDATE instances SET output = ?, updated_at = ? WHERE name = ? "
                             "AND state = ?", (output, time.time(), name, State.PENDING))

    def unready(self, name: str) -> None:
        """Forget an instance's de-identified output (it is gone): it is de-identified again."""
        with self._lock:
            self._db.execute("UPDATE instances SET output = NULL WHERE name = ? AND state = ?",
                             (name, State.PENDING))

    def next_due(self, *, to_send: bool) -> float | None:
        """When the next pending instance is due to be de-identified (or sent).

        None when no instance waits for that.
        """
        ready = "IS NOT NULL" if to_send else "IS NULL"
        with self._lock:
            row = self._db.execute(
                f"SELECT MIN(next_try) FROM instances WHERE state = ? AND output {ready}",  # noqa: S608
                (State.PENDING,)).fetchone()
        return None if row[0] is None else float(row[0])

    def finish(self, name: str, state: State, reason: str | None = None,
               output: str | None = None) -> None:
        """Record the final state of an instance."""
        with self._lock:
            self._db.execute("UPDATE instances SET state = ?, reason = ?, output = ?, "
                             "updated_at = ? WHERE name = ?",
                             (state, reason, output, time.time(), name))

    def postpone(self, name: str, delay: Callable[[int], float], reason: str) -> None:
        """Keep an instance pending; try again after ``delay(attempts so far)`` seconds."""
        now = time.time()
        with self._lock:
            row = self._db.execute("SELECT attempts FROM instances WHERE name = ?",
                                   (name,)).fetchone()
            attempts = 0 if row is None else int(row[0])
            self._db.execute("UPDATE instances SET attempts = ?, reason = ?, next_try = ?, "
                             "updated_at = ? WHERE name = ?",
                             (attempts + 1, reason, now + delay(attempts), now, name))

    def retry_now(self) -> None:
        """Make every pending instance due at once (a restart resumes without waiting)."""
        with self._lock:
            self._db.execute("UPDATE instances SET next_try = 0 WHERE state = ?",
                             (State.PENDING,))

    def counts(self) -> dict[str, int]:
        """How many instances are in each state, and how many copies were received."""
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*), SUM(received) FROM instances "
                                    "GROUP BY state").fetchall()
        counts = {state.value: 0 for state in State}
        received = 0
        for state, count, copies in rows:
            counts[state] = count
            received += copies
        counts["received"] = received
        counts["duplicates"] = received - sum(counts[state.value] for state in State)
        return counts

    def entries(self, states: Iterable[State]) -> list[Entry]:
        """The rows in the given states, for ``medanon serve status --json``."""
        wanted = [state.value for state in states]
        marks = ",".join("?" for _ in wanted)
        with self._lock:
            rows = self._db.execute(
                f"SELECT name, state, reason, received, attempts FROM instances "  # noqa: S608
                f"WHERE state IN ({marks}) ORDER BY received_at, name", wanted).fetchall()
        return [Entry(name, State(state), reason, received, attempts)
                for name, state, reason, received, attempts in rows]
