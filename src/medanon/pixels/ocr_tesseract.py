"""OCR backend: Debian's tesseract-ocr through pytesseract (word boxes, any confidence).

Kept as the second engine measured in bench/RESULTS.md; the DB detector of
:mod:`medanon.pixels.ocr_rapid` finds far more of the text, so only it gates files.
"""

from __future__ import annotations

import importlib.util
import shutil

import numpy as np
from numpy.typing import NDArray

from medanon.pixels.settings import Box

DEPENDENCIES = {"pytesseract": (0, 3), "PIL": (10, 0)}
#: Small text is upscaled before tesseract sees it (it wants x-heights of 20 px or more).
UPSCALE = 2


def is_available() -> bool:
    """True when pytesseract imports and the tesseract program is on PATH."""
    return (importlib.util.find_spec("pytesseract") is not None
            and shutil.which("tesseract") is not None)


def detect_text(image: NDArray[np.uint8]) -> list[Box]:
    """Boxes (x0, y0, x1, y1) of every word tesseract finds in an 8-bit RGB image."""
    import pytesseract
    from PIL import Image

    picture = Image.fromarray(image).convert("L")
    picture = picture.resize((picture.width * UPSCALE, picture.height * UPSCALE))
    data = pytesseract.image_to_data(picture, config="--psm 11",
                                     output_type=pytesseract.Output.DICT)
    boxes: list[Box] = []
    for text, left, top, width, height in zip(data["text"], data["left"], data["top"],
                                              data["width"], data["height"], strict=True):
        if str(text).strip():
            boxes.append((left // UPSCALE, top // UPSCALE, -(-(left + width) // UPSCALE),
                          -(-(top + height) // UPSCALE)))
    return boxes
