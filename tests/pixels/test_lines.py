"""The words of one line are blanked as one box; boxes of different lines stay apart."""

from __future__ import annotations

from types import ModuleType

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFont

from medanon.pixels import ocr_rapid
from medanon.pixels.blank import grow
from medanon.pixels.lines import join_words, words_of_one_line
from medanon.pixels.settings import DEFAULT_PIXELS, Box


def test_two_words_a_space_apart_are_one_line() -> None:
    # "ID" and its number in 20 px monospaced type: 14 px of space between their ink.
    assert join_words([(501, 459, 523, 472), (537, 459, 631, 472)]) == [(501, 459, 631, 472)]


def test_a_line_of_three_words_comes_out_whole_in_any_order() -> None:
    words = [(200, 10, 240, 22), (10, 10, 80, 22), (95, 11, 185, 23)]
    assert join_words(words) == [(10, 10, 240, 23)]
    assert join_words(words[::-1]) == [(10, 10, 240, 23)]


def test_boxes_of_different_lines_or_sizes_stay_apart() -> None:
    above_below = [(10, 10, 100, 22), (10, 28, 100, 40)]  # two lines of one block
    far_apart = [(10, 10, 60, 22), (100, 10, 160, 22)]  # 40 px apart at 12 px height
    big_and_small = [(10, 10, 200, 40), (205, 30, 230, 38)]  # a caption beside a heading
    specks = [(10, 10, 13, 13), (14, 10, 17, 13)]  # texture, not words
    for boxes in (above_below, far_apart, big_and_small, specks):
        assert sorted(join_words(boxes)) == sorted(boxes)


boxes = st.builds(lambda x, y, w, h: (x, y, x + w, y + h), st.integers(0, 600),
                  st.integers(0, 440), st.integers(1, 120), st.integers(1, 40))


@given(st.lists(boxes, max_size=12))
def test_joining_covers_every_box_and_leaves_no_two_words_of_one_line(
        found: list[Box]) -> None:
    joined = join_words(found)
    for box in found:
        assert any(j[0] <= box[0] and j[1] <= box[1] and box[2] <= j[2] and box[3] <= j[3]
                   for j in joined)
    assert len(joined) <= len(found)
    assert not any(words_of_one_line(a, b) for i, a in enumerate(joined)
                   for b in joined[i + 1:])


def test_two_words_the_detector_finds_apart_are_blanked_as_one_line(
        generate: ModuleType, ocr_engine: None) -> None:
    """12 px type, "ID" and its number 12 px apart: the detector returns two boxes, and
    the space between them, wider than twice the margin, was left."""
    canvas = Image.new("RGB", (640, 480))
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.truetype(str(generate.FONTS["dejavu-sans"]), 12)
    _left, top, right, bottom = draw.textbbox((0, 0), "ID", font=font)
    draw.text((100, 200), "ID", font=font, fill=(255, 255, 255))
    draw.text((100 + right + int(1.4 * (bottom - top)), 200), "46314820", font=font,
              fill=(255, 255, 255))
    image = np.asarray(canvas)
    ink = np.argwhere(image.max(axis=-1) > 0)
    (y0, x0), (y1, x1) = ink.min(axis=0), ink.max(axis=0) + 1
    found = ocr_rapid.detect_text(image)
    assert len(found) == 1
    area = grow(found[0], DEFAULT_PIXELS.margin, 480, 640)
    assert area is not None
    assert area[0] <= x0 and area[1] <= y0 and x1 <= area[2] and y1 <= area[3]
