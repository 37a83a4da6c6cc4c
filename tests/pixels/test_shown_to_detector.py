"""The picture the detector reads: a dark image by its brightest channel, a page in colour."""

from __future__ import annotations

from types import ModuleType

import numpy as np

from medanon.pixels import ocr_rapid
from medanon.pixels.render import to_rgb8
from tests.pixels.conftest import blanked


def test_the_detector_reads_a_dark_image_by_its_brightest_channel() -> None:
    dark = np.zeros((48, 64, 3), np.uint8)
    dark[10:20, 10:40] = (0, 230, 60)  # green type
    shown = ocr_rapid.shown_to_detector(dark, dark.max(axis=-1))
    assert (shown[15, 20] == 230).all() and (shown[0, 0] == 0).all()
    page = np.full((48, 64, 3), 255, np.uint8)
    page[10:20, 10:40] = (255, 0, 0)  # red type on white: only its hue tells it apart
    assert ocr_rapid.shown_to_detector(page, page.max(axis=-1)) is page


def test_small_green_type_on_palette_speckle_is_found(generate: ModuleType,
                                                      ocr_engine: None) -> None:
    """8 px green type on a palette image's speckle: the palette's quantised greys
    alternate between two hues, and in colour the detector did not mark the line."""
    item = generate.sample(3 * 100_000 + 165, kind="palette")
    picture = to_rgb8(item.frames[0], item.photometric, 8, False, generate.dataset_of(item))
    (truth,) = item.boxes[0]
    assert blanked(picture)[truth[1]:truth[3], truth[0]:truth[2]].all()
