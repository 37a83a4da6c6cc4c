"""The second OCR backend, Debian's tesseract-ocr, measured against rapidocr in bench/pixels.

Run for real (scripts/test installs tesseract-ocr): the comparison recorded in
bench/RESULTS.md is only meaningful while this backend still finds words.
"""

from __future__ import annotations

import random
from types import ModuleType

import numpy as np
import pytest

from medanon.pixels import ocr_tesseract
from tests.pixels.conftest import _missing


@pytest.fixture(scope="module")
def tesseract() -> None:
    if not ocr_tesseract.is_available():
        _missing("tesseract-ocr and pytesseract")


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> int:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return max(width, 0) * max(height, 0)


@pytest.mark.usefixtures("tesseract")
def test_large_white_text_on_black_is_boxed(generate: ModuleType) -> None:
    from PIL import Image

    canvas = Image.new("RGB", (480, 160))
    truth = generate.draw_text(canvas, random.Random(3), "dejavu-sans", 24,
                               generate.COLOURS["white"], "top-left", 0, False)
    assert truth is not None
    found = ocr_tesseract.detect_text(np.asarray(canvas))
    assert found, "tesseract found no word"
    covered = sum(_overlap(box, truth) for box in found)
    area = (truth[2] - truth[0]) * (truth[3] - truth[1])
    assert covered >= 0.5 * area
    for box in found:  # every box lies on the text line, not elsewhere on the black
        assert _overlap(box, truth) > 0


@pytest.mark.usefixtures("tesseract")
def test_a_blank_image_has_no_box() -> None:
    assert ocr_tesseract.detect_text(np.zeros((120, 200, 3), np.uint8)) == []
