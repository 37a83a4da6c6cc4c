"""The node's audit log: the same hash chain as ``medanon run``'s, in the serve state folder.

One entry when a session starts (who, version, recipe and key fingerprints, where to),
one per received instance, one per de-identification (as a run's ``file`` entry: status,
reason, output, digests, actions), one per forwarded or quarantined instance, and one when
the session ends. Instances are named by the keyed hash of their SOP Instance UID, outputs
by their pseudonymous path: nothing personal. Entries reach the file as they happen (a
killed process loses none); they are flushed to disk when a batch is forwarded, at every
summary and at the end, so a power cut can lose the last few.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from medanon._version import __version__
from medanon.custody.chain import ChainWriter
from medanon.custody.recorder import AUDIT_NAME, file_entry, now, who
from medanon.events import (
    EVT_FILE_DONE,
    EVT_INSTANCE_FORWARDED,
    EVT_INSTANCE_QUARANTINED,
    EVT_INSTANCE_RECEIVED,
    Event,
    EventHub,
)
from medanon.runner.outcome import FileOutcome


class ServeAudit:
    """Appends the node's entries; every thread of the node writes through one lock.

    The entries come from the node's events (:meth:`bind`): the same EVT_FILE_DONE, and
    the same entry (:func:`~medanon.custody.recorder.file_entry`), as a folder run's.
    """

    def __init__(self, state_dir: Path) -> None:
        self._writer = ChainWriter(state_dir / AUDIT_NAME)
        self._lock = threading.Lock()
        if self._writer.dropped_tail:
            self._append({"kind": "recovered", "dropped_bytes": self._writer.dropped_tail,
                          "why": "a half-written last entry of an interrupted session"})

    @property
    def path(self) -> Path:
        """Where the log is."""
        return self._writer.path

    def bind(self, hub: EventHub) -> None:
        """Bind the log's handlers, essential: an entry that cannot be written is an error."""
        hub.bind(EVT_INSTANCE_RECEIVED, self._on_received, essential=True)
        hub.bind(EVT_FILE_DONE, self._on_file_done, essential=True)
        hub.bind(EVT_INSTANCE_FORWARDED, self._on_forwarded, essential=True)
        hub.bind(EVT_INSTANCE_QUARANTINED, self._on_quarantined, essential=True)

    def _on_received(self, event: Event) -> None:
        assert event.instance is not None
        self.received(event.instance, duplicate=event.duplicate)

    def _on_file_done(self, event: Event) -> None:
        assert event.instance is not None and event.outcome is not None
        self.deidentified(event.instance, event.outcome)

    def _on_forwarded(self, event: Event) -> None:
        assert event.instance is not None and event.destination is not None
        assert event.output is not None
        self.forwarded(event.instance, event.destination, event.output)

    def _on_quarantined(self, event: Event) -> None:
        assert event.instance is not None and event.reason is not None
        self.quarantined(event.instance, event.reason)

    def start(self, facts: dict[str, Any]) -> None:
        """The session's first entry: who runs it, with which settings (fingerprints)."""
        self._append({"kind": "serve-start", **who(), "medanon_version": __version__,
                      **facts})
        self.sync()

    def received(self, name: str, *, duplicate: bool = False) -> None:
        """An instance was queued durably (before its Success was sent).

        ``duplicate``: a second copy of one already received (acknowledged, not queued).
        """
        self._append({"kind": "received", "instance": name, "duplicate": duplicate})

    def deidentified(self, name: str, outcome: FileOutcome) -> None:
        """What ``process_file`` made of a queued instance, as a run records a file."""
        self._append(file_entry(outcome, name))

    def forwarded(self, name: str, destination: str, output: str) -> None:
        """The destination confirmed an instance."""
        self._append({"kind": "forwarded", "instance": name, "destination": destination,
                      "output": output})

    def quarantined(self, name: str, reason: str) -> None:
        """An instance was kept back, with the reason."""
        self._append({"kind": "quarantined", "instance": name, "reason": reason})

    def sync(self) -> None:
        """Flush what was written so far to disk."""
        with self._lock:
            self._writer.sync()

    def finish(self, counts: dict[str, int]) -> None:
        """The session's last entry, with the ledger's counts; then close the log."""
        self._append({"kind": "serve-end", "state": "stopped", "counts": counts})
        with self._lock:
            self._writer.close()

    def _append(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._writer.append({**entry, "time": now()})
