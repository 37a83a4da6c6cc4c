"""Faint lines the detector does not mark: ink a few levels off a flat field.

The DB detector's probability vanishes for text only a few grey levels brighter than its
backing (a dimmed overlay, a low-contrast caption), yet such text is readable and may be
the patient's name. These boxes are candidates for the second signal only: they are read
(:mod:`medanon.pixels.ocr_read`) and blanked when they read as one of the file's own
identifying values, never blanked on their shape alone. So they must be few: ink is what
differs from the local median, characters are joined into lines, and a line counts only
with the rows above and below it flat (texture, such as speckle, is not a backing).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from medanon.pixels.settings import Box
from medanon.pixels.tighten import flat_around

#: How far (0-255) ink must differ from the local median: faint, but above JPEG noise.
MIN_CONTRAST = 6
#: The window of the local median (odd); wider than a character's stroke.
MEDIAN = 15
#: The joint that makes one line of a row of characters: rows × columns.
JOIN = (3, 9)
#: A line's height, in image pixels (8 px type is about 6 px tall; 40 px about 30).
MIN_HEIGHT, MAX_HEIGHT = 5, 64
#: A line's width per height at least: a word of three letters.
WORD_SHAPE = 1.5
#: The share of a line's box that is ink: strokes, not a filled patch or a dot.
MIN_INK, MAX_INK = 0.05, 0.7


def faint_lines(grey: NDArray[np.uint8]) -> list[Box]:
    """Line boxes of faint ink in ``grey`` (rows × columns).

    Lines the detector found in part come out whole (the caller skips those it covers).
    """
    import cv2

    # The background varies slowly: its median is taken at half the size (four times
    # cheaper) and brought back up.
    rows, columns = grey.shape
    half = cv2.resize(grey, ((columns + 1) // 2, (rows + 1) // 2), interpolation=cv2.INTER_AREA)
    median = cv2.resize(cv2.medianBlur(half, MEDIAN // 2 | 1), (columns, rows),
                        interpolation=cv2.INTER_LINEAR)
    ink = (cv2.absdiff(grey, median) >= MIN_CONTRAST).astype(np.uint8)
    joined = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones(JOIN, np.uint8))
    count, _labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    lines: list[Box] = []
    for index in range(1, count):
        x, y, w, h, _area = (int(v) for v in stats[index])
        if not MIN_HEIGHT <= h <= MAX_HEIGHT or w < WORD_SHAPE * h:
            continue
        share = float(ink[y:y + h, x:x + w].mean())
        box = (x, y, x + w, y + h)
        if MIN_INK <= share <= MAX_INK and flat_around(grey, box, 0):
            lines.append(box)
    return lines
