"""Process one file: read → transform → write. The unit of work of every runner.

``process_file`` never raises for a bad file: whatever goes wrong becomes a
:class:`FileOutcome` with a reason, and nothing reaches the output unless the whole
file was de-identified. Only errors of the run itself (the output disk is full or
read-only) propagate, because going on would fail every file the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

from medanon.custody.digests import action_counts, crosswalk_records, with_input_digest
from medanon.dicom import jpeg_segments
from medanon.dicom.pixel_steps import (
    clean_pixels_in_dataset,
    clean_segments_in_dataset,
    drop_offset_tables,
    pixel_value,
)
from medanon.dicom.quiet import quiet_pydicom
from medanon.dicom.read import SourceInstance, read_instance
from medanon.dicom.transform import Transformed, deidentify
from medanon.dicom.write import (
    Published,
    SourceReadError,
    file_digest,
    output_relpath,
    publish,
    write_temporary,
)
from medanon.errors import DeidentificationError, InputError
from medanon.runner.context import RunContext as RunContext  # re-exported: the unit of work
from medanon.runner.manifest import CLASH_REASON
from medanon.runner.outcome import FileOutcome, Status


def process_file(path: Path, ctx: RunContext, read_from: Path | None = None) -> FileOutcome:
    """De-identify one input file into ``ctx.dst_root``; report what happened.

    ``path`` names the input (its keyed hash identifies it); ``read_from`` is where its
    bytes are read, when a staging copy on fast storage stands in for a slow source.
    """
    with quiet_pydicom():
        outcome = _process(path, ctx, read_from or path)
    if ctx.digests:
        outcome = with_input_digest(outcome, read_from or path)
    return outcome


def _process(original: Path, ctx: RunContext, path: Path) -> FileOutcome:
    """Read, transform, write: what fails in each step says whose fault it is.

    Everything raised while reading the input makes it failed, and everything raised
    while de-identifying or encoding it makes it withheld, whatever the exception's type
    (pydicom raises OSError, NotImplementedError, MemoryError, ... for odd bytes). Only
    writing the output can raise, with OSError: a full or read-only disk would fail every
    file the same way, so the run stops there and can be resumed.
    """
    source_id = ctx.source_id(original)
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        return FileOutcome(source_id, Status.FAILED, f"cannot read the file ({exc.strerror})")
    try:
        instance = read_instance(path, accept_no_meta=ctx.accept_no_meta)
        is_dicomdir = instance.is_dicomdir  # the file meta's values are parsed on first use
    except InputError as exc:
        return FileOutcome(source_id, Status.FAILED, str(exc), bytes_in=size)
    except Exception as exc:
        return FileOutcome(source_id, Status.FAILED,
                           f"cannot parse the file: {type(exc).__name__}", bytes_in=size)
    if is_dicomdir:
        return FileOutcome(source_id, Status.EXCLUDED,
                           "DICOMDIR (a media index that names the original files)",
                           bytes_in=size)
    try:
        transformed = deidentify(instance.dataset, ctx.ruleset, ctx.key, ctx.plan,
                                 has_pixel_data=instance.has_pixel_data)
        syntax, span = instance.transfer_syntax, instance.pixels
        if transformed.pixel_plan is not None:
            syntax = _clean_pixels(path, instance, transformed)
            span, pixel_element = None, None  # the cleaned pixels are inside the dataset
        else:
            pixel_element = _cleaned_pixel_element(path, instance, transformed)
        relpath = output_relpath(transformed.patient_pseudonym, transformed.dataset)
    except InputError as exc:
        return FileOutcome(source_id, Status.FAILED, str(exc), bytes_in=size)
    except DeidentificationError as exc:
        return FileOutcome(source_id, Status.WITHHELD, str(exc), bytes_in=size)
    except Exception as exc:
        # A value or element of the input that the transform cannot handle: fail closed,
        # naming the kind of problem only.
        return FileOutcome(source_id, Status.WITHHELD,
                           f"could not be de-identified ({type(exc).__name__})", bytes_in=size)
    target = ctx.dst_root / relpath
    try:
        temp = write_temporary(target, transformed.dataset, syntax, source=path, span=span,
                               pixel_element=pixel_element, durable=ctx.durable)
    except InputError as exc:  # the source could not be read while its pixels were copied
        return FileOutcome(source_id, Status.FAILED, str(exc), bytes_in=size)
    except DeidentificationError as exc:  # a value could not be encoded
        return FileOutcome(source_id, Status.WITHHELD, str(exc), bytes_in=size)
    written = temp.stat().st_size
    output_sha256 = file_digest(temp) if ctx.digests else None
    result, digest = publish(temp, target)
    if result is Published.LOST:
        return FileOutcome(source_id, Status.WITHHELD, CLASH_REASON, bytes_in=size)
    status = Status.DUPLICATE if result is Published.IDENTICAL else Status.WRITTEN
    return FileOutcome(source_id, status, None, relpath.as_posix(), size, written,
                       transformed.review, clash_digest=digest, output_sha256=output_sha256,
                       actions=action_counts(transformed) if ctx.digests else (),
                       net_hits=transformed.net_hits,
                       sealed=crosswalk_records(ctx, instance.dataset, transformed))


def _clean_pixels(path: Path, instance: SourceInstance, transformed: Transformed) -> str:
    """Run the pixel plan on the output; returns the transfer syntax it is written in."""
    assert transformed.pixel_plan is not None
    value = None
    span = instance.pixels
    if span is not None:
        with open(path, "rb") as handle:
            handle.seek(span.start)
            element = handle.read(span.end - span.start)
        value = pixel_value(element, instance.transfer_syntax, span.encapsulated)
    report = clean_pixels_in_dataset(transformed.dataset, instance.transfer_syntax,
                                     transformed.pixel_plan, value)
    return report.transfer_syntax


def _cleaned_pixel_element(path: Path, instance: SourceInstance, transformed: Transformed
                           ) -> bytes | None:
    """Cleaned encapsulated pixel data, or None to copy the source bytes unchanged."""
    if not jpeg_segments.applies_to(instance.transfer_syntax):
        return None
    dataset, span = transformed.dataset, instance.pixels
    if span is None:
        # Read whole (rare layouts): the encapsulated pixel data sits inside the dataset.
        clean_segments_in_dataset(dataset, instance.transfer_syntax)
        return None
    if not span.encapsulated:
        return None
    try:
        with open(path, "rb") as handle:
            handle.seek(span.start)
            element = handle.read(span.end - span.start)
    except OSError as exc:
        raise SourceReadError(exc) from None
    cleaned = jpeg_segments.clean_encapsulated(element, instance.transfer_syntax)
    if cleaned is not None:
        drop_offset_tables(dataset)
    return cleaned

