"""Encode a de-identified data set, copying untouched elements byte for byte.

Most of a CT or MR header passes through de-identification unchanged. Those elements are
still raw (pydicom never decoded them), and here their bytes are emitted as they were read,
header rebuilt with ``struct``: no decoding, no validation, no per-element buffers.
Only the elements the rules changed, and sequences, go through pydicom's encoder. The
result is the same bytes pydicom's own writer produces, several times faster; on the
general path (:func:`~medanon.dicom.backend.general_path_only`) pydicom's writer
(``write_dataset``) does the whole of it, and tests hold the two to the same bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import BinaryIO

from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_data_element, write_dataset

from medanon.dicom.backend.availability import is_available
from medanon.dicom.backend.peek import peek, stored_charset
from medanon.dicom.encoding import LONG_LENGTH_VR_NAMES, UNDEFINED

PREAMBLE = bytes(128) + b"DICM"


def write_part10(out: BinaryIO, meta: bytes, dataset: Dataset, *, implicit_vr: bool,
                 little_endian: bool) -> None:
    """Write preamble, encoded file meta information and data set to ``out``."""
    out.write(PREAMBLE)
    out.write(meta)
    out.write(encode_dataset(dataset, implicit_vr=implicit_vr, little_endian=little_endian))


def encode_file_meta(sop_class: str, sop_instance: str, transfer_syntax: str,
                     implementation_class: str, implementation_version: str) -> bytes:
    """File meta information (group 0002, explicit VR little endian), group length first.

    Exactly the elements a Part 10 file needs and nothing the source carried: no source
    AE title, no private information. The one file-meta builder: the dataset the API
    returns (:func:`medanon.dicom.write.build_file_meta`) is these bytes read back, and
    pydicom writes that dataset as exactly these bytes (a test holds it). Building the
    bytes directly costs 6 µs a file, building and writing the dataset 150-200 µs.
    """
    body = b"".join((
        _meta_element(0x0001, "OB", b"\x00\x01"),
        _meta_element(0x0002, "UI", _ui(sop_class)),
        _meta_element(0x0003, "UI", _ui(sop_instance)),
        _meta_element(0x0010, "UI", _ui(transfer_syntax)),
        _meta_element(0x0012, "UI", _ui(implementation_class)),
        _meta_element(0x0013, "SH", _sh(implementation_version)),
    ))
    return _meta_element(0x0000, "UL", struct.pack("<L", len(body))) + body


def _ui(value: str) -> bytes:
    data = value.encode("ascii")
    return data + b"\x00" if len(data) % 2 else data


def _sh(value: str) -> bytes:
    data = value.encode("ascii")
    return data + b" " if len(data) % 2 else data


def _meta_element(element: int, vr: str, value: bytes) -> bytes:
    if vr in LONG_LENGTH_VR_NAMES:
        return struct.pack("<HH2s2xL", 0x0002, element, vr.encode(), len(value)) + value
    return struct.pack("<HH2sH", 0x0002, element, vr.encode(), len(value)) + value


def encode_dataset(dataset: Dataset, *, implicit_vr: bool, little_endian: bool,
                   parent_encodings: str | list[str] = "ISO_IR 6") -> bytes:
    """The encoded elements of ``dataset`` in tag order (group lengths left out)."""
    if not is_available():
        buffer = DicomBytesIO()
        buffer.is_implicit_VR = implicit_vr
        buffer.is_little_endian = little_endian
        write_dataset(buffer, dataset, parent_encodings)
        return buffer.getvalue()
    short_header, long_header, implicit_header, delimiter = _HEADERS[little_endian]
    charset = stored_charset(dataset)  # read off the bytes, the element left raw
    encodings = (peek(dataset, "SpecificCharacterSet") if charset is None else charset) \
        or parent_encodings
    chunks: list[bytes] = []
    stored = dataset._dict  # the stored elements as they are: raw ones stay raw
    # Plain int tags sort in C (pydicom's tag type compares in Python); tags are unique,
    # so the elements themselves are never compared.
    for tag, element in sorted(zip(map(int, stored.keys()), stored.values(), strict=True)):
        group, number = tag >> 16, tag & 0xFFFF
        if number == 0 and group > 6:
            continue
        if isinstance(element, RawDataElement):
            if element.is_implicit_VR == implicit_vr and element.is_little_endian == \
                    little_endian and element.value is not None and (implicit_vr or element.VR):
                if implicit_vr:
                    chunks.append(implicit_header.pack(group, number, element.length))
                else:
                    vr_bytes, long = _vr_bytes(element.VR)
                    header = long_header if long else short_header
                    chunks.append(header.pack(group, number, vr_bytes, element.length))
                chunks.append(element.value)
                if element.length == UNDEFINED:
                    chunks.append(delimiter)
                continue
        elif element.VR == "SQ":
            chunks.append(_encode_sequence(element, implicit_vr, little_endian, encodings))
            continue
        else:
            body = _simple_body(element, little_endian)
            if body is not None:
                if implicit_vr:
                    chunks.append(implicit_header.pack(group, number, len(body)))
                else:
                    chunks.append(short_header.pack(group, number, _vr_bytes(element.VR)[0],
                                                    len(body)))
                chunks.append(body)
                continue
        buffer = DicomBytesIO()
        buffer.is_implicit_VR = implicit_vr
        buffer.is_little_endian = little_endian
        write_data_element(buffer, element if isinstance(element, DataElement) else dataset[tag],
                           encodings)
        chunks.append(buffer.getvalue())
    return b"".join(chunks)


def encoded_elements(elements: Iterable[DataElement], *, implicit_vr: bool,
                     little_endian: bool) -> tuple[RawDataElement, ...]:
    """``elements`` encoded once, as raw elements whose bytes every output copies as they are.

    For elements that are the same in every file of a run (the de-identification
    markers): encoding them once and storing the raw result costs nothing per file.
    """
    encoded = []
    for element in elements:
        data = encode_dataset(Dataset({element.tag: element}), implicit_vr=implicit_vr,
                              little_endian=little_endian)
        header = 8 if implicit_vr or element.VR not in LONG_LENGTH_VR_NAMES else 12
        encoded.append(RawDataElement(element.tag, element.VR, len(data) - header, data[header:],
                                      0, implicit_vr, little_endian, True, False))
    return tuple(encoded)


_HEADERS = {little: (struct.Struct(endian + "HH2sH"), struct.Struct(endian + "HH2s2xL"),
                     struct.Struct(endian + "HHL"),
                     struct.pack(endian + "HHL", 0xFFFE, 0xE0DD, 0))
            for little, endian in ((True, "<"), (False, ">"))}
_VR_BYTES: dict[str | None, tuple[bytes, bool]] = {}


def _vr_bytes(vr: str | None) -> tuple[bytes, bool]:
    """The VR as written, and whether its header has the long (32-bit) length form."""
    known = _VR_BYTES.get(vr)
    if known is None:
        known = _VR_BYTES[vr] = (str(vr).encode("ascii"), vr in LONG_LENGTH_VR_NAMES)
    return known


def _simple_body(element: DataElement, little_endian: bool) -> bytes | None:
    """The value bytes pydicom writes for the simplest decoded elements, or None.

    The reader's side effects leave a couple of elements decoded in every file (the
    Specific Character Set, the Pixel Representation); going through pydicom's writer
    for them costs more than the rest of the header. A single US number and a single
    ASCII code string are written here exactly as ``write_numbers`` and ``write_string``
    write them; everything else returns None and goes through pydicom.
    """
    if element.is_undefined_length:
        return None
    vr, value = element.VR, element.value
    if vr == "US" and type(value) is int and 0 <= value <= 0xFFFF:
        return value.to_bytes(2, "little" if little_endian else "big")
    if vr == "CS" and type(value) is str and value.isascii() and len(value) < 0xFFF0:
        data = value.encode("ascii")
        return data + b" " if len(data) % 2 else data
    return None


def _encode_sequence(element: DataElement, implicit_vr: bool, little_endian: bool,
                     encodings: str | list[str]) -> bytes:
    """A sequence and its items, with lengths defined or undefined as pydicom writes them."""
    endian = "<" if little_endian else ">"
    marker = struct.Struct(endian + "HHL")
    items: list[bytes] = []
    for item in element.value:
        body = encode_dataset(item, implicit_vr=implicit_vr, little_endian=little_endian,
                              parent_encodings=encodings)
        if item.is_undefined_length_sequence_item:
            items += [marker.pack(0xFFFE, 0xE000, UNDEFINED), body,
                      marker.pack(0xFFFE, 0xE00D, 0)]
        else:
            items += [marker.pack(0xFFFE, 0xE000, len(body)), body]
    content = b"".join(items)
    length = UNDEFINED if element.is_undefined_length else len(content)
    group, number = element.tag >> 16, element.tag & 0xFFFF
    if implicit_vr:
        header = marker.pack(group, number, length)
    else:
        header = struct.pack(endian + "HH2s2xL", group, number, b"SQ", length)
    if element.is_undefined_length:
        content += marker.pack(0xFFFE, 0xE0DD, 0)
    return header + content
