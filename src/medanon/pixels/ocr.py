"""The OCR backend that gates burned-in text, and whether this machine can run it.

Chosen by recall on the generator of bench/pixels (bench/RESULTS.md): the DB detector of
rapidocr finds far more of the text than tesseract, which stays a benchmark comparison
only (a weaker engine standing in would let text out). A file that must be searched when
the engine is not installed is withheld (fail closed), never written unchecked.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from medanon.pixels import ocr_rapid
from medanon.pixels.reread import TextMatch
from medanon.pixels.settings import Box

BACKENDS: tuple[ModuleType, ...] = (ocr_rapid,)
MISSING = ("burned-in text must be searched for but no OCR engine is installed "
           "(pip install 'medanon[ocr]')")



class Detector(Protocol):
    """A backend's work function: text boxes of an 8-bit RGB image.

    ``match`` is the second signal (:mod:`medanon.pixels.reread`): lines scored low are
    read and blanked when they hold one of the file's identifying values. ``sensitive``
    is where text is expected (outside the ultrasound regions): searched most sensitively.
    """

    def __call__(self, image: NDArray[np.uint8], match: TextMatch | None = None,
                 sensitive: NDArray[np.bool_] | None = None) -> list[Box]:
        """The text boxes (x0, y0, x1, y1) of ``image`` (rows × columns × 3)."""


def detector() -> Detector | None:
    """The first available backend's work function, or None when it is not installed."""
    for backend in BACKENDS:
        if backend.is_available():
            found: Detector = backend.detect_text
            return found
    return None


#: A detector bound to one file's second signal: an image in, its text boxes out.
FindText = Callable[[NDArray[np.uint8]], list[Box]]
