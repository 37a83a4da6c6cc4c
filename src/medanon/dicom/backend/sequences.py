"""Decode a raw sequence into items of raw elements, as pydicom would, only faster.

The transform recurses into every sequence it keeps, and asking pydicom for the element
(``dataset[tag]``) runs its general file reader over the sequence bytes, one element at
a time through a file object, building each item with ``Dataset.__init__``. Here the
items are sliced straight out of the bytes into the same ``RawDataElement`` tuples, in
datasets with the same state pydicom gives them (encoding, character set, item length
form, positions), and the decoded element is stored back in the parent as pydicom
stores it. Anything unusual (big endian, a character set inside an item, an element
pydicom would have to guess a VR for, bytes that do not add up) returns ``None`` and
the caller asks pydicom.
"""

from __future__ import annotations

import struct
from collections.abc import MutableSequence
from typing import Any

from pydicom.charset import default_encoding
from pydicom.datadict import dictionary_VR
from pydicom.dataelem import DataElement, RawDataElement, empty_value_for_VR
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.tag import BaseTag

from medanon.dicom.backend.availability import is_available
from medanon.dicom.backend.datasets import new_dataset
from medanon.dicom.encoding import KNOWN_VRS, LONG_LENGTH_VRS, UNDEFINED

ITEM, ITEM_END, SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
CHARSET = 0x00080005
PIXEL_REPRESENTATION = BaseTag(0x00280103)
MAX_DEPTH = 64
_HEADER = struct.Struct("<HHL")
_TAG = struct.Struct("<HH")
_SHORT = struct.Struct("<H")
_LONG = struct.Struct("<L")


class _Unsupported(Exception):
    """Bytes this decoder leaves to pydicom (it may read them differently, or refuse)."""


def decode_sequence(raw: RawDataElement, parent: Dataset) -> DataElement | None:
    """What ``parent[raw.tag]`` returns for a raw sequence, with the same side effects.

    None when pydicom has to decode it (the parent is then left as it was), as it does
    for every sequence with the backend off.
    """
    if not is_available():
        return None
    value = raw.value
    if not raw.is_little_endian or not isinstance(value, bytes) or raw.length == 0:
        return None
    vr = raw.VR
    if vr is None:  # implicit VR: the dictionary's, as pydicom looks it up
        try:
            vr = dictionary_VR(raw.tag)
        except KeyError:
            return None  # a private tag: pydicom asks its private dictionary
    if vr != "SQ":
        return None
    encodings: Any = parent.original_character_set or parent._character_set
    if not encodings:
        encodings = [default_encoding]
    elif isinstance(encodings, str):
        encodings = [encodings]
    try:
        sequence, _end = _Decoder(value, bool(raw.is_implicit_VR), encodings).sequence(
            0, len(value), raw.value_tell, 0)
    except (_Unsupported, struct.error):
        return None
    element = DataElement(raw.tag, vr, sequence, raw.value_tell,
                          raw.length == UNDEFINED, already_converted=True)
    _decode_pixel_representation(parent)
    # Stored as pydicom's __getitem__ stores it: __setitem__ fills in the private creator
    # and passes the pixel representation down to the items. For a public tag the
    # creator part does nothing, so its two steps are taken directly.
    if raw.tag >> 16 & 1:
        parent[raw.tag] = element
    else:
        parent._dict[raw.tag] = element
        parent._set_pixel_representation(element)
    return element


def _decode_pixel_representation(parent: Dataset) -> None:
    """Decode a raw Pixel Representation in place, as pydicom does when a sequence is stored.

    pydicom reads it to pass it down to the sequence items, through its general element
    decoding; a single little-endian US number is decoded here into the same element.
    """
    raw = parent._dict.get(PIXEL_REPRESENTATION)
    if not isinstance(raw, RawDataElement) or raw.VR not in ("US", None) or raw.length != 2 \
            or not raw.is_little_endian or not isinstance(raw.value, bytes) \
            or len(raw.value) != 2:
        return  # decoded already, or pydicom's to decode
    parent._dict[PIXEL_REPRESENTATION] = DataElement(
        PIXEL_REPRESENTATION, "US", int.from_bytes(raw.value, "little"), raw.value_tell, False,
        already_converted=True)


class _Decoder:
    """Items and elements of one sequence value; positions are relative to its bytes."""

    def __init__(self, data: bytes, implicit: bool, encodings: MutableSequence[str]) -> None:
        self.data = data
        self.implicit = implicit
        self.encodings = encodings

    def sequence(self, pos: int, end: int | None, offset: int, depth: int
                 ) -> tuple[Sequence, int]:
        """Items from ``pos`` to ``end`` (a defined length) or to the sequence delimiter."""
        if depth > MAX_DEPTH:
            raise _Unsupported
        data, items = self.data, []
        while end is None or pos < end:
            if pos + 8 > len(data):
                raise _Unsupported
            group, number, length = _HEADER.unpack_from(data, pos)
            tag = group << 16 | number
            item_start, pos = pos, pos + 8
            if tag == SEQUENCE_END:
                break
            if tag != ITEM:
                raise _Unsupported
            implicit = self._item_is_implicit(pos)
            if length == UNDEFINED:
                elements, pos = self.elements(pos, None, implicit, depth)
            else:
                elements, pos = self.elements(pos, pos + length, implicit, depth)
            item = new_dataset(elements, implicit_vr=implicit, little_endian=True,
                               character_set=self.encodings, parent_encoding=self.encodings)
            state = vars(item)
            state["is_undefined_length_sequence_item"] = length == UNDEFINED
            state["seq_item_tell"] = state["file_tell"] = item_start + offset
            items.append(item)
        sequence = Sequence(items)
        sequence.is_undefined_length = end is None
        return sequence, pos

    def _item_is_implicit(self, pos: int) -> bool:
        """The guess pydicom makes for an item: implicit when the first 'VR' is not two capitals."""
        if self.implicit:
            return True
        vr = self.data[pos + 4:pos + 6]
        return len(vr) == 2 and not (0x40 < vr[0] < 0x5B and 0x40 < vr[1] < 0x5B)

    def elements(self, pos: int, end: int | None, implicit: bool, depth: int
                 ) -> tuple[dict[BaseTag, DataElement | RawDataElement], int]:
        """The elements of one item, to ``end`` or to the item delimiter."""
        data, size = self.data, len(self.data)
        elements: dict[BaseTag, DataElement | RawDataElement] = {}
        while end is None or pos < end:
            if pos + 8 > size:
                raise _Unsupported
            group, number = _TAG.unpack_from(data, pos)
            tag = group << 16 | number
            if tag == ITEM_END and end is None:
                return elements, pos + 8
            if group == 0xFFFE or tag == CHARSET or implicit != self.implicit:
                raise _Unsupported  # stray delimiters, a character set or VR switch in an item
            vr: str | None
            if implicit:
                (length,) = _LONG.unpack_from(data, pos + 4)
                start, vr = pos + 8, None
            else:
                raw_vr = data[pos + 4:pos + 6]
                if raw_vr not in KNOWN_VRS:
                    raise _Unsupported
                if raw_vr in LONG_LENGTH_VRS:
                    if pos + 12 > size:
                        raise _Unsupported
                    (length,) = _LONG.unpack_from(data, pos + 8)
                    start = pos + 12
                else:
                    (length,) = _SHORT.unpack_from(data, pos + 6)
                    start = pos + 8
                vr = raw_vr.decode()
            key = BaseTag(tag)
            if length == UNDEFINED:
                vr = self._undefined_length_vr(tag, vr)
                sequence, pos = self.sequence(start, None, 0, depth + 1)
                elements[key] = DataElement(key, vr, sequence, start, is_undefined_length=True)
                continue
            pos = start + length
            if pos > size:
                raise _Unsupported
            value = data[start:pos] if length else _empty_raw(vr)
            elements[key] = RawDataElement(key, vr, length, value, start, implicit, True)
        if pos != end:
            raise _Unsupported  # an element runs past its item: pydicom's call
        return elements, pos

    @staticmethod
    def _undefined_length_vr(tag: int, vr: str | None) -> str:
        """The VR pydicom gives an undefined-length element, when it is a plain sequence."""
        if vr is None:
            try:
                vr = str(dictionary_VR(tag))
            except KeyError:
                raise _Unsupported from None
        if vr != "SQ":
            raise _Unsupported  # undefined-length UN, encapsulated data: pydicom's call
        return vr


def _empty_raw(vr: str | None) -> bytes | None:
    """What pydicom's reader stores for a zero-length value (b'' for text, else None)."""
    value = empty_value_for_VR(vr, raw=True)
    return value if isinstance(value, bytes) else None
