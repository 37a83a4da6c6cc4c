"""Remove comment and application segments from encapsulated JPEG frames, losslessly.

A JPEG stream can carry text outside the image: COM segments and APPn segments (EXIF,
XMP, vendor blocks) written by the modality or a PACS, sometimes with the patient's
name. They are removed from each frame's header without touching the entropy-coded
data, so the image decodes to exactly the same pixels. Kept: APP0 "JFIF" without a
thumbnail and APP14 "Adobe" (needed to read the colour transform correctly). For JPEG
2000 codestreams the COM segments of the main header are removed.
"""

from __future__ import annotations

import struct

from medanon.errors import DeidentificationError

JPEG_FAMILY = frozenset({
    "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57",
    "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81",
})
JPEG_2000_FAMILY = frozenset({
    "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.92",
    "1.2.840.10008.1.2.4.93", "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202",
    "1.2.840.10008.1.2.4.203",
})
SOI, SOS, COM, APP0, APP14 = 0xD8, 0xDA, 0xFE, 0xE0, 0xEE
J2K_SOC, J2K_SOT, J2K_COM = 0xFF4F, 0xFF90, 0xFF64
J2K_PARITY_COMMENT = struct.pack(">HHH", J2K_COM, 5, 1) + b" "
STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


def applies_to(transfer_syntax: str) -> bool:
    """True when frames of this transfer syntax can carry comment segments medanon removes."""
    return transfer_syntax in JPEG_FAMILY or transfer_syntax in JPEG_2000_FAMILY


def _keep_app(marker: int, payload: bytes) -> bool:
    if marker == APP0:
        # JFIF with no thumbnail: identifier(5) version(2) units(1) density(4) thumb w,h(2)
        return payload.startswith(b"JFIF\x00") and len(payload) == 14 and payload[12:14] == b"\0\0"
    return marker == APP14 and payload.startswith(b"Adobe")


def strip_jpeg(frame: bytes) -> bytes:
    """Remove COM and APPn segments (but safe APP0/APP14) before the first SOS."""
    if frame[:2] != b"\xff\xd8":
        return frame
    out = bytearray(frame[:2])
    pos = 2
    while pos < len(frame):
        if frame[pos] != 0xFF:
            raise DeidentificationError("malformed JPEG frame header")
        marker = frame[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in STANDALONE:
            out += frame[pos:pos + 2]
            pos += 2
            continue
        if pos + 4 > len(frame):
            raise DeidentificationError("a JPEG frame header runs past its fragment")
        (length,) = struct.unpack(">H", frame[pos + 2:pos + 4])
        end = pos + 2 + length
        if end > len(frame):
            raise DeidentificationError("a JPEG frame header runs past its fragment")
        if marker == SOS:
            if (len(out) + len(frame) - pos) % 2 != len(frame) % 2:
                # An odd number of bytes went: one fill byte (0xFF, allowed before any
                # marker) keeps the fragment's length even without touching the image data.
                out += b"\xff"
            out += frame[pos:]
            return bytes(out)
        drop = marker == COM or (0xE0 <= marker <= 0xEF
                                 and not _keep_app(marker, frame[pos + 4:end]))
        if not drop:
            out += frame[pos:end]
        pos = end
    raise DeidentificationError("a JPEG frame has no start of scan in its first fragment")


def strip_j2k(frame: bytes) -> bytes:
    """Remove COM segments from a JPEG 2000 codestream's main header."""
    if frame[:4] == b"\x00\x00\x00\x0c":
        raise DeidentificationError("a JPEG 2000 frame is wrapped in a JP2 file, whose boxes "
                                    "may carry text; it cannot be cleaned losslessly")
    if len(frame) < 2 or struct.unpack(">H", frame[:2])[0] != J2K_SOC:
        return frame
    out = bytearray(frame[:2])
    pos = 2
    while pos + 4 <= len(frame):
        (marker, length) = struct.unpack(">HH", frame[pos:pos + 4])
        if marker == J2K_SOT:
            if (len(out) + len(frame) - pos) % 2 != len(frame) % 2:
                # An odd number of bytes went: a one-character comment (7 bytes) keeps the
                # fragment's length even (the codestream allows no fill bytes).
                out += J2K_PARITY_COMMENT
            out += frame[pos:]
            return bytes(out)
        end = pos + 2 + length
        if end > len(frame):
            raise DeidentificationError("a JPEG 2000 main header runs past its fragment")
        if marker != J2K_COM:
            out += frame[pos:end]
        pos = end
    raise DeidentificationError("a JPEG 2000 frame has no tile in its first fragment")


def strip_fragment(fragment: bytes, transfer_syntax: str) -> bytes:
    """Clean one fragment; fragments that do not start a frame pass through unchanged."""
    stripped = strip_j2k(fragment) if transfer_syntax in JPEG_2000_FAMILY else strip_jpeg(fragment)
    return fragment if stripped == fragment else stripped


def _items(value: bytes) -> list[bytes]:
    """The items of encapsulated pixel data.

    The end delimiter may be absent, as in a value pydicom has parsed (it stops at the
    delimiter without keeping it).
    """
    items: list[bytes] = []
    pos = 0
    while pos + 8 <= len(value):
        tag_group, tag_element, length = struct.unpack("<HHL", value[pos:pos + 8])
        if (tag_group, tag_element) == (0xFFFE, 0xE0DD):
            return items
        if (tag_group, tag_element) != (0xFFFE, 0xE000):
            raise DeidentificationError("malformed encapsulated pixel data")
        if pos + 8 + length > len(value):
            raise DeidentificationError("encapsulated pixel data is cut short")
        items.append(value[pos + 8:pos + 8 + length])
        pos += 8 + length
    if pos != len(value):
        raise DeidentificationError("malformed encapsulated pixel data")
    return items


def _item(payload: bytes) -> bytes:
    return struct.pack("<HHL", 0xFFFE, 0xE000, len(payload)) + payload


def clean_encapsulated(element: bytes, transfer_syntax: str) -> bytes | None:
    """Clean a whole encapsulated Pixel Data element (header included, little endian).

    Returns the new element bytes, or None when nothing had to change (the caller then
    copies the original bytes). The Basic Offset Table, when present, is recomputed.
    """
    header, value = element[:12], element[12:]
    items = _items(value)
    if not items:
        return None
    offset_table, fragments = items[0], items[1:]
    cleaned = [strip_fragment(fragment, transfer_syntax) for fragment in fragments]
    if all(new is old for new, old in zip(cleaned, fragments, strict=True)):
        return None
    if offset_table:
        offset_table = _rebuild_offsets(offset_table, fragments, cleaned)
    body = _item(offset_table) + b"".join(_item(f) for f in cleaned)
    return header + body + struct.pack("<HHL", 0xFFFE, 0xE0DD, 0)


def _rebuild_offsets(table: bytes, old: list[bytes], new: list[bytes]) -> bytes:
    """Move each frame offset by the bytes removed from the fragments before it."""
    old_offsets = list(struct.unpack(f"<{len(table) // 4}L", table))
    starts_old, starts_new, pos_old, pos_new = [], [], 0, 0
    for before, after in zip(old, new, strict=True):
        starts_old.append(pos_old)
        starts_new.append(pos_new)
        pos_old += 8 + len(before)
        pos_new += 8 + len(after)
    mapping = dict(zip(starts_old, starts_new, strict=True))
    try:
        return struct.pack(f"<{len(old_offsets)}L", *(mapping[o] for o in old_offsets))
    except KeyError:
        raise DeidentificationError("the Basic Offset Table does not point at fragments") from None
