"""Forward de-identified files to the destination by C-STORE, over one kept association.

The association is opened with the presentation contexts the files at hand need (their
SOP class, in the transfer syntax they are written in) and kept while the next files
need nothing new. The files are sent as written, byte for byte (pynetdicom streams the
data set from the file; nothing is decoded or re-encoded on the way out).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydicom.filereader import read_file_meta_info
from pynetdicom import AE, _config
from pynetdicom.association import Association

from medanon.node.settings import Destination
from medanon.node.statuses import Delivery, classify, describe

LOGGER = logging.getLogger("medanon.serve")
#: PS3.8: at most 128 presentation contexts in one association request.
MAX_CONTEXTS = 128
NO_RESPONSE = "no response from the destination (the association was lost)"
REFUSED_CONTEXT = "the destination does not accept this SOP class in this transfer syntax"


@dataclass(frozen=True)
class Outgoing:
    """A de-identified file ready to send, with what its presentation context needs."""

    name: str
    path: Path
    sop_class: str
    transfer_syntax: str

    @classmethod
    def from_file(cls, name: str, path: Path) -> Outgoing:
        """Read the file meta of a file medanon wrote (always present, always complete)."""
        meta = read_file_meta_info(path)
        return cls(name, path, str(meta.MediaStorageSOPClassUID), str(meta.TransferSyntaxUID))

    @property
    def context(self) -> tuple[str, str]:
        """The (SOP class, transfer syntax) pair this file is sent in."""
        return self.sop_class, self.transfer_syntax


@dataclass(frozen=True)
class Sent:
    """What the destination made of one file."""

    delivery: Delivery
    reason: str | None = None


class DestinationDown(Exception):
    """No association could be made: nothing was sent; try again later."""


class Forwarder:
    """One requestor AE, one association at a time, reopened when it is lost."""

    def __init__(self, calling_ae: str, destination: Destination, *,
                 timeout: float = 30.0) -> None:
        _config.STORE_SEND_CHUNKED_DATASET = True  # stream files as written
        self.destination = destination
        self._ae = AE(ae_title=calling_ae)
        self._ae.acse_timeout = timeout
        self._ae.dimse_timeout = timeout
        self._ae.network_timeout = timeout
        self._ae.connection_timeout = min(timeout, 5.0)
        self._assoc: Association | None = None
        self._contexts: frozenset[tuple[str, str]] = frozenset()

    def close(self) -> None:
        """Release the association, if one is open."""
        if self._assoc is not None and self._assoc.is_established:
            self._assoc.release()
            if self._assoc.is_established:  # the peer did not answer the release
                self._assoc.abort()
        self._assoc = None

    def send(self, files: Sequence[Outgoing]) -> dict[str, Sent]:
        """Send each file; return what became of it, by name.

        Stops at the first lost response (the association is gone): the files after it
        are left out of the result and stay pending, to be sent again at once.

        Raises
        ------
        DestinationDown
            When no association could be made at all.
        """
        needed = frozenset(item.context for item in files)
        if len(needed) > MAX_CONTEXTS:
            raise ValueError("a batch needs more presentation contexts than one association")
        assoc = self._association(needed)
        accepted = {(str(cx.abstract_syntax), str(cx.transfer_syntax[0]))
                    for cx in assoc.accepted_contexts}
        results: dict[str, Sent] = {}
        for item in files:
            if item.context not in accepted:
                results[item.name] = Sent(Delivery.PERMANENT, REFUSED_CONTEXT)
                continue
            response = assoc.send_c_store(item.path)
            status = int(response.Status) if "Status" in response else None
            delivery = classify(status)
            if status is None:
                LOGGER.warning("forward: no response from %s; the association is reopened",
                               self.destination.describe())
                results[item.name] = Sent(Delivery.TRANSIENT, NO_RESPONSE)
                self.close()
                break
            results[item.name] = Sent(delivery, None if delivery is Delivery.CONFIRMED
                                      else describe(status))
        return results

    def _association(self, needed: frozenset[tuple[str, str]]) -> Association:
        """The open association if it covers ``needed``, else a new one that does."""
        if self._assoc is not None and self._assoc.is_established and needed <= self._contexts:
            return self._assoc
        self.close()
        wanted = needed | self._contexts
        if len(wanted) > MAX_CONTEXTS:
            wanted = needed
        self._ae.requested_contexts = []
        for sop_class, syntax in sorted(wanted):
            self._ae.add_requested_context(sop_class, syntax)
        target = self.destination
        assoc = self._ae.associate(target.host, target.port, ae_title=target.ae_title)
        if not assoc.is_established:
            raise DestinationDown(f"no association with {target.describe()}")
        self._assoc, self._contexts = assoc, wanted
        return assoc
