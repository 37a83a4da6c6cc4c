"""Read a header without pydicom's parser: one pass over the bytes, elements left raw.

Most inputs are little-endian Part 10 files whose header fits in the first 64 KiB. For
them the elements are sliced straight out of one read buffer into pydicom
``RawDataElement`` tuples, checked for completeness on the way (an element or item that
runs past the end of the file is a truncated file), and stopped at the pixel data, whose
bytes are never read. Anything unusual (big endian, deflate, a VR pydicom would have to
guess, a header longer than the buffer) returns ``None`` and takes the general reader.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from pydicom.charset import convert_encodings
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.tag import BaseTag

from medanon.dicom.backend.datasets import new_dataset, new_file_meta
from medanon.dicom.encoding import (
    KNOWN_VRS,
    LONG_LENGTH_VR_NAMES,
    LONG_LENGTH_VRS,
    PIXEL_TAGS,
    UNDEFINED,
)
from medanon.dicom.structure import Walker
from medanon.errors import InputError

BUFFER = 16 * 1024  # most headers; a longer one is read again with MAX_HEADER
MAX_HEADER = 1024 * 1024
Element = DataElement | RawDataElement
IMPLICIT_LITTLE = "1.2.840.10008.1.2"
SLOW_SYNTAXES = frozenset({"1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99",
                           "1.2.840.10008.1.2.8.1"})


class _NeedGeneralReader(Exception):
    """The file may be fine, but the general reader has to judge it."""


@dataclass(frozen=True)
class FastHeader:
    """What the fast reader found: meta, header, transfer syntax, and where pixels start."""

    file_meta: FileMetaDataset
    dataset: Dataset
    transfer_syntax: str
    pixel_offset: int | None  # where the pixel data element starts, when there is one


def read_header_fast(data: bytes, size: int) -> FastHeader | None:
    """Parse ``data`` (the first bytes of a file of ``size`` bytes), or None to fall back."""
    try:
        return _parse(data, size)
    except _NeedGeneralReader:
        return None
    except InputError:
        if len(data) < size:
            return None  # the problem may lie past the buffer: let the general reader judge
        raise


def _parse(data: bytes, size: int) -> FastHeader:
    if len(data) < 132 or data[128:132] != b"DICM":
        raise _NeedGeneralReader
    meta_elements, position = _meta(data)
    meta = new_file_meta(meta_elements)
    syntax_element = meta_elements.get(BaseTag(0x00020010))
    if not isinstance(syntax_element, RawDataElement) or not isinstance(syntax_element.value,
                                                                        bytes):
        raise _NeedGeneralReader
    syntax = syntax_element.value.rstrip(b"\x00 ").decode("ascii", "replace")
    if syntax in SLOW_SYNTAXES:
        raise _NeedGeneralReader
    implicit = syntax == IMPLICIT_LITTLE
    if position + 6 <= len(data) and (data[position + 4:position + 6] not in KNOWN_VRS) != \
            implicit:
        raise _NeedGeneralReader  # encoded otherwise than its transfer syntax says
    elements, pixel_offset = _data_set(data, position, size, implicit)
    charset = elements.get(BaseTag(0x00080005))
    names = bytes(charset.value).decode("ascii", "replace").strip(" \x00").split("\\") \
        if charset is not None and charset.value else ["ISO_IR 6"]
    dataset = new_dataset(elements, implicit_vr=implicit, little_endian=True,
                          character_set=convert_encodings(names))
    return FastHeader(meta, dataset, syntax, pixel_offset)


def _meta(data: bytes) -> tuple[dict[BaseTag, Element], int]:
    elements: dict[BaseTag, Element] = {}
    position = 132
    while position + 8 <= len(data):
        group, number = struct.unpack_from("<HH", data, position)
        if group != 0x0002:
            return elements, position
        vr = data[position + 4:position + 6]
        if vr not in KNOWN_VRS:
            raise _NeedGeneralReader
        if vr in LONG_LENGTH_VRS:
            (length,) = struct.unpack_from("<L", data, position + 8)
            header = 12
        else:
            (length,) = struct.unpack_from("<H", data, position + 6)
            header = 8
        start = position + header
        if length == UNDEFINED or start + length > len(data):
            raise _NeedGeneralReader
        tag = BaseTag(group << 16 | number)
        elements[tag] = RawDataElement(tag, vr.decode(), length, data[start:start + length],
                                       start, False, True, True, False)
        position = start + length
    raise _NeedGeneralReader


def _data_set(data: bytes, position: int, size: int, implicit: bool
              ) -> tuple[dict[BaseTag, Element], int | None]:
    elements: dict[BaseTag, Element] = {}
    walker = Walker(data, "<")
    end_of_data = len(data)
    vr_text: str | None = None
    while position < end_of_data:
        if position + 8 > end_of_data:
            raise InputError("truncated file: it ends inside a data element")
        if implicit:
            group, number, length = _IMPLICIT.unpack_from(data, position)
        else:
            group, number, vr, length = _EXPLICIT.unpack_from(data, position)
        tag_int = group << 16 | number
        if tag_int in PIXEL_TAGS:
            return elements, position
        if group == 0xFFFE:
            raise InputError("malformed file: an item tag outside a sequence")
        if implicit:
            header = 8
        else:
            vr_text = _VR_TEXT.get(vr)
            if vr_text is None:
                raise _NeedGeneralReader  # unknown, or UN (pydicom gives the dictionary VR)
            if vr_text in LONG_LENGTH_VR_NAMES:
                if position + 12 > end_of_data:
                    raise InputError("truncated file: it ends inside a data element")
                (length,) = _LONG.unpack_from(data, position + 8)
                header = 12
            else:
                header = 8
        start = position + header
        if length == UNDEFINED:
            if not implicit and vr_text != "SQ":
                raise _NeedGeneralReader  # undefined-length UN and friends: pydicom's call
            end = walker.items(start, 1, implicit)
            value = data[start:end - 8]  # without the sequence delimiter, as pydicom keeps it
        else:
            end = start + length
            if end > end_of_data:
                raise InputError("truncated file: it ends inside a data element")
            value = data[start:end]
        tag = BaseTag(tag_int)
        elements[tag] = _new_tuple(RawDataElement, (tag, vr_text, length, value, start,
                                                    implicit, True, True, False))
        position = end
    if len(data) < size:
        raise _NeedGeneralReader  # the header goes on past the buffer
    return elements, None


_IMPLICIT = struct.Struct("<HHL")
_EXPLICIT = struct.Struct("<HH2sH")
_LONG = struct.Struct("<L")
# The VRs read here, as the text pydicom keeps (UN is left to pydicom: it looks the VR up).
_VR_TEXT = {vr: vr.decode("ascii") for vr in KNOWN_VRS if vr != b"UN"}
# RawDataElement is a named tuple: building it as a tuple skips its Python-level __new__.
_new_tuple = tuple.__new__
