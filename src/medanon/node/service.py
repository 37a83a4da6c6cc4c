"""``serve``: wire queue, ledger, receiver and delivery together, and run until stopped.

Library code: nothing is printed, no signal is caught; the CLI passes an event that
it sets on SIGTERM or Ctrl-C. On start, what an earlier session left in the queue is
recovered and reported; on stop, no new association is accepted, the associations in
progress are given a moment to finish, the instance in hand is finished, and the queue
is kept for the next start.
"""

from __future__ import annotations

import fcntl
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from pynetdicom.transport import ThreadedAssociationServer

from medanon.custody.keys import SecretKey
from medanon.dicom.tempfiles import remove_stale_temporaries
from medanon.errors import ConfigurationError
from medanon.events import EventHub, HandlerBinding, withhold_rule
from medanon.node.audit import ServeAudit
from medanon.node.deliver import Deliverer, Progress
from medanon.node.forward import Forwarder
from medanon.node.ledger import FINAL_STATES, Ledger, State
from medanon.node.queue import InstanceQueue
from medanon.node.receive import Receiver, build_acceptor
from medanon.node.settings import ServeSettings
from medanon.profile.recipe import Recipe
from medanon.profile.ruleset import build_ruleset
from medanon.runner.context import RunContext

LOGGER = logging.getLogger("medanon.serve")
OUTBOX = "outbox"
LOCK_NAME = "serve.lock"
DRAIN_SECONDS = 10.0


def refuse_collection_privacy(recipe: Recipe) -> None:
    """Collection-level privacy plans over the whole collection first: serve never has it."""
    if recipe.privacy is not None:
        raise ConfigurationError(
            "the recipe has a [privacy] section: collection-level privacy needs every "
            "instance of the collection before the first one is written, which a network "
            "node never has; collect the studies in an archive and medanon run its export "
            "with this recipe, or serve with a recipe without [privacy]")


def summary_line(ledger: Ledger, progress: Progress) -> str:
    """The periodic summary: counts only."""
    counts = ledger.counts()
    return (f"summary: received {counts['received']} ({counts['duplicates']} duplicates), "
            f"de-identified {progress.deidentified} this session, forwarded "
            f"{counts[State.FORWARDED]}, written {counts[State.WRITTEN]}, queued "
            f"{counts[State.PENDING]}, quarantined {counts[State.QUARANTINED]}")


def forget_stale_outputs(ledger: Ledger, outbox: Path, settings: str) -> int:
    """After a change of recipe or key: what waits in the outbox is de-identified again.

    Those files were made with the earlier settings; sending them would give the
    destination instances the current recipe and key never made. Returns how many.
    """
    previous = ledger.swap_setting("recipe_and_key", settings)
    if previous is None or previous == settings:
        return 0
    stale = ledger.due_to_send(-1, math.inf)
    for name, output in stale:
        (outbox / output).unlink(missing_ok=True)
        ledger.unready(name)
    return len(stale)


def recover(queue: InstanceQueue, ledger: Ledger) -> str:
    """Reconcile the queue folder and the ledger after a stop; describe what is queued."""
    names = list(queue.names())
    adopted = ledger.adopt(names)
    finished = 0
    for name in names:
        if ledger.state_of(name) in FINAL_STATES:
            queue.remove(name)  # its fate was recorded just before the stop
            finished += 1
    for entry in ledger.entries([State.PENDING]):
        queue.unquarantine(entry.name)
    ledger.retry_now()
    pending = ledger.counts()[State.PENDING]
    line = f"queue: {pending} instances waiting from an earlier session"
    if adopted:
        line += f" ({adopted} recovered from the queue folder)"
    return line if pending or adopted or finished else "queue: empty"


def lock_state_folder(state: Path) -> int:
    """Hold the state folder for this process: two nodes on one queue would send twice.

    Returns the descriptor that holds the lock (closing it releases the lock; so does the
    end of the process, however it ends).
    """
    state.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(state / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(descriptor)
        raise ConfigurationError("another medanon serve is using this state folder "
                                 "(--queue); stop it first, or give another one") from None
    return descriptor


class Service:
    """A running ``medanon serve``: start it, then :meth:`stop` it (or use ``run``)."""

    def __init__(self, settings: ServeSettings, recipe: Recipe, key: SecretKey, *,
                 handlers: Iterable[HandlerBinding] = ()) -> None:
        refuse_collection_privacy(recipe)
        self.settings = settings
        state = settings.state_dir
        self._lock = lock_state_folder(state)
        self.queue = InstanceQueue(state, settings.reserve_bytes)
        self.ledger = Ledger(state)
        self.audit = ServeAudit(state)
        self.events = EventHub(handlers)
        self.audit.bind(self.events)  # essential: run before the caller's handlers
        self._recipe, self._key_fingerprint = recipe, key.fingerprint
        self.progress = Progress()
        out = settings.out if settings.out is not None else state / OUTBOX
        out.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(out)
        # Under --out each file is flushed before the ledger says written; the outbox is
        # a cache of the queue (a file lost there is de-identified again), so not flushed.
        self.context = RunContext(src_root=self.queue.root, dst_root=out,
                                  ruleset=build_ruleset(recipe), key=key,
                                  durable=settings.out is not None, digests=True,
                                  withhold=withhold_rule(self.events, workers=1))
        stale = forget_stale_outputs(self.ledger, state / OUTBOX,
                                     f"{recipe.fingerprint()}:{key.fingerprint}")
        if stale:
            LOGGER.warning("the recipe or key changed: %d instances waiting to be sent are "
                           "de-identified again", stale)
        destination = settings.forward
        forwarders = ([Forwarder(settings.ae_title, destination)
                       for _number in range(settings.associations)]
                      if destination is not None else [])
        self.deliverer = Deliverer(self.context, self.queue, self.ledger, self.audit,
                                   forwarders,
                                   max_backoff=settings.max_backoff, progress=self.progress,
                                   events=self.events)
        self._receiver = Receiver(key, self.queue, self.ledger, self.events,
                                  self.deliverer.wake)
        self._ae = build_acceptor(settings)
        self._server: ThreadedAssociationServer | None = None

    def start(self) -> None:
        """Recover the queue, start delivering, then listen."""
        LOGGER.info(recover(self.queue, self.ledger))
        self.audit.start(self._facts())
        self.deliverer.start()
        try:
            self._server = self._ae.start_server(
                (self.settings.host, self.settings.port), block=False,
                evt_handlers=self._receiver.handlers())
        except OSError as exc:
            self.deliverer.stop()
            self.audit.finish(self.ledger.counts())
            self.ledger.close()
            os.close(self._lock)
            raise ConfigurationError(f"cannot listen on {self.settings.host}:"
                                     f"{self.settings.port} ({exc.strerror or exc})") from None
        where = (f"forwarding to {self.settings.forward.describe()}"
                 if self.settings.forward else "writing under --out")
        allowed = ", ".join(self.settings.allow) if self.settings.allow else "loopback peers"
        LOGGER.info("listening as %s on %s:%d, %s; accepting %s", self.settings.ae_title,
                    self.settings.host, self.settings.port, where, allowed)

    def _facts(self) -> dict[str, object]:
        """The settings the audit log's start entry records (fingerprints, no secret)."""
        settings = self.settings
        return {"ae_title": settings.ae_title, "port": settings.port,
                "forward": settings.forward.describe() if settings.forward else None,
                "out": str(settings.out) if settings.out else None,
                "allow": list(settings.allow),
                "recipe_fingerprint": self._recipe.fingerprint(),
                "recipe": self._recipe.canonical(), "key_fingerprint": self._key_fingerprint}

    def stop(self) -> None:
        """Stop listening, let associations in progress end, finish the instance in hand."""
        if self._server is not None:
            self._server.shutdown()  # no new association; those open go on
            self._server = None
        deadline = time.monotonic() + DRAIN_SECONDS
        while self._ae.active_associations and time.monotonic() < deadline:
            time.sleep(0.05)
        self._ae.shutdown()  # aborts what is still open: its sender got no Success for it
        self.deliverer.stop()
        self.audit.finish(self.ledger.counts())
        LOGGER.info(summary_line(self.ledger, self.progress))
        LOGGER.info("stopped; %d instances stay queued", self.ledger.counts()[State.PENDING])
        self.ledger.close()
        os.close(self._lock)

    def run(self, stop: threading.Event,
            on_ready: Callable[[], None] | None = None) -> None:
        """Start, log a summary every ``summary_every`` seconds until ``stop`` is set, stop."""
        self.start()
        if on_ready is not None:
            on_ready()
        try:
            while not stop.wait(self.settings.summary_every):
                LOGGER.info(summary_line(self.ledger, self.progress))
                self.audit.sync()
        finally:
            self.stop()


def state_dir_default() -> Path:
    """Where the serve state lives unless ``--queue`` says otherwise."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "medanon" / "serve"
