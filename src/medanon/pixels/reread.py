"""The second signal: lines detection scored low are read, and blanked when they name the file.

Detection alone decides most boxes; what it scored below its threshold, and faint ink it
did not mark (:mod:`medanon.pixels.faint`), could still be the patient's name. Those
candidates, and only those, are read (:mod:`medanon.pixels.ocr_read`); a candidate whose
text holds one of the file's own identifying values is blanked whatever its score.
Outside the ultrasound regions, where text is expected, whatever reads as text is
blanked. Candidates already inside the detector's boxes are not read again, and at most
:data:`MAX_READ` are read per frame, so the step keeps its speed on textured images.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from medanon.pixels import ocr_read
from medanon.pixels.faint import faint_lines
from medanon.pixels.settings import DEFAULT_PIXELS, Box

#: Says whether a line of read text holds one of the file's identifying values.
TextMatch = Callable[[str], bool]
#: Candidates read per frame at most (a line takes about 15 ms to read on one core).
MAX_READ = 12
#: Where text is expected, a candidate read with this many letters or digits is text.
MIN_TEXT = 2
#: A candidate this much inside the detector's boxes (grown by the default margin) is
#: already blanked.
MARGIN = DEFAULT_PIXELS.margin
COVERED = 0.95


def matching_lines(grey: NDArray[np.uint8], weak: list[Box], taken: list[Box],
                   match: TextMatch | None, expected: NDArray[np.bool_] | None = None) -> list[Box]:
    """The candidates (weak detections, then faint lines) whose text matches.

    ``grey`` is the image's brightest channel (:func:`medanon.pixels.render.brightest`).

    Where text is ``expected`` (outside the ultrasound regions), a candidate whose text
    has :data:`MIN_TEXT` letters or digits is blanked whether it matches or not.
    """
    mask = np.zeros(grey.shape, bool)
    for x0, y0, x1, y1 in taken:  # as they will be blanked, with the default margin
        mask[max(0, y0 - MARGIN):y1 + MARGIN, max(0, x0 - MARGIN):x1 + MARGIN] = True
    candidates = [box for box in weak + faint_lines(grey)
                  if not _covered(mask, box)][:MAX_READ]
    texts = ocr_read.read_lines(grey, candidates)
    return [box for box, text in zip(candidates, texts, strict=True)
            if (match is not None and match(text))
            or (expected is not None and _centre_in(expected, box)
                and sum(c.isalnum() for c in text) >= MIN_TEXT)]


def _centre_in(mask: NDArray[np.bool_], box: Box) -> bool:
    return bool(mask[(box[1] + box[3]) // 2, (box[0] + box[2]) // 2])


def _covered(mask: NDArray[np.bool_], box: Box) -> bool:
    x0, y0, x1, y1 = box
    area = mask[y0:y1, x0:x1]
    return area.size == 0 or float(area.mean()) >= COVERED
