"""Sequence of Ultrasound Regions: where the image is, so that text is searched for outside.

An ultrasound header may say where its image data lies (RegionLocationMinX0, MinY0,
MaxX1, MaxY1 of each item of (0018,6011)); the screen around those regions is where the
machine writes the patient's name, the date and its settings. That area is searched with
the detector's most sensitive settings (:mod:`medanon.pixels.ocr_rapid`). An item whose
location is missing or unreadable is skipped: the whole frame is searched as usual.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from medanon.pixels.settings import Box

SEQUENCE = 0x00186011
CORNERS = ("RegionLocationMinX0", "RegionLocationMinY0", "RegionLocationMaxX1",
           "RegionLocationMaxY1")


def ultrasound_regions(dataset: Dataset) -> tuple[Box, ...]:
    """The image regions the header gives (x0, y0 inclusive, x1, y1 exclusive)."""
    try:
        items = dataset[SEQUENCE].value if SEQUENCE in dataset else ()
    except Exception:  # an undecodable sequence: no regions, the usual search
        return ()
    regions: list[Box] = []
    for item in items or ():
        try:
            x0, y0, x1, y1 = (int(item[name].value) for name in CORNERS)
        except (KeyError, TypeError, ValueError):
            continue
        if 0 <= x0 <= x1 and 0 <= y0 <= y1:
            regions.append((x0, y0, x1 + 1, y1 + 1))  # the maxima are inclusive
    return tuple(regions)


def outside(regions: tuple[Box, ...], rows: int, columns: int) -> NDArray[np.bool_] | None:
    """The frame's area outside every region, as a mask; None when there are no regions."""
    if not regions:
        return None
    mask = np.ones((rows, columns), bool)
    for x0, y0, x1, y1 in regions:
        mask[y0:y1, x0:x1] = False
    return mask
