"""Check that a file's data set is whole, element by element, before trusting a parse.

pydicom stops quietly at the end of a cut file: a header truncated in the middle of an
element comes back as a shorter, valid-looking dataset. Writing that out would lose data
without a word, so before a file is accepted, its bytes are walked here (headers and
lengths only, values skipped), and any element, item or sequence that runs past the end
of the file makes it a truncated file.
"""

from __future__ import annotations

import struct

from medanon.dicom.encoding import LONG_LENGTH_VRS, UNDEFINED
from medanon.errors import InputError

ITEM, ITEM_END, SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
MAX_DEPTH = 64


def check_whole(data: bytes, *, little_endian: bool, implicit_vr: bool) -> None:
    """Raise InputError unless ``data`` is a sequence of complete data elements."""
    Walker(data, "<" if little_endian else ">").elements(0, len(data), None, 0, implicit_vr)


class Walker:
    """Walks element and item headers over a byte buffer, checking every length."""

    def __init__(self, data: bytes, endian: str) -> None:
        self.data = data
        self.tag_format = endian + "HH"
        self.long = endian + "L"
        self.short = endian + "H"

    def _need(self, pos: int, count: int) -> None:
        if pos + count > len(self.data):
            raise InputError("truncated file: it ends inside a data element")

    def _tag(self, pos: int) -> int:
        self._need(pos, 8)
        group, element = struct.unpack_from(self.tag_format, self.data, pos)
        return int(group) << 16 | int(element)

    def elements(self, pos: int, end: int, stop_tag: int | None, depth: int,
                 implicit: bool) -> int:
        """Walk elements from ``pos``; stop at ``end`` or after ``stop_tag``; return the end."""
        if depth > MAX_DEPTH:
            raise InputError("malformed file: sequences nest too deep")
        while pos < end:
            tag = self._tag(pos)
            if tag == stop_tag:
                return pos + 8
            if tag >> 16 == 0xFFFE:
                raise InputError("malformed file: an item tag outside a sequence")
            length, header, vr = self._header(pos, implicit)
            if length == UNDEFINED:
                # An undefined-length UN holds a sequence encoded in implicit VR (PS3.5 6.2.2).
                pos = self.items(pos + header, depth + 1, implicit or vr == b"UN")
            else:
                pos += header + length
                if pos > len(self.data):
                    raise InputError("truncated file: it ends inside a data element")
        if stop_tag is not None:
            raise InputError("truncated file: an item has no end delimiter")
        return pos

    def _header(self, pos: int, implicit: bool) -> tuple[int, int, bytes]:
        """Value length, header length and VR (empty for implicit VR) of one element."""
        if implicit:
            (length,) = struct.unpack_from(self.long, self.data, pos + 4)
            return int(length), 8, b""
        vr = self.data[pos + 4:pos + 6]
        if vr in LONG_LENGTH_VRS:
            self._need(pos, 12)
            (length,) = struct.unpack_from(self.long, self.data, pos + 8)
            return int(length), 12, vr
        (length,) = struct.unpack_from(self.short, self.data, pos + 6)
        return int(length), 8, vr

    def items(self, pos: int, depth: int, implicit: bool) -> int:
        """Walk the items of an undefined-length sequence to its delimiter."""
        while True:
            tag = self._tag(pos)
            (length,) = struct.unpack_from(self.long, self.data, pos + 4)
            pos += 8
            if tag == SEQUENCE_END:
                return pos
            if tag != ITEM:
                raise InputError("malformed file: a sequence holds something other than items")
            if length == UNDEFINED:
                pos = self.elements(pos, len(self.data), ITEM_END, depth, implicit)
            else:
                pos += int(length)
                if pos > len(self.data):
                    raise InputError("truncated file: it ends inside a sequence item")
