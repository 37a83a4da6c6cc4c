"""What the pixel step did to one file, in coordinates only: the record a run keeps.

A reviewer (and the run report's before/after thumbnails) must see where pixels were
blanked without the record ever holding what they showed: a box is a frame index and a
rectangle, never text, a score or a pixel value.
"""

from __future__ import annotations

from dataclasses import dataclass

#: ``plane`` of a box blanked in the image (Pixel Data); an overlay plane's box has the
#: overlay's group (0x6000 to 0x601E) instead.
IMAGE_PLANE = 0


@dataclass(frozen=True)
class BlankedBox:
    """One rectangle that was blanked: x0, y0 inclusive, x1, y1 exclusive, margin included.

    ``frame`` counts from 0 in the order the frames are stored; ``plane`` says whether the
    box is in the image (:data:`IMAGE_PLANE`) or in the overlay plane of that group.
    """

    frame: int
    x0: int
    y0: int
    x1: int
    y1: int
    plane: int = IMAGE_PLANE


@dataclass(frozen=True)
class PixelRecord:
    """One file the pixel step ran on: frames OCR searched and every box blanked.

    ``clean_pixel_data`` is True when the image itself was cleaned (searched by OCR or
    blanked by a region rule: BurnedInAnnotation NO and the Clean Pixel Data code); False
    when only overlays were (Clean Graphics, overlay bits). ``frames_searched`` is 0 when
    no OCR search ran (region rules only).
    """

    frames_searched: int
    boxes: tuple[BlankedBox, ...] = ()
    clean_pixel_data: bool = True
