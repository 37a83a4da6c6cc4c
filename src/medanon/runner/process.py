"""Process one file: read → de-identify → write. The unit of work of every runner.

The source is the file (:func:`read_instance`), the core is
:func:`medanon.dicom.core.deidentify_instance`, the sink the atomic writer.

``process_file`` never raises for a bad file: whatever goes wrong becomes a
:class:`FileOutcome` with a reason, and nothing reaches the output unless the whole
file was de-identified. Only errors of the run itself (the output disk is full or
read-only) propagate, because going on would fail every file the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

from medanon.custody.digests import action_counts, crosswalk_records, with_input_digest
from medanon.dicom.core import Instance, deidentify_instance
from medanon.dicom.quiet import quiet_pydicom
from medanon.dicom.read import read_instance
from medanon.dicom.write import (
    Published,
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
        output = deidentify_instance(Instance.from_file(instance, path), ctx.ruleset, ctx.key,
                                     ctx.plan, withhold=ctx.withhold)
        transformed = output.transformed
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
        copy = output.copy_pixels
        temp = write_temporary(target, transformed.dataset, output.transfer_syntax,
                               source=copy.path if copy else None,
                               span=copy.span if copy else None,
                               pixel_element=output.pixel_element, durable=ctx.durable)
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
                       net_hits=transformed.net_hits, pixels=output.pixels,
                       sealed=crosswalk_records(ctx, instance.dataset, transformed))
