"""Areas the detector marks too big to be a line: texture, or text merged into it.

On ultrasound speckle or a CT body the DB detector's probability can cover a whole
textured area; split at its own higher thresholds such an area stays a blob, and a box
taller than a line is left. Blanked as they come, these boxes spend most of the
false-blank budget on texture; dropped, they lose the text merged into them. Searched
again in small tiles at 1.75 times the scale, the same detector no longer takes the speckle
for text (it marks a whole area only when it sees much of it at once) and finds the line
inside: the lines found there are kept, the rest of the area is not blanked.
"""

from __future__ import annotations

from collections.abc import Callable

from medanon.pixels.settings import Box

#: A detected box taller than this (image pixels) is not one line: it is searched again.
#: 40 px type makes a box about 30 px tall.
LINE_BOX_HEIGHT = 36
#: The side of a tile searched again (image pixels) and the overlap of two tiles.
TILE = 160
OVERLAP = 32
#: Rows and columns around a box taken into its tile (a line's ends past the box).
PAD = 8
#: In a blob's tiles only lines are kept: this tall (8 px type makes a box of 6), at
#: least this wide (a word), and wider than tall by this; smaller boxes are speckle.
MIN_LINE, MAX_LINE = 6, 64
MIN_WIDTH = 16
WORD_SHAPE = 2.0
#: A line found again inside a tall box is widened by this share of its height on each
#: side: on texture the detector finds a line's middle and misses a short word at its end
#: ("ID" before a number), which the first pass had inside the tall box.
WIDEN = 0.5

#: Runs the detector closer on one tile of the image: boxes in image coordinates.
DetectTile = Callable[[Box], list[Box]]
#: The share of a tile the first pass marked as text-like (0-1).
Marked = Callable[[Box], float]
#: A blob's tile less marked than this is not searched: its unmarked part was read as it
#: is by the first pass, and the corners of a sector's bounds are black.
MIN_MARKED = 0.5


def search_again(tall: list[Box], blobs: list[Box], detect_tile: DetectTile, rows: int,
                 columns: int, marked: Marked | None = None) -> list[Box]:
    """The text boxes found again inside ``tall`` boxes and ``blobs`` (image pixels).

    ``marked`` gives the share of a tile the first pass marked as text-like: a blob's
    tile below :data:`MIN_MARKED` is skipped (it halves the tiles of a sector).

    A tall box is small and the first pass saw text-like ink in it: the lines the closer
    search finds in it are kept, widened along their line; when that search still finds
    something taller than a line, the tall box is kept as it was (never less blanked than
    the first pass would have). A blob can be a whole speckled
    sector: only line-shaped boxes found in its tiles are kept, as found (widened, the
    speckle taken for a word would cost more than the words it would recover).
    """
    found: list[Box] = []
    for area in tall:
        again = [box for tile in tiles(area, rows, columns) for box in detect_tile(tile)]
        if any(box[3] - box[1] > MAX_LINE for box in again):
            found.append(area)  # still no line there: blanked as the first pass found it
        else:
            found.extend(widen(box, columns) for box in again)
    for area in blobs:
        for tile in tiles(area, rows, columns):
            if marked is None or marked(tile) >= MIN_MARKED:
                found.extend(box for box in detect_tile(tile) if is_line(box))
    return found


def widen(box: Box, columns: int) -> Box:
    """``box`` widened by :data:`WIDEN` of its height on each side, within the image."""
    grow = int(WIDEN * (box[3] - box[1]))
    return (max(0, box[0] - grow), box[1], min(columns, box[2] + grow), box[3])


def is_line(box: Box) -> bool:
    """True when ``box`` has the shape of a line of text, not of a patch of texture."""
    width, height = box[2] - box[0], box[3] - box[1]
    return MIN_LINE <= height <= MAX_LINE and width >= max(MIN_WIDTH, WORD_SHAPE * height)


def tiles(area: Box, rows: int, columns: int) -> list[Box]:
    """Overlapping tiles of :data:`TILE` pixels covering ``area`` grown by :data:`PAD`."""
    x0, y0 = max(0, area[0] - PAD), max(0, area[1] - PAD)
    x1, y1 = min(columns, area[2] + PAD), min(rows, area[3] + PAD)
    return [(left, top, min(columns, right), min(rows, bottom)) for top, bottom in _spans(y0, y1)
            for left, right in _spans(x0, x1)]


def _spans(start: int, end: int) -> list[tuple[int, int]]:
    """Windows of :data:`TILE` over start..end, evenly spaced, overlapping.

    Two windows overlap by at least :data:`OVERLAP`. A span shorter than a tile gets one
    tile around its middle: the detector needs the context around a short box to tell a
    line from texture.
    """
    if end - start <= TILE:
        left = max(0, (start + end) // 2 - TILE // 2)
        return [(left, left + TILE)]
    count = -(-(end - start - OVERLAP) // (TILE - OVERLAP))
    step = (end - start - TILE) / (count - 1) if count > 1 else 0
    return [(start + int(index * step), start + int(index * step) + TILE)
            for index in range(count)]
