"""Sequence of Ultrasound Regions: the screen around the image is searched most sensitively."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np
import pydicom
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFont
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

import medanon
from medanon.custody.keys import SecretKey
from medanon.pixels.us_regions import outside, ultrasound_regions

KEY = SecretKey(bytes(range(32)))
REGION = (88, 36, 551, 447)  # the sector's bounds, maxima inclusive as the header gives them
Box = tuple[int, int, int, int]


def _with_regions(ds: Dataset, regions: list[tuple[int, int, int, int]]) -> Dataset:
    items = []
    for x0, y0, x1, y1 in regions:
        item = Dataset()
        item.RegionLocationMinX0, item.RegionLocationMinY0 = x0, y0
        item.RegionLocationMaxX1, item.RegionLocationMaxY1 = x1, y1
        item.RegionSpatialFormat = 1
        items.append(item)
    ds.SequenceOfUltrasoundRegions = Sequence(items)
    return ds


@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 40), st.integers(0, 60),
                          st.integers(0, 40)), max_size=3))
def test_the_mask_is_false_exactly_inside_the_regions(corners: list[Box]) -> None:
    regions = [(min(a, c), min(b, d), max(a, c), max(b, d)) for a, b, c, d in corners]
    found = ultrasound_regions(_with_regions(Dataset(), regions))
    assert found == tuple((x0, y0, x1 + 1, y1 + 1) for x0, y0, x1, y1 in regions)
    mask = outside(found, 40, 60)
    if not regions:
        assert mask is None
        return
    assert mask is not None
    for y in range(40):
        for x in range(0, 60, 7):
            inside = any(x0 <= x <= x1 and y0 <= y <= y1 for x0, y0, x1, y1 in regions)
            assert mask[y, x] == (not inside)


def test_unreadable_items_are_skipped() -> None:
    ds = _with_regions(Dataset(), [(1, 2, 30, 40)])
    broken = Dataset()
    broken.RegionLocationMinX0 = 5  # the other corners are missing
    ds.SequenceOfUltrasoundRegions.append(broken)
    assert ultrasound_regions(ds) == ((1, 2, 31, 41),)
    assert ultrasound_regions(Dataset()) == ()


def _screen(generate: ModuleType, ink: int) -> tuple[np.ndarray, Box]:
    """A sector of speckle and, below it, a faint settings line (nothing identifying)."""
    grey = generate.background("us", 480, 640, np.random.default_rng(3))
    canvas = Image.fromarray((grey * 255).astype(np.uint8)).convert("RGB")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.truetype(str(generate.FONTS["dejavu-sans"]), 12)
    text = "GAIN 52 DR 60 FR 31"
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    box = (20, 458, 20 + right - left, 458 + bottom - top)
    draw.rectangle((box[0] - 3, box[1] - 3, box[2] + 3, box[3] + 3), fill=(16, 16, 16))
    draw.text((box[0] - left, box[1] - top), text, font=font, fill=(ink,) * 3)
    return np.asarray(canvas), box


@pytest.mark.usefixtures("ocr_engine")
@pytest.mark.parametrize("ink", [24, 26, 28])
def test_faint_text_outside_the_regions_is_blanked(generate: ModuleType, ink: int) -> None:
    frame, box = _screen(generate, ink)
    ds = generate.dataset_of(generate.Sample(frame[None], "rgb", [[]], [[]]), burned_in="NO")
    x0, y0, x1, y1 = box
    plain = medanon.deidentify_dataset(ds, KEY).pixel_array
    assert plain[y0:y1, x0:x1].any()  # the usual settings leave some of it
    out = medanon.deidentify_dataset(_with_regions(ds, [REGION]), KEY).pixel_array
    assert not out[y0:y1, x0:x1].any()
    rx0, ry0, rx1, ry1 = REGION
    inside = (out != frame).any(axis=-1)[ry0:ry1 + 1, rx0:rx1 + 1]
    assert inside.mean() < 0.02  # the image itself is searched as usual


def test_regions_in_a_written_file_are_read_back(generate: ModuleType, tmp_path: Path) -> None:
    frame, _box = _screen(generate, 30)
    ds = _with_regions(generate.dataset_of(generate.Sample(frame[None], "rgb", [[]], [[]])),
                       [REGION])
    ds.save_as(tmp_path / "us.dcm", enforce_file_format=True)
    again = pydicom.dcmread(tmp_path / "us.dcm", stop_before_pixels=True)
    assert ultrasound_regions(again) == ((88, 36, 552, 448),)
