"""Detected boxes fitted to the ink: cropped on flat fields, widened along a line's words."""

from __future__ import annotations

import numpy as np

from medanon.pixels.tighten import extend_line, tighten


def _line() -> np.ndarray:
    grey = np.zeros((40, 200), np.uint8)
    grey[10:20, 20:30] = 255  # a short word ("ID")
    grey[10:20, 38:120] = 255  # the rest of the line, 8 px further on
    return grey


def test_tighten_crops_a_generous_box_to_its_ink() -> None:
    assert tighten(_line(), (30, 2, 130, 30)) == (38, 10, 120, 20)


def test_a_box_where_nothing_stands_out_is_kept() -> None:
    assert tighten(np.full((40, 200), 90, np.uint8), (5, 5, 50, 20)) == (5, 5, 50, 20)


def test_extend_line_takes_in_the_missed_word_on_a_flat_field() -> None:
    assert extend_line(_line(), (38, 10, 120, 20)) == (20, 10, 120, 20)


def test_extend_line_does_not_follow_texture() -> None:
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 255, (40, 200)).astype(np.uint8)
    grey[10:20, 38:120] = 255
    assert extend_line(grey, (38, 10, 120, 20)) == (38, 10, 120, 20)


def test_the_antialiased_rows_of_faint_type_stay_inside() -> None:
    """Type 40 levels above its background: its edge rows, half covered, are 20 above."""
    grey = np.full((40, 200), 100, np.uint8)
    grey[12:18, 30:150] = 140  # the strokes' cores
    grey[11, 30:150] = grey[18, 30:150] = 121  # their antialiased edges
    assert tighten(grey, (20, 4, 160, 30)) == (30, 11, 150, 19)
