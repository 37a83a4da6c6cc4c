"""Clean Graphics: text in overlay planes blanked, overlays hidden in pixel bits cleared.

Under the Clean Graphics option the profile keeps overlay planes (60xx,3000); a reader's
annotation burned into an overlay is text like any other, so each plane is searched and
blanked the way the image is. An overlay stored in the unused high bits of the Pixel Data
(the retired layout: OverlayBitPosition set, no Overlay Data) is cleared under every
option: the profile removes overlays it cannot clean, and those bits are one.
"""

from __future__ import annotations

import numpy as np
from pydicom.dataset import Dataset

from medanon.pixels.blank import blank_boxes
from medanon.pixels.ocr import FindText
from medanon.pixels.record import BlankedBox

OVERLAY_GROUPS = range(0x6000, 0x6020, 2)
OVERLAY_DATA = 0x3000
OVERLAY_BIT_POSITION = 0x0102


def overlay_planes(dataset: Dataset) -> tuple[int, ...]:
    """The groups of the overlay planes stored as Overlay Data (60xx,3000)."""
    return tuple(g for g in OVERLAY_GROUPS if (g << 16 | OVERLAY_DATA) in dataset)


def embedded_overlays(dataset: Dataset) -> tuple[int, ...]:
    """The groups of overlays kept in Pixel Data bits: a bit position, no Overlay Data."""
    found = []
    for group in OVERLAY_GROUPS:
        if (group << 16 | OVERLAY_DATA) in dataset:
            continue
        tag = group << 16 | OVERLAY_BIT_POSITION
        if tag in dataset:
            try:
                position = int(dataset[tag].value or 0)
            except (TypeError, ValueError):
                position = 1  # unreadable: treat it as an overlay in the pixel bits
            if position:
                found.append(group)
    return tuple(found)


def drop_groups(dataset: Dataset, groups: tuple[int, ...]) -> None:
    """Remove every element of the given overlay groups (their bits are cleared)."""
    for tag in [t for t in dataset.keys() if t >> 16 in groups]:
        del dataset[tag]


def clean_overlay_planes(out: Dataset, detect: FindText, margin: int) -> list[BlankedBox]:
    """Blank the text found in every overlay plane of ``out``; returns the boxes blanked."""
    from pydicom.pixels.utils import pack_bits

    blanked: list[BlankedBox] = []
    for group in overlay_planes(out):
        plane = np.ascontiguousarray(out.overlay_array(group))
        frames = plane if plane.ndim == 3 else plane[None]
        for index, frame in enumerate(frames):
            picture = np.repeat((frame.astype(np.uint8) * 255)[..., None], 3, axis=-1)
            areas = blank_boxes(frame[..., None], tuple(detect(picture)), margin, 0)
            blanked.extend(BlankedBox(index, *area, plane=group) for area in areas)
        out[group << 16 | OVERLAY_DATA].value = pack_bits(frames.reshape(-1), pad=True)
    return blanked
