"""Shrink a detected text box to the ink inside it, so blanking spares the image around.

Detectors return generous boxes (DB "unclips" its kernels); on a flat or dark background
much of that box is not text. The ink is what stands out from the box's own typical
value, whatever its polarity; a box where nothing stands out is kept as it came.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from medanon.pixels.settings import Box

#: How far (0-255) a pixel must stand out from the box's median to count as ink: the
#: antialiased edge of type 40 levels above its background (green on a CT organ, grey on
#: speckle) is half that. Cropped at 40, such lines lost their top and bottom rows.
MIN_CONTRAST = 20
#: The widest gap between two characters of one line, as a share of the line's height.
GAP_PER_HEIGHT = 1.0
#: How far a line may be widened on each side, as a share of its height (a short word).
MAX_EXTENSION_PER_HEIGHT = 4.0
#: Rows above and below a line that must be flat (standard deviation at most FLAT_STD)
#: before it is widened: text sits on a flat field or a backing, texture is not flat.
BAND = 3
FLAT_STD = 12.0


def tighten(grey: NDArray[np.uint8], box: Box) -> Box:
    """``box`` cropped to the rows and columns holding ink (``grey`` is rows × columns)."""
    x0, y0, x1, y1 = box
    patch = grey[y0:y1, x0:x1].astype(np.int16)
    if patch.size == 0:
        return box
    ink = np.abs(patch - int(np.median(patch))) >= MIN_CONTRAST
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return box
    return (x0 + int(columns[0]), y0 + int(rows[0]), x0 + int(columns[-1]) + 1,
            y0 + int(rows[-1]) + 1)


def extend_line(grey: NDArray[np.uint8], box: Box) -> Box:
    """``box`` widened along its line while ink continues within a character's gap.

    A detector may find a line in pieces and miss a short word at its end ("ID" before a
    number); the ink beside the box, in the same rows, is what continues the line. Ink
    that runs on for more than a short word is texture, and that side is left as it was.
    """
    x0, y0, x1, y1 = box
    height = y1 - y0
    if height <= 0 or not flat_around(grey, box, int(height * MAX_EXTENSION_PER_HEIGHT)):
        return box
    strip = grey[y0:y1].astype(np.int16)
    ink: NDArray[np.bool_] = np.asarray(
        (np.abs(strip - int(np.median(strip))) >= MIN_CONTRAST).any(axis=0))
    gap = max(2, int(height * GAP_PER_HEIGHT))
    left = x0
    while left > 0:
        window = ink[max(0, left - gap):left]
        hits = np.flatnonzero(window)
        if hits.size == 0:
            break
        left = max(0, left - gap) + int(hits[0])
    right = x1
    while right < ink.size:
        window = ink[right:right + gap]
        hits = np.flatnonzero(window)
        if hits.size == 0:
            break
        right = right + int(hits[-1]) + 1
    # Ink that runs on further than a short word is texture (speckle, an edge): not text.
    reach = int(height * MAX_EXTENSION_PER_HEIGHT)
    return (left if x0 - left <= reach else x0, y0, right if right - x1 <= reach else x1, y1)


def flat_around(grey: NDArray[np.uint8], box: Box, reach: int) -> bool:
    """True when the rows just above and below the line are flat (no texture to follow)."""
    x0, y0, x1, y1 = box
    lo, hi = max(0, x0 - reach), min(grey.shape[1], x1 + reach)
    bands = [grey[max(0, y0 - BAND):y0, lo:hi], grey[y1:y1 + BAND, lo:hi]]
    bands = [band for band in bands if band.size]
    return bool(bands) and all(float(np.std(band)) <= FLAT_STD for band in bands)
