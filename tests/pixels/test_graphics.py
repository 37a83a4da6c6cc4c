"""Clean Graphics: text in overlay planes blanked; overlays in unused pixel bits cleared."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from PIL import Image, ImageDraw, ImageFont
from pydicom.data import get_testdata_file
from pydicom.pixels.utils import pack_bits

import medanon
from medanon.custody.keys import SecretKey
from medanon.pixels.graphics import embedded_overlays, overlay_planes
from medanon.profile.recipe import parse_recipe

KEY = SecretKey(bytes(range(32)))
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _ct_with_overlay(text: str) -> tuple[pydicom.Dataset, np.ndarray]:
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    plane = Image.new("1", (ds.Columns, ds.Rows))
    draw = ImageDraw.Draw(plane)
    draw.rectangle((90, 90, 120, 120), outline=1)  # a region outline: not text
    draw.text((4, 4), text, font=ImageFont.truetype(FONT, 14), fill=1)
    bits = np.asarray(plane, dtype=np.uint8)
    ds.add_new(0x60000010, "US", ds.Rows)
    ds.add_new(0x60000011, "US", ds.Columns)
    ds.add_new(0x60000040, "CS", "G")
    ds.add_new(0x60000050, "SS", [1, 1])
    ds.add_new(0x60000100, "US", 1)
    ds.add_new(0x60000102, "US", 0)
    ds.add_new(0x60003000, "OW", pack_bits(bits.reshape(-1), pad=True))
    return ds, bits


@pytest.mark.usefixtures("ocr_engine")
def test_clean_graphics_blanks_text_in_an_overlay_plane() -> None:
    ds, bits = _ct_with_overlay("DOE JOHN 1234")
    recipe = parse_recipe('options = ["clean-graphics"]\n')
    out = medanon.deidentify_dataset(ds, KEY, recipe)
    assert overlay_planes(out) == (0x6000,)
    after = out.overlay_array(0x6000)
    assert bits[:24, :].any() and not after[:24, :110].any()  # the text is gone
    assert after[90:121, 90:121].any()  # the outline is kept
    assert np.array_equal(out.pixel_array, ds.pixel_array)  # CT pixels untouched
    assert "113101" not in [c.CodeValue for c in out.DeidentificationMethodCodeSequence]


def test_without_clean_graphics_overlays_are_removed_as_before() -> None:
    ds, _ = _ct_with_overlay("DOE JOHN")
    out = medanon.deidentify_dataset(ds, KEY)
    assert not overlay_planes(out) and not [t for t in out.keys() if t >> 16 == 0x6000]


def test_an_overlay_in_unused_high_bits_is_cleared() -> None:
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.BitsStored, ds.HighBit = 12, 11
    stored = np.frombuffer(ds.PixelData, "<u2") & 0x0FFF
    hidden = stored | 0x1000  # an overlay plane at bit 12 over the whole image
    ds.PixelData = hidden.astype("<u2").tobytes()
    ds.add_new(0x60000010, "US", ds.Rows)
    ds.add_new(0x60000011, "US", ds.Columns)
    ds.add_new(0x60000100, "US", 16)
    ds.add_new(0x60000102, "US", 12)
    assert embedded_overlays(ds) == (0x6000,)
    out = medanon.deidentify_dataset(ds, KEY, parse_recipe('[pixels]\nocr = "off"\n'))
    written = np.frombuffer(out.PixelData, "<u2")
    assert np.array_equal(written, stored)
    assert not [t for t in out.keys() if t >> 16 == 0x6000]
