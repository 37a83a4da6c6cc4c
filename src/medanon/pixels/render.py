"""Turn one frame into the 8-bit RGB picture a text detector reads.

Burned-in text is drawn for a display: the photometric interpretation is applied first
(palette lookup, YBR to RGB, MONOCHROME1 inverted), then a monochrome image is windowed
so that its brightest pixels (where overlay text lives) reach white whatever the bit depth.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

#: The share of brightest pixels mapped to white: text is rarely more than this.
WHITE_SHARE = 0.5


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
    values = stored_values(frame[..., 0], bits_stored, signed)
    low = int(values.min())
    high = int(np.percentile(values, 100 - WHITE_SHARE))
    if high <= low:
        high = int(values.max())
    span = max(1, high - low)
    grey = np.clip((values - low) * (255.0 / span), 0, 255).astype(np.uint8)
    if photometric == "MONOCHROME1":
        grey = 255 - grey
    return np.repeat(grey[..., None], 3, axis=-1)
