"""Synthetic pixel data: small phantoms that look like their modality, plus burned-in text.

Images are small (128 x 128 for CT and MR, 96 x 128 for ultrasound and captures)
so the whole collection stays a few megabytes. Noise comes from the PCG64 bit
stream, whose raw output numpy guarantees across versions, never from the
distribution methods, so pixels are reproducible everywhere.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from medanon.sample.font import GLYPH_HEIGHT, render_text, stamp

CT_SIZE = 128
MR_SIZE = 128
US_SHAPE = (96, 128)
CT_INTERCEPT = -1024


def _noise(seed: int, shape: tuple[int, ...], amplitude: int) -> NDArray[np.int32]:
    """Uniform integer noise in ``[-amplitude, amplitude]`` from the raw PCG64 stream."""
    raw = np.random.PCG64(seed).random_raw(int(np.prod(shape)))
    values = (raw % np.uint64(2 * amplitude + 1)).astype(np.int64) - amplitude
    return values.reshape(shape).astype(np.int32)


def _ellipse(shape: tuple[int, int], cy: float, cx: float, ry: float,
             rx: float) -> NDArray[np.bool_]:
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]]
    inside: NDArray[np.bool_] = ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 <= 1.0
    return inside


def ct_slice(noise_seed: int, position: float, region: str) -> NDArray[np.uint16]:
    """A CT slice in stored values (HU + 1024, 12 bits): body, lungs or brain, bone.

    ``position`` (mm along the table) makes neighbouring slices differ a little,
    as a real volume does.
    """
    shape = (CT_SIZE, CT_SIZE)
    hu = np.full(shape, -1000, dtype=np.int32)
    wobble = 3.0 * np.sin(position / 17.0)
    if region == "HEAD":
        hu[_ellipse(shape, 64, 64, 52 + wobble, 42 + wobble)] = 900
        hu[_ellipse(shape, 64, 64, 47 + wobble, 37 + wobble)] = 35
        hu[_ellipse(shape, 58, 56, 8, 4) | _ellipse(shape, 58, 72, 8, 4)] = 5
    else:
        hu[_ellipse(shape, 66, 64, 40 + wobble, 56)] = 40
        if region == "CHEST":
            hu[_ellipse(shape, 62, 40, 26 + wobble, 16) | _ellipse(shape, 62, 88, 26 + wobble, 16)]\
                = -850
        else:
            hu[_ellipse(shape, 58, 48, 14, 18 + wobble)] = 60
        hu[_ellipse(shape, 96, 64, 8, 8)] = 700
    hu += _noise(noise_seed, shape, 12)
    return np.clip(hu - CT_INTERCEPT, 0, 4095).astype(np.uint16)


def ct_coronal(noise_seed: int, position: float, region: str) -> NDArray[np.uint16]:
    """A coronal CT image (localizer or reformat) in stored values: trunk or head outline."""
    shape = (CT_SIZE, CT_SIZE)
    hu = np.full(shape, -1000, dtype=np.int32)
    squeeze = 1.0 - abs(position) / 120.0
    if region == "HEAD":
        hu[_ellipse(shape, 60, 64, 52, 42 * squeeze)] = 900
        hu[_ellipse(shape, 60, 64, 47, 37 * squeeze)] = 35
    else:
        hu[_ellipse(shape, 70, 64, 62, 50 * squeeze)] = 40
        if region == "CHEST":
            width = 16 * squeeze
            hu[_ellipse(shape, 48, 42, 30, width) | _ellipse(shape, 48, 86, 30, width)] = -850
        hu[30:124, 61:67] = 700
    hu += _noise(noise_seed, shape, 12)
    return np.clip(hu - CT_INTERCEPT, 0, 4095).astype(np.uint16)


def mr_slice(noise_seed: int, index: int, weighting: str) -> NDArray[np.uint16]:
    """An MR slice (12 bits stored): nested blobs whose contrast follows the weighting."""
    shape = (MR_SIZE, MR_SIZE)
    fluid, tissue, fat = (2600, 1200, 900) if weighting == "T2" else (500, 1500, 2200)
    image = np.zeros(shape, dtype=np.int32)
    r = 4.0 * np.cos(index / 2.0)
    image[_ellipse(shape, 64, 64, 54 + r, 46 + r)] = fat
    image[_ellipse(shape, 64, 64, 49 + r, 41 + r)] = tissue
    image[_ellipse(shape, 60, 64, 12, 6 + r / 2)] = fluid
    image += _noise(noise_seed, shape, 40)
    return np.clip(image, 0, 4095).astype(np.uint16)


def us_frame(noise_seed: int) -> NDArray[np.uint8]:
    """An 8-bit ultrasound sector: speckle inside a fan, black outside."""
    rows, cols = US_SHAPE
    y, x = np.mgrid[0:rows, 0:cols].astype(np.float64)
    angle = np.arctan2(x - cols / 2, y + 8)
    radius = np.hypot(x - cols / 2, y + 8)
    fan = (np.abs(angle) < 0.7) & (radius > 18) & (radius < rows + 2)
    speckle = (_noise(noise_seed, US_SHAPE, 60) + 90).astype(np.int32)
    speckle[_ellipse(US_SHAPE, 60, 70, 12, 18)] //= 4
    image = np.where(fan, speckle, 0)
    return np.clip(image, 0, 255).astype(np.uint8)


def burn_lines(image: NDArray[np.uint8], lines: list[str], top: int = 2) -> None:
    """Burn text lines into an 8-bit image, in place, as a modality annotates its frames."""
    for n, line in enumerate(lines):
        stamp(image, line, top + n * (GLYPH_HEIGHT + 2), 2, 255)


def capture_screen(lines: list[str]) -> NDArray[np.uint8]:
    """An 8-bit screen capture (a dose or report page): grey panel with text."""
    image = np.full(US_SHAPE, 24, dtype=np.uint8)
    image[0:12, :] = 70
    burn_lines(image, lines)
    return image


def window_to_8bit(stored: NDArray[np.uint16], low: int, high: int) -> NDArray[np.uint8]:
    """Map stored values to 8 bits through a linear window, as a key-image capture does."""
    scaled = (stored.astype(np.float64) - low) * 255.0 / (high - low)
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def overlay_bitmap(shape: tuple[int, int], label: str) -> NDArray[np.uint8]:
    """A 0/1 overlay plane: a region outline plus a text label, as a reader annotates."""
    plane = np.zeros(shape, dtype=np.uint8)
    plane[40:88, 40] = plane[40:88, 88] = 1
    plane[40, 40:89] = plane[87, 40:89] = 1
    text = render_text(label)
    plane[shape[0] - 10 : shape[0] - 10 + text.shape[0], 2 : 2 + text.shape[1]][text] = 1
    return plane


def curve_points(count: int) -> NDArray[np.uint16]:
    """Interleaved (column, row) points of a closed ROI outline, for legacy curve data."""
    t = np.linspace(0.0, 2.0 * np.pi, count, endpoint=False)
    cols = np.rint(64 + 20 * np.cos(t))
    rows = np.rint(70 + 14 * np.sin(t))
    return np.stack([cols, rows], axis=1).astype(np.uint16).ravel()
