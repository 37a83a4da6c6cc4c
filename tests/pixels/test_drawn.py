"""A box in which nothing is drawn (every row one value) is not text, and is not blanked.

The detector also marks the edges between flat areas: colour bars, the flat panels of a
screen. pydicom's colour-bar secondary captures were a quarter to three quarters blanked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom

import medanon
from medanon.custody.keys import SecretKey
from medanon.pixels.ocr_rapid import drawn

BARS = Path(pydicom.__file__).parent / "data" / "test_files" / "SC_rgb_rle.dcm"


def test_rows_of_one_value_are_not_drawn_and_a_stroke_is() -> None:
    image = np.zeros((40, 60, 3), np.uint8)
    image[:20] = (255, 0, 0)  # two flat bands: the edge between them is horizontal
    image[20:] = (128, 128, 128)
    assert not drawn(image, (0, 0, 60, 40))
    image[10:14, 30] = (255, 255, 255)  # one stroke across a row
    assert drawn(image, (0, 0, 60, 40))
    assert drawn(image, (25, 5, 35, 15)) and not drawn(image, (40, 0, 60, 40))
    noisy = image.copy()
    noisy[30, 40:50] = (135, 121, 128)  # a lossy flat area's noise: under the edge
    assert not drawn(noisy, (40, 20, 60, 40))


def test_colour_bars_come_out_as_they_went_in(ocr_engine: None) -> None:
    """An OT image, so searched by default: its flat bars are left alone."""
    source = pydicom.dcmread(BARS)
    assert source.Modality == "OT"
    out = medanon.deidentify_dataset(source, SecretKey(bytes(range(32))))
    assert np.array_equal(out.pixel_array, source.pixel_array)
    assert out.BurnedInAnnotation == "NO"  # searched, nothing found
