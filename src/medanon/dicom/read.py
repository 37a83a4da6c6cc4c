"""Read one DICOM file's header, and find its pixel data without loading it.

The header is parsed by pydicom up to the pixel data; the pixel data element itself is
located by offset and length only, so the writer can stream its bytes to the output
unchanged (never decoded, never held whole in memory). Files whose layout does not allow
that (deflated transfer syntax, elements after the pixel data) are read whole instead.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID

from medanon.dicom.backend import read_header
from medanon.dicom.backend.fastread import BUFFER, MAX_HEADER, FastHeader
from medanon.dicom.encoding import KNOWN_VRS, LONG_LENGTH_VRS, PIXEL_TAGS, UNDEFINED
from medanon.dicom.framing import looks_like_bare_data_set, starts_with_file_meta
from medanon.dicom.structure import check_whole
from medanon.errors import InputError

ROWS = 0x00280010
DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"
IMPLICIT_LITTLE = "1.2.840.10008.1.2"
EXPLICIT_LITTLE = "1.2.840.10008.1.2.1"
EXPLICIT_BIG = "1.2.840.10008.1.2.2"
#: A deflated data set (Deflated Image Frame Compression, 1.2.840.10008.1.2.8.1, is not:
#: its data set is plain explicit VR little endian and only its frames are deflated).
DEFLATED = "1.2.840.10008.1.2.1.99"
ITEM, SEQUENCE_DELIMITER = 0xFFFEE000, 0xFFFEE0DD
TRAILING_PADDING = 0xFFFCFFFC
#: The file parses to its end, so nothing says it was cut; it still cannot be an image.
NO_PIXEL_DATA = "no pixel data: the header describes an image (Rows) but holds no Pixel Data"
#: Groups a bare data set starts with (the command group of a network capture, identity).


@dataclass(frozen=True)
class PixelSpan:
    """Where the pixel data element lies in the source file, header included."""

    start: int
    end: int
    encapsulated: bool


@dataclass(frozen=True)
class SourceInstance:
    """One input file: its header dataset, file meta, and where its pixel data is."""

    dataset: Dataset
    file_meta: FileMetaDataset
    transfer_syntax: str
    pixels: PixelSpan | None
    has_pixel_data: bool

    @property
    def is_dicomdir(self) -> bool:
        """True for a DICOMDIR (a media index, not an instance: excluded from output)."""
        return str(self.file_meta.get("MediaStorageSOPClassUID", "")) == DICOMDIR_SOP_CLASS


def read_instance(path: Path, *, accept_no_meta: bool = False) -> SourceInstance:
    """Read the header of ``path`` and locate its pixel data.

    ``accept_no_meta`` also reads a bare data set (no preamble, no DICM prefix, no file
    meta), as old archives and some exports write them; its transfer syntax is what the
    bytes show (implicit or explicit VR little endian) and its file meta is made anew.
    It also reads a file that starts with its file meta (no preamble, no DICM prefix), in
    the transfer syntax that file meta gives.

    Raises
    ------
    InputError
        When the file is not DICOM, is empty or truncated, or cannot be parsed; the
        message says which, without any value from the file.
    """
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})") from None
    if size == 0:
        raise InputError("empty file")
    try:
        with open(path, "rb") as handle:
            # No more than the file holds: asking for more costs a read that finds the end.
            data = handle.read(min(size, BUFFER))
            fast = read_header(data, size)
            if fast is None and size > BUFFER:
                handle.seek(0)  # a long header (vendor private blocks): one more, larger read
                data = handle.read(MAX_HEADER)
                fast = read_header(data, size)
            if fast is not None:
                return _finish_fast(handle, fast, size, data)
            handle.seek(0)
            dataset = pydicom.dcmread(handle, stop_before_pixels=True)
            position = handle.tell()
            meta = dataset.file_meta
            syntax = str(meta.get("TransferSyntaxUID", "") or "")
            if not syntax:
                raise InputError("no Transfer Syntax UID in the file meta information")
            if syntax == DEFLATED:
                # Written out inflated: the same data set, explicit VR little endian.
                return _read_whole(path, meta, EXPLICIT_LITTLE)
            start = _data_set_start(handle)
            handle.seek(start)
            header_bytes = handle.read(position - start)
            implicit = syntax == IMPLICIT_LITTLE
            if header_bytes and _looks_implicit(header_bytes) != implicit:
                # The data set is not encoded as its transfer syntax says (pydicom notices
                # and reads it anyway): none of its bytes can be copied as they are.
                return _read_whole(path, meta, syntax)
            check_whole(header_bytes, little_endian=syntax != EXPLICIT_BIG, implicit_vr=implicit)
            span = _locate_pixels(handle, position, size, syntax)
            if span is None and "Rows" in dataset and "PixelData" not in dataset:
                raise InputError(NO_PIXEL_DATA)
            if span is not None and span.end < size and not _only_padding(handle, span.end,
                                                                        size, syntax):
                return _read_whole(path, meta, syntax)
    except InvalidDicomError:
        if starts_with_file_meta(path):
            if not accept_no_meta:
                raise InputError("DICOM without preamble (its file meta starts the file, "
                                 "no DICM prefix); read such files with --accept-no-meta"
                                 ) from None
            return _read_no_preamble(path)
        if not looks_like_bare_data_set(path):
            raise InputError("not a DICOM file (no DICM prefix after the preamble)") from None
        if not accept_no_meta:
            raise InputError("DICOM without file meta (no preamble and DICM prefix); "
                             "read such files with --accept-no-meta") from None
        return _read_bare(path)
    except InputError:
        raise
    except (EOFError, struct.error):
        raise InputError("truncated file: it ends inside a data element") from None
    except Exception as exc:
        # pydicom reports malformed bytes with many types (OSError for "no tag to read",
        # NotImplementedError for an unknown VR, MemoryError for a length set huge, ...):
        # all of them happened while reading this one input, so they are this input's.
        raise InputError(f"cannot parse the file: {type(exc).__name__}") from None
    header = Dataset(dataset)
    header.set_original_encoding(*_read_encoding(dataset), dataset.original_character_set)
    return SourceInstance(header, meta, syntax, span, span is not None)


def _finish_fast(handle: BinaryIO, fast: FastHeader, size: int, data: bytes) -> SourceInstance:
    """Locate the pixel data after a fast header read (or fall back for odd layouts).

    ``data`` is what was read from the start of the file: the pixel data element's
    header is usually in it already.
    """
    span = None
    if fast.pixel_offset is not None:
        span = _locate_pixels(handle, fast.pixel_offset, size, fast.transfer_syntax, data)
        if span is not None and span.end < size and not _only_padding(
                handle, span.end, size, fast.transfer_syntax):
            return _read_whole(Path(handle.name), fast.file_meta, fast.transfer_syntax)
    if span is None and ROWS in fast.dataset:
        raise InputError(NO_PIXEL_DATA)
    return SourceInstance(fast.dataset, fast.file_meta, fast.transfer_syntax, span,
                          span is not None)


def _looks_implicit(data: bytes) -> bool:
    """True when the first element has no VR where explicit VR would put one."""
    return len(data) >= 6 and data[4:6] not in KNOWN_VRS


def _data_set_start(handle: BinaryIO) -> int:
    """Where the data set begins: after the preamble, the prefix and the file meta group.

    The meta group is walked element by element (always explicit VR little endian), so a
    missing or wrong group length does not matter.
    """
    position = 132
    while True:
        handle.seek(position)
        head = handle.read(12)
        if len(head) < 8:
            return position
        group, _element = struct.unpack("<HH", head[:4])
        if group != 0x0002:
            return position
        if head[4:6] in LONG_LENGTH_VRS:
            if len(head) < 12:
                raise InputError("truncated file: it ends inside the file meta information")
            position += 12 + struct.unpack("<L", head[8:12])[0]
        else:
            position += 8 + struct.unpack("<H", head[6:8])[0]


def _read_no_preamble(path: Path) -> SourceInstance:
    """Read a file whose file meta starts it (no preamble): whole, in its own syntax."""
    try:
        dataset = pydicom.dcmread(path, force=True)
    except Exception as exc:  # pydicom's force mode can raise anything on odd bytes
        raise InputError(f"cannot parse the file: {type(exc).__name__}") from None
    syntax = str(dataset.file_meta.get("TransferSyntaxUID", "") or "")
    if not syntax:
        raise InputError("no Transfer Syntax UID in the file meta information")
    return _whole(dataset, dataset.file_meta, EXPLICIT_LITTLE if syntax == DEFLATED else syntax)


def _read_bare(path: Path) -> SourceInstance:
    """Read a bare data set whole and give it the file meta a Part 10 file would carry."""
    try:
        dataset = pydicom.dcmread(path, force=True)
        implicit, little = _read_encoding(dataset)
        if "SOPClassUID" not in dataset or "SOPInstanceUID" not in dataset:
            raise InputError("DICOM without file meta and without SOP Class or Instance UID")
    except InputError:
        raise
    except Exception as exc:  # pydicom's force mode can raise anything on odd bytes
        raise InputError(f"cannot parse the file: {type(exc).__name__}") from None
    syntax = IMPLICIT_LITTLE if implicit else (EXPLICIT_LITTLE if little else EXPLICIT_BIG)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = dataset.SOPClassUID
    meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
    meta.TransferSyntaxUID = UID(syntax)
    header = Dataset(dataset)
    header.set_original_encoding(implicit, little, dataset.original_character_set)
    has_pixels = any(tag in header for tag in PIXEL_TAGS)
    return SourceInstance(header, meta, syntax, None, has_pixels)


def _read_encoding(dataset: Dataset) -> tuple[bool | None, bool | None]:
    """The encoding the data set's elements were actually read in.

    pydicom reads a data set whose elements are implicit VR although the transfer syntax
    says explicit (it warns and reads them implicitly) but still reports the transfer
    syntax's encoding as the original one; its writer would then copy elements without
    a VR into an explicit VR output. The raw elements themselves say how they were read.
    """
    for tag in dataset.keys():
        element = dataset.get_item(tag)
        if isinstance(element, RawDataElement):
            return element.is_implicit_VR, element.is_little_endian
    return dataset.original_encoding


def _read_whole(path: Path, meta: FileMetaDataset, syntax: str) -> SourceInstance:
    """Fallback for layouts the streaming path cannot copy: read everything with pydicom."""
    return _whole(pydicom.dcmread(path), meta, syntax)


def _whole(dataset: Dataset, meta: FileMetaDataset, syntax: str) -> SourceInstance:
    """The instance of a data set pydicom read whole (pixel data inside it)."""
    header = Dataset(dataset)
    header.set_original_encoding(*_read_encoding(dataset), dataset.original_character_set)
    has_pixels = any(tag in header for tag in PIXEL_TAGS)
    return SourceInstance(header, meta, syntax, None, has_pixels)


def _locate_pixels(handle: BinaryIO, position: int, size: int, syntax: str,
                   data: bytes = b"") -> PixelSpan | None:
    """Parse the pixel data element's header at ``position`` and find where it ends.

    The header is taken from ``data`` (the first bytes of the file) when it lies there.
    """
    if position >= size:
        return None
    endian = ">" if syntax == EXPLICIT_BIG else "<"
    if position + 12 <= len(data):
        head = data[position:position + 12]
    else:
        handle.seek(position)
        head = handle.read(12)
    if len(head) < 8:
        raise InputError("truncated file: it ends inside the pixel data header")
    group, element = struct.unpack(endian + "HH", head[:4])
    if (group << 16 | element) not in PIXEL_TAGS:
        return None
    if syntax == IMPLICIT_LITTLE:
        (length,), header_length = struct.unpack("<L", head[4:8]), 8
    elif head[4:6] in LONG_LENGTH_VRS:
        if len(head) < 12:
            raise InputError("truncated file: it ends inside the pixel data header")
        (length,), header_length = struct.unpack(endian + "L", head[8:12]), 12
    else:
        (length,), header_length = struct.unpack(endian + "H", head[6:8]), 8
    value_start = position + header_length
    if length != UNDEFINED:
        end = value_start + length
        if end > size:
            raise InputError("truncated file: the pixel data is shorter than its length says")
        return PixelSpan(position, end, encapsulated=False)
    return PixelSpan(position, _end_of_fragments(handle, value_start, size, endian),
                     encapsulated=True)


def _end_of_fragments(handle: BinaryIO, offset: int, size: int, endian: str) -> int:
    """Walk the items of encapsulated pixel data to its sequence delimiter."""
    handle.seek(offset)
    while True:
        item = handle.read(8)
        if len(item) < 8:
            raise InputError("truncated file: encapsulated pixel data has no end delimiter")
        group, element, length = struct.unpack(endian + "HHL", item)
        tag = group << 16 | element
        offset += 8
        if tag == SEQUENCE_DELIMITER:
            return offset
        if tag != ITEM or length == UNDEFINED:
            raise InputError("malformed encapsulated pixel data (unexpected item tag)")
        offset += length
        if offset > size:
            raise InputError("truncated file: a pixel data fragment is cut short")
        handle.seek(offset)


def _only_padding(handle: BinaryIO, offset: int, size: int, syntax: str) -> bool:
    """True when all that follows the pixel data is Data Set Trailing Padding or zeros."""
    handle.seek(offset)
    rest = handle.read(size - offset)
    if not rest.strip(b"\x00"):
        return True
    endian = ">" if syntax == EXPLICIT_BIG else "<"
    if len(rest) >= 8:
        group, element = struct.unpack(endian + "HH", rest[:4])
        return bool((group << 16 | element) == TRAILING_PADDING)
    return False
