"""Shrink a detected text box to the ink inside it, so blanking spares the image around.

Detectors return generous boxes (DB "unclips" its kernels); on a flat or dark background
much of that box is not text. The ink is what stands out from the box's own typical
value, whatever its polarity; a box where nothing stands out is kept as it came.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from medanon.pixels.settings import Box

#: How far (0-255) a pixel must stand out from the box's median to count as ink.
MIN_CONTRAST = 40


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
