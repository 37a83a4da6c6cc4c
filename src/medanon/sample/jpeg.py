"""A minimal baseline JPEG encoder (ISO/IEC 10918-1, 8-bit greyscale) and segment tools.

The sample collection needs one real JPEG Baseline frame whose stream carries
personal data in a COM and an APP segment, the way workstation captures do.
Encoding here (numpy DCT, the standard Annex K tables) keeps the frame identical
on every machine and avoids a Pillow dependency; any JPEG decoder reads it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

SOI = b"\xff\xd8"
EOI = b"\xff\xd9"

# Table K.1, luminance quantisation, in natural (row-major) order.
_LUMINANCE_Q = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
], dtype=np.int32).reshape(8, 8)

# Table K.3 (DC luminance) and K.5 (AC luminance): code counts per length 1-16, then symbols.
_DC_BITS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)
_DC_VALUES = tuple(range(12))
_AC_BITS = (0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D)
_AC_VALUES = bytes.fromhex(
    "01020300041105122131410613516107227114328191a1082342b1c11552d1f0"
    "2433627282090a161718191a25262728292a3435363738393a43444546474849"
    "4a535455565758595a636465666768696a737475767778797a83848586878889"
    "8a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5"
    "c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8"
    "f9fa"
)


def _zigzag() -> tuple[int, ...]:
    """Natural-order indices of the 64 coefficients in zig-zag order (Figure A.6)."""
    cells = [(i, j) for i in range(8) for j in range(8)]
    cells.sort(key=lambda c: (c[0] + c[1], c[1] if (c[0] + c[1]) % 2 == 0 else c[0]))
    return tuple(i * 8 + j for i, j in cells)


_ZIGZAG = _zigzag()


_DCT_BITS = 13


def _dct_matrix() -> NDArray[np.int64]:
    """The orthonormal 8-point DCT-II matrix in fixed point (scaled by 2**13).

    Integer arithmetic makes the coefficients, hence the stream, identical on every
    machine: a float matrix product may round differently with another BLAS.
    """
    u = np.arange(8).reshape(8, 1)
    x = np.arange(8).reshape(1, 8)
    matrix = np.sqrt(2 / 8) * np.cos((2 * x + 1) * u * np.pi / 16)
    matrix[0, :] = np.sqrt(1 / 8)
    fixed: NDArray[np.int64] = np.rint(matrix * (1 << _DCT_BITS)).astype(np.int64)
    return fixed


_DCT = _dct_matrix()


def _huffman_codes(bits: Sequence[int], values: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Symbol -> (code, length) from a BITS/HUFFVAL table (Annex C)."""
    codes: dict[int, tuple[int, int]] = {}
    code, k = 0, 0
    for length, count in enumerate(bits, start=1):
        for _ in range(count):
            codes[values[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return codes


_DC_CODES = _huffman_codes(_DC_BITS, _DC_VALUES)
_AC_CODES = _huffman_codes(_AC_BITS, _AC_VALUES)


class _BitWriter:
    """Entropy-coded segment writer with 0xFF byte stuffing (F.1.2.3)."""

    def __init__(self) -> None:
        self._out = bytearray()
        self._acc = 0
        self._count = 0

    def write(self, value: int, length: int) -> None:
        self._acc = (self._acc << length) | (value & ((1 << length) - 1))
        self._count += length
        while self._count >= 8:
            self._count -= 8
            byte = (self._acc >> self._count) & 0xFF
            self._out.append(byte)
            if byte == 0xFF:
                self._out.append(0x00)
        self._acc &= (1 << self._count) - 1

    def finish(self) -> bytes:
        if self._count:
            self.write((1 << (8 - self._count)) - 1, 8 - self._count)
        return bytes(self._out)


def _category(value: int) -> tuple[int, int]:
    """Size category and the appended bits of a DC difference or AC coefficient (F.1.2.1)."""
    size = abs(value).bit_length()
    bits = value if value >= 0 else value + (1 << size) - 1
    return size, bits


def _segment(marker: int, payload: bytes) -> bytes:
    if len(payload) + 2 > 0xFFFF:
        raise ValueError("JPEG marker segment too long")
    return bytes((0xFF, marker)) + (len(payload) + 2).to_bytes(2, "big") + payload


def quantisation_table(quality: int) -> NDArray[np.int32]:
    """Table K.1 scaled to ``quality`` (1-100) the usual IJG way."""
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    table = (_LUMINANCE_Q * scale + 50) // 100
    return np.clip(table, 1, 255).astype(np.int32)


def encode_baseline(image: NDArray[np.uint8], quality: int = 90) -> bytes:
    """Encode an 8-bit greyscale image as a baseline sequential Huffman JPEG (SOF0).

    The stream has no JFIF or other APPn segment, as DICOM frames usually have none.
    """
    if image.ndim != 2 or image.dtype != np.uint8:
        raise ValueError("expected a 2-D uint8 image")
    rows, cols = image.shape
    padded = np.pad(image, ((0, -rows % 8), (0, -cols % 8)), mode="edge").astype(np.int64)
    q = quantisation_table(quality)
    divisor = q.astype(np.int64) << (2 * _DCT_BITS)
    writer = _BitWriter()
    previous_dc = 0
    for top in range(0, padded.shape[0], 8):
        for left in range(0, padded.shape[1], 8):
            block = padded[top : top + 8, left : left + 8] - 128
            scaled = _DCT @ block @ _DCT.T
            rounded = (np.abs(scaled) + divisor // 2) // divisor  # nearest, ties away from 0
            coefficients = (np.sign(scaled) * rounded).ravel()
            zz = [int(coefficients[i]) for i in _ZIGZAG]
            size, bits = _category(zz[0] - previous_dc)
            previous_dc = zz[0]
            writer.write(*_DC_CODES[size])
            writer.write(bits, size)
            run = 0
            for value in zz[1:]:
                if value == 0:
                    run += 1
                    continue
                while run > 15:
                    writer.write(*_AC_CODES[0xF0])
                    run -= 16
                size, bits = _category(value)
                writer.write(*_AC_CODES[(run << 4) | size])
                writer.write(bits, size)
                run = 0
            if run:
                writer.write(*_AC_CODES[0x00])
    dqt = _segment(0xDB, b"\x00" + bytes(int(q.ravel()[i]) for i in _ZIGZAG))
    sof = _segment(0xC0, b"\x08" + rows.to_bytes(2, "big") + cols.to_bytes(2, "big")
                   + b"\x01\x01\x11\x00")
    dht = _segment(0xC4, b"\x00" + bytes(_DC_BITS) + bytes(_DC_VALUES)
                   + b"\x10" + bytes(_AC_BITS) + _AC_VALUES)
    sos = _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    return SOI + dqt + sof + dht + sos + writer.finish() + EOI


def comment_segment(text: bytes) -> bytes:
    """A COM marker segment carrying ``text``."""
    return _segment(0xFE, text)


def app_segment(n: int, payload: bytes) -> bytes:
    """An APPn marker segment (n in 0-15) carrying ``payload``."""
    if not 0 <= n <= 15:
        raise ValueError("APPn index out of range")
    return _segment(0xE0 + n, payload)


def insert_after_soi(stream: bytes, segments: Sequence[bytes]) -> bytes:
    """Insert marker segments right after the SOI marker of a JPEG stream."""
    if not stream.startswith(SOI):
        raise ValueError("not a JPEG stream (no SOI marker)")
    return SOI + b"".join(segments) + stream[len(SOI) :]


def marker_segments(stream: bytes) -> list[tuple[int, bytes]]:
    """List ``(marker, payload)`` of the segments before the first SOS (for checks)."""
    found: list[tuple[int, bytes]] = []
    pos = len(SOI)
    while pos + 4 <= len(stream) and stream[pos] == 0xFF:
        marker = stream[pos + 1]
        length = int.from_bytes(stream[pos + 2 : pos + 4], "big")
        found.append((marker, stream[pos + 4 : pos + 2 + length]))
        if marker == 0xDA:
            break
        pos += 2 + length
    return found
