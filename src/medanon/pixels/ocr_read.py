"""Reading a text line: the PP-OCR recognition model shipped in the ``rapidocr`` wheel.

Detection is the safety gate; reading is the second signal. A line the detector scored
too low to blank, or faint ink it did not mark at all, is read, and blanked when it reads
as one of the file's own identifying values (:mod:`medanon.pixels.identifying`). Only
such candidates are read, never every line, so the pixel step keeps its speed.

Each crop's contrast is stretched to the full range first: faint text (grey on a dark
backing a few levels apart) reads as well as white. The model's character list is in
its own metadata; nothing is downloaded.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from medanon.pixels.ocr_models import installed_model
from medanon.pixels.settings import Box

MODEL_NAMES = ("PP-OCRv6_rec_small.onnx", "PP-OCRv5_rec_mobile.onnx", "ch_PP-OCRv4_rec_infer.onnx")
#: The height the model reads lines at (PP-OCR's rec_img_shape).
HEIGHT = 48
#: Lines wider than this many heights are cut: a burned-in line is a few words.
MAX_RATIO = 40
#: Padding around a candidate box before reading, as a share of its height.
PAD = 0.25
#: Percentiles that set the stretch of a crop (ink may be a few levels off its field).
LOW_PERCENTILE, HIGH_PERCENTILE = 1.0, 99.5


def model_path() -> Path | None:
    """The recognition model inside the installed rapidocr package, or None."""
    return installed_model(MODEL_NAMES)


@lru_cache(maxsize=1)
def _session() -> tuple[Any, tuple[str, ...]]:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(str(model_path()), options,
                                           providers=["CPUExecutionProvider"])
    listed = session.get_modelmeta().custom_metadata_map.get("character", "")
    # CTC: index 0 is the blank, the listed characters follow, then the space.
    return session, ("", *listed.splitlines(), " ")


def read_lines(grey: NDArray[np.uint8], boxes: list[Box]) -> list[str]:
    """The text of each box of ``grey``, one string per box ("" when unread).

    ``grey`` is the image's brightest channel (:func:`medanon.pixels.render.brightest`).
    """
    return [_read(_crop(grey, box)) for box in boxes]


def _crop(grey: NDArray[np.uint8], box: Box) -> NDArray[np.float32]:
    """The box (padded) at the model's height, its contrast stretched to -1..1."""
    import cv2

    x0, y0, x1, y1 = box
    pad = max(2, int((y1 - y0) * PAD))
    patch = grey[max(0, y0 - pad):y1 + pad, max(0, x0 - pad):x1 + pad].astype(np.float32)
    low, high = np.percentile(patch, (LOW_PERCENTILE, HIGH_PERCENTILE))
    stretched = np.clip((patch - low) / max(1.0, float(high - low)), 0.0, 1.0)
    rows, columns = stretched.shape
    width = int(min(MAX_RATIO, max(1.0, columns / max(1, rows))) * HEIGHT)
    resized = cv2.resize(stretched, (width, HEIGHT), interpolation=cv2.INTER_LINEAR)
    result: NDArray[np.float32] = (resized * 2.0 - 1.0).astype(np.float32)
    return result


def _read(line: NDArray[np.float32]) -> str:
    session, characters = _session()
    tensor = np.repeat(line[None], 3, axis=0)[None]
    scores = session.run(None, {session.get_inputs()[0].name: tensor})[0][0]
    best = scores.argmax(axis=-1)
    keep = np.ones(best.shape, bool)
    keep[1:] = best[1:] != best[:-1]  # CTC: a repeated label is one character
    return "".join(characters[i] for i in best[keep & (best != 0)] if i < len(characters))
