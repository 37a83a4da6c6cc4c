"""Turn one frame into the 8-bit RGB picture a text detector reads.

Burned-in text is drawn for a display: the photometric interpretation is applied first
(palette lookup, YBR to RGB, MONOCHROME1 inverted), then a monochrome image deeper than
8 bits is scaled from its minimum to its maximum, so the brightest pixels (where overlay
text lives) reach white whatever the bit depth. (A window that clips the top few percent
was tried: on a dark image with a dark text backing it turned the backing white and hid
the text in it.)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset


def stored_values(frame: NDArray[np.generic], bits_stored: int, signed: bool
                  ) -> NDArray[np.int64]:
    """The pixel values as the header means them: unused high bits masked, sign applied."""
    values = frame.astype(np.int64) & ((1 << bits_stored) - 1)
    if signed:
        values = np.where(values >= 1 << (bits_stored - 1), values - (1 << bits_stored), values)
    return values


def to_rgb8(frame: NDArray[np.generic], photometric: str, bits_stored: int, signed: bool,
            palette_source: Dataset | None = None) -> NDArray[np.uint8]:
    """An 8-bit RGB rendering (rows × columns × 3) of ``frame`` (rows × columns × samples)."""
    if photometric == "PALETTE COLOR" and palette_source is not None:
        from pydicom.pixels.processing import apply_color_lut

        colour = apply_color_lut(frame[..., 0], palette_source)
        bits = int(np.max(colour)).bit_length() if colour.size else 8
        shift = max(0, bits - 8)
        return (colour >> shift).astype(np.uint8)
    if frame.shape[-1] == 3:
        if photometric.startswith("YBR"):
            from pydicom.pixels.processing import convert_color_space

            frame = convert_color_space(frame, "YBR_FULL", "RGB")
        if frame.dtype != np.uint8:
            peak = max(1, int(frame.max()))
            return (frame.astype(np.float64) * (255 / peak)).astype(np.uint8)
        return np.ascontiguousarray(frame)
    if frame.dtype.kind == "f":
        grey = _floats_to_grey(frame[..., 0])
        return np.repeat(grey[..., None], 3, axis=-1)
    values = stored_values(frame[..., 0], bits_stored, signed)
    if bits_stored <= 8 and not signed:
        grey = values.astype(np.uint8)  # shown as stored: the text's own contrast
    else:
        # Deeper images: the full range onto 0-255. Overlay text is drawn at or near the
        # top of the range, so it stays the brightest thing in the picture.
        low, high = int(values.min()), int(values.max())
        grey = ((values - low) * (255.0 / max(1, high - low))).astype(np.uint8)
    if photometric == "MONOCHROME1":
        grey = 255 - grey
    return np.repeat(grey[..., None], 3, axis=-1)


def _floats_to_grey(values: NDArray[np.generic]) -> NDArray[np.uint8]:
    """A float map's finite range onto 0-255 (NaN and infinities shown as its lowest)."""
    finite = np.isfinite(values)
    if not finite.any():
        return np.zeros(values.shape, dtype=np.uint8)
    low, high = float(values[finite].min()), float(values[finite].max())
    scale = 255.0 / (high - low) if high > low else 0.0
    shown = np.where(finite, values, low).astype(np.float64)
    return np.clip((shown - low) * scale, 0, 255).astype(np.uint8)


def brightest(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The brightest channel of each pixel of an 8-bit RGB image (rows × columns).

    Yellow and green text stand out in it as much as white. Taken pairwise: numpy's
    reduction over a last axis of three is over ten times slower on a whole frame.
    """
    return np.maximum(np.maximum(image[..., 0], image[..., 1]), image[..., 2])
