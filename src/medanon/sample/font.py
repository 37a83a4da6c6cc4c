"""A 5x7 bitmap font for text burned into sample pixels (ultrasound and screen captures).

Real burned-in annotations are rendered by the modality; this tiny font gives the
sample images legible text (for eyes and OCR) without depending on Pillow or on
a system font, so the pixels are the same on every machine. Each glyph is seven
rows of five bits, written as seven two-digit hex numbers, top row first, most
significant of the five bits on the left.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

GLYPH_WIDTH = 5
GLYPH_HEIGHT = 7

_GLYPHS: dict[str, str] = {
    " ": "00000000000000", "A": "0E11111F111111", "B": "1E11111E11111E",
    "C": "0E11101010110E", "D": "1C12111111121C", "E": "1F10101E10101F",
    "F": "1F10101E101010", "G": "0E11101711110F",
    "H": "1111111F111111", "I": "0E04040404040E", "J": "0702020202120C",
    "K": "11121418141211", "L": "1010101010101F", "M": "111B1515111111",
    "N": "11111915131111", "O": "0E11111111110E", "P": "1E11111E101010",
    "Q": "0E11111115120D", "R": "1E11111E141211", "S": "0F10100E01011E",
    "T": "1F040404040404", "U": "1111111111110E", "V": "11111111110A04",
    "W": "11111115151B11", "X": "11110A040A1111", "Y": "11110A04040404",
    "Z": "1F01020408101F", "0": "0E11131519110E", "1": "040C040404040E",
    "2": "0E11010204081F", "3": "1F02040201110E", "4": "02060A121F0202",
    "5": "1F101E0101110E", "6": "0608101E11110E", "7": "1F010204080808",
    "8": "0E11110E11110E", "9": "0E11110F01020C", "^": "040A1100000000",
    "-": "0000001F000000", "/": "00010204081000", ":": "000C0C000C0C00",
    ".": "000000000C0C00", ",": "00000000000C04", "'": "0C040800000000",
    "_": "0000000000001F", "(": "02040808080402", ")": "08040202020408",
}


def glyph(char: str) -> NDArray[np.bool_]:
    """Return the 7x5 boolean bitmap of ``char`` (unknown characters render as blanks)."""
    code = _GLYPHS.get(char.upper(), _GLYPHS[" "])
    rows = [int(code[i : i + 2], 16) for i in range(0, 2 * GLYPH_HEIGHT, 2)]
    bits = [[bool(row >> (GLYPH_WIDTH - 1 - col) & 1) for col in range(GLYPH_WIDTH)]
            for row in rows]
    return np.array(bits, dtype=np.bool_)


def render_text(text: str, scale: int = 1) -> NDArray[np.bool_]:
    """Render one line of text as a boolean mask, one blank column between glyphs."""
    if not text:
        return np.zeros((GLYPH_HEIGHT * scale, 0), dtype=np.bool_)
    spacer = np.zeros((GLYPH_HEIGHT, 1), dtype=np.bool_)
    parts: list[NDArray[np.bool_]] = []
    for char in text:
        parts += [glyph(char), spacer]
    line = np.concatenate(parts[:-1], axis=1)
    return np.kron(line, np.ones((scale, scale), dtype=np.bool_)).astype(np.bool_)


def stamp(image: NDArray[np.generic], text: str, row: int, col: int, value: int,
          scale: int = 1) -> None:
    """Burn ``text`` into ``image`` in place at (row, col), clipped to the image."""
    mask = render_text(text, scale)
    height = max(0, min(mask.shape[0], image.shape[0] - row))
    width = max(0, min(mask.shape[1], image.shape[1] - col))
    region = image[row : row + height, col : col + width]
    region[mask[:height, :width]] = value
