"""The second signal: lines detection scored low are read, and blanked when they name the file.

Detection alone decides most boxes; what it scored below its threshold, and faint ink it
did not mark (:mod:`medanon.pixels.faint`), could still be the patient's name. Those
candidates, and only those, are read (:mod:`medanon.pixels.ocr_read`); a candidate whose
text holds one of the file's own identifying values is blanked whatever its score.
Candidates already inside the detector's boxes are not read again, and at most
:data:`MAX_READ` are read per frame, so the step keeps its speed on textured images.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from medanon.pixels import ocr_read
from medanon.pixels.faint import faint_lines
from medanon.pixels.settings import Box

#: Says whether a line of read text holds one of the file's identifying values.
TextMatch = Callable[[str], bool]
#: Candidates read per frame at most (a line takes about 15 ms to read on one core).
MAX_READ = 12
#: A candidate this much inside the detector's boxes is already blanked.
COVERED = 0.95


def matching_lines(image: NDArray[np.uint8], grey: NDArray[np.uint8], weak: list[Box],
                   taken: list[Box], match: TextMatch) -> list[Box]:
    """The candidates (weak detections, then faint lines) whose text matches."""
    mask = np.zeros(grey.shape, bool)
    for x0, y0, x1, y1 in taken:
        mask[y0:y1, x0:x1] = True
    candidates = [box for box in weak + faint_lines(grey, taken)
                  if not _covered(mask, box)][:MAX_READ]
    texts = ocr_read.read_lines(image, candidates)
    return [box for box, text in zip(candidates, texts, strict=True) if match(text)]


def _covered(mask: NDArray[np.bool_], box: Box) -> bool:
    x0, y0, x1, y1 = box
    area = mask[y0:y1, x0:x1]
    return area.size == 0 or float(area.mean()) >= COVERED
