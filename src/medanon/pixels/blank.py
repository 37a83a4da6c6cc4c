"""Blank rectangles of a frame array in place: the one operation that removes text."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from medanon.pixels.settings import Box


def grow(box: Box, margin: int, rows: int, columns: int) -> Box | None:
    """``box`` widened by ``margin`` and clipped to the image; None when nothing is left."""
    x0, y0 = max(0, box[0] - margin), max(0, box[1] - margin)
    x1, y1 = min(columns, box[2] + margin), min(rows, box[3] + margin)
    return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


def blank_boxes(frame: NDArray[np.generic], boxes: tuple[Box, ...], margin: int,
                fill: NDArray[np.generic] | int | float) -> list[Box]:
    """Set every box (plus margin) of ``frame`` to ``fill``; returns the areas blanked.

    ``frame`` is rows × columns (× samples), changed in place; ``fill`` is a scalar or
    one value per sample.
    """
    rows, columns = frame.shape[0], frame.shape[1]
    blanked: list[Box] = []
    for box in boxes:
        area = grow(box, margin, rows, columns)
        if area is None:
            continue
        x0, y0, x1, y1 = area
        frame[y0:y1, x0:x1, ...] = fill
        blanked.append(area)
    return blanked
