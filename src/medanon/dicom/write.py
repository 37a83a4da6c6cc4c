"""Write one de-identified instance atomically, streaming its pixel data.

The header is encoded by pydicom into a temporary file beside the target, the pixel data
element follows (copied from the source file in chunks, or from cleaned bytes), and only
then is the file renamed into place: a reader never sees a half-written instance, and a
crash leaves at most a temporary file that the next run removes.

The file meta information is rebuilt from the new dataset: no source AE title, no
private information, medanon's implementation class. The preamble is 128 zero bytes.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import io
import os
import re
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset

from medanon._version import __version__
from medanon.dicom.backend.encode import PREAMBLE, encode_file_meta, write_part10
from medanon.dicom.backend.peek import stored_uid
from medanon.dicom.read import EXPLICIT_BIG, IMPLICIT_LITTLE, PixelSpan
from medanon.dicom.tempfiles import TEMP_PREFIX
from medanon.dicom.uids import medanon_uid
from medanon.errors import DeidentificationError, InputError

IMPLEMENTATION_CLASS_UID = medanon_uid("implementation-class")
IMPLEMENTATION_VERSION = ("MEDANON_" + __version__.replace(".", "_"))[:16]
CHUNK = 1 << 20
_SAFE_COMPONENT = re.compile(r"^[0-9.]{1,64}$")


def build_file_meta(dataset: Dataset, transfer_syntax: str) -> FileMetaDataset:
    """File meta information for ``dataset``, carrying nothing from the source file.

    The one builder is :func:`encode_file_meta`, which the writer uses; the dataset here
    is those very bytes read back by pydicom, so the two cannot drift apart.
    """
    sop_class, sop_instance = _sop_uids(dataset)
    meta = encode_file_meta(sop_class, sop_instance, transfer_syntax,
                            IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION)
    read = dcmread(io.BytesIO(PREAMBLE + meta)).file_meta
    del read.FileMetaInformationGroupLength  # pydicom writes it anew
    return read


def _sop_uids(dataset: Dataset) -> tuple[str, str]:
    """The SOP Class and SOP Instance UIDs of ``dataset``, as stored."""
    return (stored_uid(dataset, "SOPClassUID") or str(dataset.SOPClassUID),
            stored_uid(dataset, "SOPInstanceUID") or str(dataset.SOPInstanceUID))


def output_relpath(patient_pseudonym: str, dataset: Dataset) -> Path:
    """``<patient pseudonym>/<study UID>/<series UID>/<SOP instance UID>.dcm``.

    Only the new identifiers appear; anything that is not a plain UID is refused, so no
    input name can ever reach a path.
    """
    parts = []
    for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
        stored = stored_uid(dataset, keyword)
        value = (str(dataset.get(keyword, "") or "") if stored is None else stored).strip()
        if not _SAFE_COMPONENT.match(value):
            raise DeidentificationError(f"{keyword} is missing or not a valid UID")
        parts.append(value)
    if not re.match(r"^[A-Z0-9]{4,32}$", patient_pseudonym):
        raise DeidentificationError("the patient pseudonym is not path-safe")
    return Path(patient_pseudonym, parts[0], parts[1], parts[2] + ".dcm")


class Published(StrEnum):
    """What happened when a finished temporary file was put in place."""

    CREATED = "created"
    IDENTICAL = "identical"  # the same bytes were already there (a rerun, or a duplicate input)
    REPLACED = "replaced"  # different bytes were there, and this candidate wins
    LOST = "lost"  # different bytes were there, and they win: this candidate is dropped


def write_temporary(target: Path, dataset: Dataset, transfer_syntax: str, *,
                    source: Path | None = None, span: PixelSpan | None = None,
                    pixel_element: bytes | None = None, durable: bool = True) -> Path:
    """Encode ``dataset`` and its pixel data into a temporary file beside ``target``.

    Pixel data comes from ``pixel_element`` (a whole encoded element) when given, else from
    ``span`` of ``source`` (copied unchanged), else it is inside ``dataset`` or absent.

    The three sides of this step fail differently, and the caller must tell them apart by
    where they fail, not by the exception's type (pydicom raises OSError for malformed
    bytes): the header is encoded in memory first, so whatever encoding raises is the
    input's (:class:`DeidentificationError`); reading the source's pixel data raises
    :class:`SourceReadError`; only writing the temporary file raises OSError, an error
    of the output side that stops the run.
    """
    if "SOPClassUID" not in dataset or "SOPInstanceUID" not in dataset:
        raise DeidentificationError("the dataset has no SOP Class UID or SOP Instance UID")
    header = _encoded_header(dataset, transfer_syntax)
    temp = target.with_name(f"{TEMP_PREFIX}{os.getpid()}-{target.name}")
    try:
        with _create(temp) as out:
            out.write(header)
            if pixel_element is not None:
                out.write(pixel_element)
            elif span is not None and source is not None:
                with _open_source(source) as src:
                    src.seek(span.start)
                    _copy_exactly(src, out, span.end - span.start)
            out.flush()
            if durable:
                os.fsync(out.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


class SourceReadError(InputError):
    """The source file could not be read while its pixel data was copied."""

    def __init__(self, exc: OSError) -> None:
        super().__init__(f"cannot read the file ({exc.strerror or type(exc).__name__})")


def _open_source(path: Path) -> BinaryIO:
    try:
        return open(path, "rb")
    except OSError as exc:
        raise SourceReadError(exc) from None


def _encoded_header(dataset: Dataset, transfer_syntax: str) -> bytes:
    """File meta and data set up to the pixel data, encoded; any failure is the input's.

    Values are encoded as read: an invalid one, or an element pydicom parses only now (a
    sequence kept raw, a VR it does not know), can raise almost anything, and all of it
    means that this input cannot be written as it is.
    """
    buffer = io.BytesIO()
    try:
        sop_class, sop_instance = _sop_uids(dataset)
        meta = encode_file_meta(sop_class, sop_instance, transfer_syntax,
                                IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION)
        write_part10(buffer, meta, dataset,
                     implicit_vr=transfer_syntax == IMPLICIT_LITTLE,
                     little_endian=transfer_syntax != EXPLICIT_BIG)
    except DeidentificationError:
        raise
    except Exception as exc:
        raise DeidentificationError(
            f"an invalid value could not be encoded ({type(exc).__name__})") from None
    return buffer.getvalue()


def _create(path: Path) -> BinaryIO:
    """Open a new file for writing, making its folder only when the open says it must.

    Most outputs go into a folder that earlier files of the series already made; asking
    for it again on every file costs a failing system call and a Python exception. When
    the open fails for any reason, the folder is made (or the reason raised) as before.
    """
    try:
        return open(path, "wb")
    except OSError:
        path.parent.mkdir(parents=True, exist_ok=True)
        return open(path, "wb")


def publish(temp: Path, target: Path) -> tuple[Published, str | None]:
    """Move ``temp`` to ``target``, settling a clash of names the same way every time.

    Two different inputs can claim one output (the same SOP Instance UID in two files
    with different content). Whatever order workers finish in, the candidate with the
    smaller SHA-256 ends up in place, so parallel, resumed and cluster runs agree byte for
    byte with a sequential one. The folder is locked while a candidate is compared and
    moved, so concurrent workers cannot interleave. Returns the outcome and, on a clash,
    the candidate's digest.
    """
    lock = os.open(target.parent, os.O_RDONLY)
    moved = False
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            os.replace(temp, target)
            moved = True  # nothing left to remove (unlinking a missing file raises inside)
            return Published.CREATED, None
        if _same_bytes(temp, target):
            return Published.IDENTICAL, None
        mine, theirs = file_digest(temp), file_digest(target)
        if mine < theirs:
            os.replace(temp, target)
            return Published.REPLACED, mine
        return Published.LOST, mine
    finally:
        if not moved:
            temp.unlink(missing_ok=True)
        os.close(lock)


def file_digest(path: Path) -> str:
    """SHA-256 of a file, in hexadecimal."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _same_bytes(first: Path, second: Path) -> bool:
    if first.stat().st_size != second.stat().st_size:
        return False
    with open(first, "rb") as a, open(second, "rb") as b:
        while True:
            chunk = a.read(CHUNK)
            if chunk != b.read(CHUNK):
                return False
            if not chunk:
                return True


_OUTPUT_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})


def _copy_exactly(src: BinaryIO, dst: BinaryIO, length: int) -> None:
    """Copy ``length`` bytes from the current position of ``src`` to the end of ``dst``.

    In the kernel (copy_file_range) where the platform allows, so pixel bytes never pass
    through Python; by chunks otherwise. Errors of the output (a full disk) propagate.
    """
    dst.flush()
    offset, remaining = src.tell(), length
    kernel_copy = hasattr(os, "copy_file_range")
    while remaining and kernel_copy:
        try:
            copied = os.copy_file_range(src.fileno(), dst.fileno(), remaining, offset)
        except OSError as exc:
            if exc.errno in _OUTPUT_FULL:
                raise
            # Either side may have failed (or the kernel cannot copy between them): the
            # copy by chunks below goes on from here and tells the two sides apart.
            kernel_copy = False
            break
        if copied == 0:
            raise DeidentificationError("the source file shrank while it was being copied")
        offset += copied
        remaining -= copied
    src.seek(offset)
    dst.seek(0, os.SEEK_END)
    while remaining:
        try:
            chunk = src.read(min(CHUNK, remaining))
        except OSError as exc:
            raise SourceReadError(exc) from None
        if not chunk:
            raise DeidentificationError("the source file shrank while it was being copied")
        dst.write(chunk)
        remaining -= len(chunk)
