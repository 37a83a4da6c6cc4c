"""What happened to one input file: the unit every runner reports and every report counts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from medanon.dicom.review import ReviewItem
from medanon.pixels.record import PixelRecord


class Status(StrEnum):
    """The fate of one input file."""

    WRITTEN = "written"
    DUPLICATE = "duplicate"  # its output was already there, byte for byte
    WITHHELD = "withheld"  # DICOM, but it could not be fully de-identified: needs review
    FAILED = "failed"  # not DICOM, truncated, unreadable
    EXCLUDED = "excluded"  # a DICOMDIR: a media index, rebuilt by whoever publishes the output


@dataclass(frozen=True)
class FileOutcome:
    """One input file's result, naming it only by the keyed hash of its relative path."""

    source_id: str
    status: Status
    reason: str | None = None
    output: str | None = None
    bytes_in: int = 0
    bytes_out: int = 0
    review: tuple[ReviewItem, ...] = ()
    # One label ("(gggg,eeee) Keyword", never a value) per value the safety net cleaned.
    net_hits: tuple[str, ...] = ()
    # What the burned-in text step did to the written file (coordinates only), if it ran.
    pixels: PixelRecord | None = None
    # Set when this input's output replaced a different file of the same name: the digest
    # that decided the clash (the smaller wins), so the coordinator can settle who owns it.
    clash_digest: str | None = None
    # Filled in only when the run keeps an audit log (RunContext.digests): SHA-256 of the
    # input's bytes and of the output written, and how many values each kind of action
    # touched, so the log can prove which input became which output.
    input_sha256: str | None = None
    output_sha256: str | None = None
    actions: tuple[tuple[str, int], ...] = ()
    # The crosswalk's records of this file, sealed in the worker: (tag, sealed line).
    sealed: tuple[tuple[str, str], ...] = ()
