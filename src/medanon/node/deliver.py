"""The delivery loop: each queued instance through ``process_file``, then to its sink.

One thread takes the pending instances from the ledger, oldest first, de-identifies each
with the same ``process_file`` and :class:`RunContext` a folder run uses (the queued
file is an input file like any other), and either keeps the result under ``--out`` or
forwards it. An instance leaves the queue only when its fate is final: written and
flushed, confirmed by the destination, or quarantined with the reason.

At least once, and once in the archive: an instance is recorded forwarded only after the
destination's Success. Were medanon killed between that Success and the ledger's commit
(a window of one SQLite write), the next start sends it again, with the same bytes and
SOP Instance UID; a storage SCP keeps one instance per SOP Instance UID (Orthanc does).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from medanon.events import (
    EVT_FILE_DONE,
    EVT_FILE_FAILED,
    EVT_FILE_WITHHELD,
    EVT_INSTANCE_FORWARDED,
    EVT_INSTANCE_QUARANTINED,
    EventHub,
)
from medanon.node.audit import ServeAudit
from medanon.node.forward import DestinationDown, Forwarder, Outgoing
from medanon.node.ledger import Ledger, State
from medanon.node.queue import InstanceQueue, fsync_folder
from medanon.node.statuses import Delivery
from medanon.runner.outcome import FileOutcome, Status
from medanon.runner.process import RunContext, process_file

LOGGER = logging.getLogger("medanon.serve")
BATCH = 32
FIRST_BACKOFF = 0.5
MIN_WAIT = 0.02
#: Folder levels between an output file and the output root (patient/study/series).
OUTPUT_DEPTH = 3


def backoff(attempts: int, ceiling: float) -> float:
    """Seconds to wait before attempt ``attempts + 1``: doubling, up to ``ceiling``."""
    return float(min(ceiling, FIRST_BACKOFF * 2 ** min(attempts, 30)))


@dataclass
class Progress:
    """What this session did, for the periodic summary (counts only)."""

    deidentified: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count_deidentified(self) -> None:
        """One more instance went through the core and was written."""
        with self.lock:
            self.deidentified += 1


@dataclass
class _Link:
    """One sending loop's association, and how long its destination has been down."""

    forwarder: Forwarder
    down_since: float | None = None
    down_attempts: int = 0


class Deliverer:
    """Drains the queue into ``--out`` or the destination, until asked to stop.

    Two loops over the ledger, each in its thread: one de-identifies what is pending into
    ``--out`` (done) or the outbox (then marked ready), the other sends what is ready. A
    destination that is down holds up the sending only: de-identification goes on, and
    what must be quarantined is quarantined at once.
    """

    def __init__(self, ctx: RunContext, queue: InstanceQueue, ledger: Ledger,
                 audit: ServeAudit, forwarders: Sequence[Forwarder] = (), *,
                 max_backoff: float, progress: Progress, events: EventHub) -> None:
        self._ctx = ctx
        self._audit = audit  # its entries come from ``events``; here only to flush it
        self._events = events
        self._queue = queue
        self._ledger = ledger
        self._links = [_Link(forwarder) for forwarder in forwarders]
        # Instances a sending loop has taken: the other loops leave them alone.
        self._claimed: set[str] = set()
        self._claim_lock = threading.Lock()
        self._max_backoff = max_backoff
        self._progress = progress
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._ready = threading.Event()
        self._threads = [threading.Thread(target=self._process_loop, name="medanon-deidentify",
                                          daemon=True)]
        for number, link in enumerate(self._links):
            self._threads.append(threading.Thread(target=self._send_loop, args=(link,),
                                                  name=f"medanon-forward-{number}", daemon=True))

    def start(self) -> None:
        """Start the delivery threads."""
        for thread in self._threads:
            thread.start()

    def wake(self) -> None:
        """Say a new instance is queued (called by the receiving threads)."""
        self._wake.set()

    def stop(self, timeout: float = 60.0) -> None:
        """Finish the instance in hand, then stop; what is left stays queued."""
        self._stop.set()
        self._wake.set()
        self._ready.set()
        for thread in self._threads:
            thread.join(timeout)
        for link in self._links:
            link.forwarder.close()

    def _process_loop(self) -> None:
        while not self._stop.is_set():
            names = self._ledger.due(BATCH)
            if not names:
                _wait(self._wake, self._ledger.next_due(to_send=False))
                continue
            for name in names:
                if self._stop.is_set():
                    break
                try:
                    self._prepare(name)
                except Exception as exc:  # one instance must not hold up the queue behind it
                    self._postpone(name, f"unexpected {type(exc).__name__} while "
                                         "de-identifying")
                    LOGGER.error("deliver: unexpected %s on %s; retried later",
                                 type(exc).__name__, name[:16])
            self._ready.set()

    def _send_loop(self, link: _Link) -> None:
        forwarder = link.forwarder
        while not self._stop.is_set():
            batch = self._claim()
            if not batch:
                forwarder.close()  # nothing to send: no idle association kept
                _wait(self._ready, self._ledger.next_due(to_send=True))
                continue
            try:
                self._forward(link, batch)
            except DestinationDown as exc:
                self._destination_down(link, str(exc))
            except Exception as exc:  # a failure of the association: every file waits
                forwarder.close()
                for item in batch:
                    self._postpone(item.name, f"unexpected {type(exc).__name__} while sending")
                LOGGER.error("forward: unexpected %s; the batch is retried later",
                             type(exc).__name__)
            finally:
                with self._claim_lock:
                    self._claimed.difference_update(item.name for item in batch)

    def _claim(self) -> list[Outgoing]:
        """Take up to a batch of what is ready and due, that no other loop has taken."""
        with self._claim_lock:
            due = self._ledger.due_to_send(BATCH + len(self._claimed))
            chosen = [(name, output) for name, output in due if name not in self._claimed]
            chosen = chosen[:BATCH]
            self._claimed.update(name for name, _output in chosen)
        batch = []
        for name, output in chosen:
            item = self._outgoing(name, output)
            if item is not None:
                batch.append(item)
            else:
                with self._claim_lock:
                    self._claimed.discard(name)
        return batch

    def _outgoing(self, name: str, output: str) -> Outgoing | None:
        """The outbox file of an instance, or None (then it is de-identified again)."""
        try:
            return Outgoing.from_file(name, self._ctx.dst_root / output)
        except OSError:  # the outbox is a cache of the queue: rebuilt when a file is gone
            self._ledger.unready(name)
            self._wake.set()
            return None

    def _prepare(self, name: str) -> None:
        """De-identify one instance: written (``--out``), quarantined, or ready to send."""
        outcome = self._process(name)
        if outcome is None:
            return
        if outcome.status not in (Status.WRITTEN, Status.DUPLICATE) or outcome.output is None:
            self._quarantine(name, outcome.reason or outcome.status.value)
            return
        self._progress.count_deidentified()
        if self._links:
            self._ledger.mark_ready(name, outcome.output)
            return
        _fsync_output(self._ctx.dst_root / outcome.output, self._ctx.dst_root)
        self._ledger.finish(name, State.WRITTEN, output=outcome.output)
        self._queue.remove(name)

    def _process(self, name: str) -> FileOutcome | None:
        """``process_file`` on the queued file; None when it must wait (output disk)."""
        path = self._queue.path_of(name)
        if not path.exists():
            self._ledger.finish(name, State.QUARANTINED, "the queued file is missing")
            return None
        try:
            outcome = process_file(path, self._ctx)
        except OSError as exc:
            self._postpone(name, f"cannot write the output ({exc.strerror or exc})")
            return None
        self._events.notify(EVT_FILE_DONE, outcome=outcome, instance=name)
        if outcome.status is Status.FAILED:
            self._events.notify(EVT_FILE_FAILED, outcome=outcome, instance=name)
        elif outcome.status is Status.WITHHELD:
            self._events.notify(EVT_FILE_WITHHELD, outcome=outcome, instance=name)
        return outcome

    def _forward(self, link: _Link, ready: list[Outgoing]) -> None:
        results = link.forwarder.send(ready)
        if link.down_since is not None:
            LOGGER.info("forward: %s reachable again after %.0f s",
                        link.forwarder.destination.describe(), time.time() - link.down_since)
            link.down_since, link.down_attempts = None, 0
        for item in ready:
            sent = results.get(item.name)
            if sent is None:
                continue  # after a lost association: sent again with the next batch
            if sent.delivery is Delivery.CONFIRMED:
                output = item.path.relative_to(self._ctx.dst_root).as_posix()
                self._ledger.finish(item.name, State.FORWARDED, output=output)
                self._queue.remove(item.name)
                self._events.notify(EVT_INSTANCE_FORWARDED, instance=item.name, output=output,
                                    destination=link.forwarder.destination.describe())
            elif sent.delivery is Delivery.TRANSIENT:
                self._postpone(item.name, sent.reason or "transient failure")
            else:
                self._quarantine(item.name, sent.reason or "refused by the destination")
            if sent.delivery is not Delivery.TRANSIENT:
                _remove_with_empty_parents(item.path, self._ctx.dst_root)
        self._audit.sync()

    def _postpone(self, name: str, reason: str) -> None:
        self._ledger.postpone(name, lambda attempts: backoff(attempts, self._max_backoff),
                              reason)

    def _quarantine(self, name: str, reason: str) -> None:
        self._queue.quarantine(name)
        self._ledger.finish(name, State.QUARANTINED, reason)
        self._events.notify(EVT_INSTANCE_QUARANTINED, instance=name, reason=reason)
        LOGGER.info("quarantined %s: %s", name[:16], reason)

    def _destination_down(self, link: _Link, reason: str) -> None:
        delay = backoff(link.down_attempts, self._max_backoff)
        if link.down_since is None:
            link.down_since = time.time()
            LOGGER.warning("forward: %s; retrying with back-off (the queue keeps everything)",
                           reason)
        link.down_attempts += 1
        self._stop.wait(delay)


def _wait(event: threading.Event, due: float | None) -> None:
    """Sleep until ``event`` is set, the next retry is due, or a second has passed.

    At least a few milliseconds: what is due may be taken by another sending loop.
    """
    delay = 1.0 if due is None else max(MIN_WAIT, min(1.0, due - time.time()))
    event.wait(delay)
    event.clear()


def _fsync_output(path: Path, root: Path) -> None:
    """Make a written output durable: the file is (``durable``), then its folders' names."""
    folder = path.parent
    for _level in range(OUTPUT_DEPTH):
        fsync_folder(folder)
        if folder == root:
            break
        folder = folder.parent


def _remove_with_empty_parents(path: Path, root: Path) -> None:
    """Drop a sent file from the outbox, and the folders it leaves empty."""
    path.unlink(missing_ok=True)
    folder = path.parent
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            break
        folder = folder.parent



