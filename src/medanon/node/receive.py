"""The receiving side: an SCP answering C-ECHO and C-STORE, queueing what it is sent.

A C-STORE answers Success only once the instance is durable in the queue and recorded
in the ledger; a full disk (or one below the reserve) answers Out of Resources, so the
sender keeps its copy. A second copy of an instance already received is answered
Success and dropped: it is neither queued nor forwarded again. Each association ends
with one log line of counts; no value from any data set is ever logged.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass

from pydicom import uid as uids
from pynetdicom import AE, AllStoragePresentationContexts, evt
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

from medanon.custody.keys import SecretKey
from medanon.events import EVT_INSTANCE_RECEIVED, EventHub
from medanon.node.ledger import Ledger
from medanon.node.queue import InstanceQueue, OutOfSpace
from medanon.node.settings import ServeSettings
from medanon.node.statuses import (
    CANNOT_UNDERSTAND,
    OUT_OF_RESOURCES,
    OUT_OF_RESOURCES_RESERVE,
    SUCCESS,
)

LOGGER = logging.getLogger("medanon.serve")
#: Offered for every storage SOP class: without a compressed syntax in this list, a
#: modality that proposes only (say) JPEG baseline would find its context refused.
TRANSFER_SYNTAXES = (
    uids.ExplicitVRLittleEndian, uids.ImplicitVRLittleEndian, uids.ExplicitVRBigEndian,
    uids.DeflatedExplicitVRLittleEndian,
    uids.JPEGBaseline8Bit, uids.JPEGExtended12Bit, uids.JPEGLossless, uids.JPEGLosslessSV1,
    uids.JPEGLSLossless, uids.JPEGLSNearLossless,
    uids.JPEG2000Lossless, uids.JPEG2000,
    uids.RLELossless,
)
TIMEOUT = 30.0


def instance_name(key: SecretKey, sop_instance_uid: str) -> str:
    """The keyed hash that names a received instance in the queue, ledger and logs."""
    return key.digest("serve-instance", sop_instance_uid.strip()).hex()[:32]


@dataclass
class _AssociationCounts:
    calling_ae: str
    address: str
    stored: int = 0
    duplicates: int = 0
    refused: int = 0


class Receiver:
    """The event handlers of the SCP, bound as data to :func:`build_acceptor`'s AE."""

    def __init__(self, key: SecretKey, queue: InstanceQueue, ledger: Ledger,
                 events: EventHub, on_queued: Callable[[], None]) -> None:
        self._key = key
        self._events = events
        self._queue = queue
        self._ledger = ledger
        self._on_queued = on_queued
        # One receipt at a time: a second copy of an instance arriving on another
        # association must see the first one either absent or durable and recorded.
        self._receipt = threading.Lock()
        self._counts: dict[int, _AssociationCounts] = {}
        self._counts_lock = threading.Lock()

    def handlers(self) -> list[evt.EventHandlerType]:
        """The (event, handler) pairs to bind."""
        return [(evt.EVT_C_STORE, self.on_store), (evt.EVT_C_ECHO, self.on_echo),
                (evt.EVT_ACCEPTED, self.on_accepted), (evt.EVT_REJECTED, self.on_rejected),
                (evt.EVT_RELEASED, self.on_ended), (evt.EVT_ABORTED, self.on_ended)]

    def on_echo(self, event: evt.Event) -> int:
        """C-ECHO: the service is up."""
        return SUCCESS

    def on_store(self, event: evt.Event) -> int:
        """C-STORE: queue durably, record, then answer (never Success before that)."""
        counts = self._association(event)
        uid = str(getattr(event.request, "AffectedSOPInstanceUID", "") or "")
        if not uid.strip():
            counts.refused += 1
            return CANNOT_UNDERSTAND
        name = instance_name(self._key, uid)
        with self._receipt:
            if self._ledger.state_of(name) is not None:
                with contextlib.suppress(sqlite3.Error):  # only the copy count is lost
                    self._ledger.receive(name)
                counts.duplicates += 1
                self._audit_received(name, duplicate=True)
                return SUCCESS
            try:
                self._queue.put(name, event.encoded_dataset())
            except OutOfSpace:
                counts.refused += 1
                LOGGER.warning("receive: the queue's disk is below its reserve; answering "
                               "Out of Resources")
                return OUT_OF_RESOURCES_RESERVE
            except OSError as exc:
                counts.refused += 1
                LOGGER.warning("receive: cannot write to the queue (%s); answering Out of "
                               "Resources", exc.strerror or type(exc).__name__)
                return OUT_OF_RESOURCES
            try:
                self._ledger.receive(name)
            except sqlite3.Error:
                # Queued but not recorded: the next start adopts the file; the sender,
                # told Out of Resources, sends it again and finds it received.
                counts.refused += 1
                LOGGER.warning("receive: cannot record in the ledger; answering Out of "
                               "Resources")
                return OUT_OF_RESOURCES
        counts.stored += 1
        self._audit_received(name, duplicate=False)
        self._on_queued()
        return SUCCESS

    def _audit_received(self, name: str, *, duplicate: bool) -> None:
        try:
            self._events.notify(EVT_INSTANCE_RECEIVED, instance=name, duplicate=duplicate)
        except OSError as exc:  # the instance is safe; only its audit entry is missing
            LOGGER.warning("audit: cannot write the entry of a received instance (%s)",
                           exc.strerror or type(exc).__name__)

    def on_accepted(self, event: evt.Event) -> None:
        """Start counting for a new association."""
        self._association(event)

    def on_rejected(self, event: evt.Event) -> None:
        """Log a refused association (its calling AE title is not on the allow-list)."""
        requestor = event.assoc.requestor
        LOGGER.info("association from AE %r at %s rejected: calling AE title not on the "
                    "allow-list", requestor.ae_title, requestor.address)

    def on_ended(self, event: evt.Event) -> None:
        """One log line per association, with its counts."""
        with self._counts_lock:
            counts = self._counts.pop(id(event.assoc), None)
        if counts is None:
            return
        how = "released" if event.event is evt.EVT_RELEASED else "aborted"
        LOGGER.info("association from AE %r at %s %s: %d stored, %d duplicates, %d refused",
                    counts.calling_ae, counts.address, how, counts.stored,
                    counts.duplicates, counts.refused)

    def _association(self, event: evt.Event) -> _AssociationCounts:
        with self._counts_lock:
            counts = self._counts.get(id(event.assoc))
            if counts is None:
                requestor = event.assoc.requestor
                counts = _AssociationCounts(requestor.ae_title, requestor.address)
                self._counts[id(event.assoc)] = counts
            return counts


def build_acceptor(settings: ServeSettings) -> AE:
    """The AE that listens: every storage SOP class in the common transfer syntaxes."""
    ae = AE(ae_title=settings.ae_title)
    for context in AllStoragePresentationContexts:
        if context.abstract_syntax is not None:
            ae.add_supported_context(context.abstract_syntax, list(TRANSFER_SYNTAXES))
    ae.add_supported_context(Verification)
    ae.require_calling_aet = list(settings.allow)
    ae.maximum_associations = 16
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    return ae
