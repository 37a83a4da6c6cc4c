"""OCR backend: the PP-OCR DB text detector, run by onnxruntime.

Detection is what the safety gate needs: a box must be found, not read. The detector's
probability map is thresholded low (recall first), grown the way DB post-processing
"unclips" its shrunk text kernels, and every connected region becomes a box. The
detector is PP-OCRv6 small from the ``rapidocr`` wheel quantized to 8 bits, shipped in
``medanon/pixels/models`` (its README: how it was made, and what it measured): about 1.5
times faster on one core, with the same recall on the generator of bench/pixels. The
reader of the second signal is read from the installed ``rapidocr`` package. Nothing is
downloaded.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from medanon.pixels import lines, ocr_read, reread, texture
from medanon.pixels.render import brightest
from medanon.pixels.reread import TextMatch
from medanon.pixels.settings import Box
from medanon.pixels.tighten import extend_line, tighten

#: A region of the probability map: x, y, width, height.
Kernel = tuple[int, int, int, int]

DEPENDENCIES = {"onnxruntime": (1, 16), "rapidocr": (1, 4), "cv2": (4, 5)}
#: The detection model (made by bench/pixels/quantize_detector.py).
DETECTOR = Path(__file__).parent / "models" / "PP-OCRv6_det_small_int8.onnx"
#: The probabilities a text kernel is cut at: the first (PP-OCR's default is 0.3) for
#: recall, the higher ones only to split a blob taller than a line into its lines.
LEVELS = (0.3, 0.6, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995)
#: A kernel's mean probability must reach this (PP-OCR's box threshold is 0.5-0.6).
MIN_SCORE = 0.5
#: The most sensitive settings, where text is expected (outside the ultrasound regions):
#: the first cut and the mean score low, the splitting levels as usual.
SENSITIVE_LEVELS = (0.2, *LEVELS)
SENSITIVE_SCORE = 0.35
#: Where the second signal looks for lines the detector scored low: they are read, and
#: blanked only when they read as one of the file's identifying values.
WEAK_LEVEL = 0.1
#: The weak rim around a detected kernel, and the widest gap between the words of one
#: line, in probability-map pixels.
RIM = 2
WORD_GAP = 9
#: A candidate's width per height at least (a word), and its own part outside the
#: detected kernels at least this share of its height squared.
WORD_SHAPE = 1.5
EXTRA_SHARE = 0.5
#: Kernels shorter than this on both sides are dots of texture, not characters.
MIN_KERNEL = 5
#: The tallest text line searched for, in image pixels (40 px type is about 30 px tall).
MAX_LINE_HEIGHT = 64
#: A kernel taller than this (image pixels) is split at the higher levels; one that stays
#: taller is a blob, searched again closer (:mod:`medanon.pixels.texture`). A line's
#: kernel is about a third of its box (DB shrinks it), so 40 px type stays below.
MAX_KERNEL_HEIGHT = 32
#: A textured area is searched again this much larger than the whole image was (a tile of
#: 160 px of a 640 × 480 frame is read at 288 px): there speckle stops looking like text.
#: At 1.75 the tiles cost a fifth less than at 2, with the same recall (bench/RESULTS.md).
CLOSER = 1.75
#: DB's unclip ratio: the detector marks a shrunk kernel of each line.
UNCLIP = 2.0
#: Images are scaled so their shorter side is at least this (small text gets bigger).
MIN_SIDE = 480
MAX_SIDE = 2400


def model_path() -> Path | None:
    """The detection model medanon ships, or None when the install lacks it."""
    return DETECTOR if DETECTOR.is_file() else None


def is_available() -> bool:
    """True when onnxruntime and OpenCV import and both model files are installed."""
    if importlib.util.find_spec("onnxruntime") is None or importlib.util.find_spec("cv2") is None:
        return False
    return model_path() is not None and ocr_read.model_path() is not None


@lru_cache(maxsize=1)
def _session() -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1  # one worker per core: the runner parallelises files
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(str(model_path()), options,
                                        providers=["CPUExecutionProvider"])


def _scale(rows: int, columns: int) -> tuple[int, int]:
    factor = max(1.0, MIN_SIDE / min(rows, columns))
    factor = min(factor, MAX_SIDE / max(rows, columns))
    return (max(32, int(round(rows * factor / 32)) * 32),
            max(32, int(round(columns * factor / 32)) * 32))


def detect_text(image: NDArray[np.uint8], match: TextMatch | None = None,
                sensitive: NDArray[np.bool_] | None = None) -> list[Box]:
    """Boxes (x0, y0, x1, y1) around text in an 8-bit RGB image (rows × columns × 3).

    ``sensitive`` (rows × columns) is where text is expected, such as the screen around
    the Sequence of Ultrasound Regions: searched there with :data:`SENSITIVE_LEVELS` and
    :data:`SENSITIVE_SCORE`, elsewhere with the usual settings; and there a weak or faint
    line that reads as text at all is blanked, identifying or not.

    With ``match`` (does a read line hold one of the file's identifying values?), lines
    the detector scored too low, and faint ink it did not mark, are read and blanked too
    when they match (:mod:`medanon.pixels.reread`).

    The words of one line come out as one box (:mod:`medanon.pixels.lines`).
    """
    rows, columns = image.shape[:2]
    height, width = _scale(rows, columns)
    grey = brightest(image)
    shown = shown_to_detector(image, grey)
    probability = _probability(shown, height, width)
    max_height = MAX_LINE_HEIGHT * height / rows
    split = MAX_KERNEL_HEIGHT * height / rows
    if sensitive is None:
        kernels, blobs = _line_kernels(probability, np.ones(probability.shape, bool), 0, split)
    else:
        import cv2

        expected = cv2.resize(sensitive.astype(np.uint8), (width, height),
                              interpolation=cv2.INTER_NEAREST).astype(bool)
        usual, usual_blobs = _line_kernels(probability, ~expected, 0, split)
        most, most_blobs = _line_kernels(probability, expected, 0, split, SENSITIVE_LEVELS,
                                         SENSITIVE_SCORE)
        kernels, blobs = usual + most, usual_blobs + most_blobs
    scale = (columns / width, rows / height)
    boxes: list[Box] = []
    tall: list[Box] = []
    for kernel in kernels:
        box = extend_line(grey, tighten(grey, _unclip(kernel, scale, rows, columns)))
        (tall if box[3] - box[1] > texture.LINE_BOX_HEIGHT else boxes).append(box)
    boxes.extend(texture.search_again(
        tall, [_unclip(blob, scale, rows, columns) for blob in blobs],
        partial(_detect_tile, shown, CLOSER * height / rows), rows, columns,
        partial(_marked, probability > LEVELS[0], (width / columns, height / rows))))
    boxes = [box for box in boxes if drawn(image, box)]
    if match is not None or sensitive is not None:
        low = [_unclip(kernel, scale, rows, columns)
               for kernel in _weak_kernels(probability, kernels, max_height)]
        boxes.extend(reread.matching_lines(grey, low, boxes, match, sensitive))
    return lines.join_words(boxes)


#: An image whose typical brightest channel is below this (0-255) is dark: a scanner's
#: screen, not a page.
DARK = 128


def shown_to_detector(image: NDArray[np.uint8], grey: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The picture the detector reads: on a dark image, its brightest channel as grey.

    Burned-in text on a dark image is drawn brighter than what is around it, in white,
    yellow or green: the brightest channel of each pixel shows all of them at full
    strength, where the colours themselves are noise to the detector (a palette's
    quantised greys alternate between two hues; small green type on grey speckle is
    dimmer than the speckle in its red and blue). On a light image (a page, a report
    screen) text is darker than the paper and its hue may be all that tells it apart
    (red on white has white's brightest channel), so the colours are kept.
    """
    if image.shape[-1] != 3 or float(np.median(grey[::4, ::4])) >= DARK:
        return image
    return np.repeat(grey[..., None], 3, axis=-1)


#: A change along a row at least this large (any channel, 0-255) is a stroke's edge; the
#: noise of a lossy flat area stays under it.
EDGE = 16


def drawn(image: NDArray[np.uint8], box: Box) -> bool:
    """False when nothing is drawn in ``box``: no row of it changes along its length.

    Text is strokes, and every line of type changes value along its rows. The detector
    also marks the edges between flat areas (colour bars, the flat panels of a screen):
    a box whose every row is one value (whatever the rows differ by) holds no text.
    """
    x0, y0, x1, y1 = box
    window = image[y0:y1, x0:x1].astype(np.int16)
    if window.shape[0] == 0 or window.shape[1] < 2:
        return True  # too small to judge: kept
    return bool((np.abs(np.diff(window, axis=1)).max(axis=-1) >= EDGE).any())


def _marked(marked: NDArray[np.bool_], scale: tuple[float, float], tile: Box) -> float:
    """The share of ``tile`` (image pixels) that ``marked`` (probability-map pixels) holds."""
    sx, sy = scale
    window = marked[int(tile[1] * sy):int(np.ceil(tile[3] * sy)),
                    int(tile[0] * sx):int(np.ceil(tile[2] * sx))]
    return float(window.mean()) if window.size else 0.0


def _probability(image: NDArray[np.uint8], height: int, width: int) -> NDArray[np.float32]:
    """The detector's text probability map of ``image`` resized to height × width."""
    session = _session()
    found: NDArray[np.float32] = session.run(
        None, {session.get_inputs()[0].name: detector_input(image, height, width)})[0][0, 0]
    return found


def detector_input(image: NDArray[np.uint8], height: int, width: int) -> NDArray[np.float32]:
    """``image`` as the detector takes it: resized, scaled to -1..1, channels first."""
    import cv2

    resized = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
    tensor: NDArray[np.float32] = np.ascontiguousarray(
        (resized.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)[None])
    return tensor


def _detect_tile(image: NDArray[np.uint8], factor: float, tile: Box) -> list[Box]:
    """Text boxes of one tile of ``image`` searched ``factor`` times larger (image pixels).

    Kernels are cut at the usual levels; the boxes are not tightened to the ink (on
    texture the ink test follows the speckle and would cut the line short).
    """
    x0, y0, x1, y1 = tile
    rows, columns = y1 - y0, x1 - x0
    height = max(32, int(round(rows * factor / 32)) * 32)
    width = max(32, int(round(columns * factor / 32)) * 32)
    probability = _probability(np.ascontiguousarray(image[y0:y1, x0:x1]), height, width)
    kernels, _blobs = _line_kernels(probability, np.ones(probability.shape, bool), 0,
                                    MAX_LINE_HEIGHT * height / rows)
    scale = (columns / width, rows / height)
    return [(x0 + a, y0 + b, x0 + c, y0 + d) for a, b, c, d
            in (_unclip(kernel, scale, rows, columns) for kernel in kernels)]


def _unclip(kernel: Kernel, scale: tuple[float, float], rows: int,
            columns: int) -> Box:
    """A kernel of the probability map grown as DB grows it, in image pixels."""
    x, y, w, h = kernel
    sx, sy = scale
    grow = w * h * UNCLIP / (2 * (w + h))
    return (max(0, int((x - grow) * sx)), max(0, int((y - grow) * sy)),
            min(columns, int(np.ceil((x + w + grow) * sx))),
            min(rows, int(np.ceil((y + h + grow) * sy))))


def _weak_kernels(probability: NDArray[np.float32], kernels: list[Kernel],
                  max_height: float) -> list[Kernel]:
    """Line-shaped regions above :data:`WEAK_LEVEL` that the kernels leave out: to be read.

    The rim of every detected line is weak too; only a region with a part of its own
    outside the detected kernels (a word between two, a line scored too low) is a
    candidate, and only when it is wider than tall, as a word of three letters is. The
    words of a line are joined first, so that the line is read, and blanked, whole.
    """
    import cv2

    # The words of one line joined, so that a match blanks the whole line.
    weak = cv2.morphologyEx((probability > WEAK_LEVEL).astype(np.uint8), cv2.MORPH_CLOSE,
                            np.ones((1, WORD_GAP), np.uint8)).astype(bool)
    outside = weak.copy()
    for x, y, w, h in kernels:
        outside[max(0, y - RIM):y + h + RIM, max(0, x - RIM):x + w + RIM] = False
    count, labels, stats, _ = cv2.connectedComponentsWithStats(weak.astype(np.uint8),
                                                               connectivity=8)
    extra = np.bincount(labels[outside], minlength=count)
    return [(int(x), int(y), int(w), int(h)) for index, (x, y, w, h, _area)
            in enumerate(stats[:count]) if index and h <= max_height and w >= 2 * MIN_KERNEL
            and w >= WORD_SHAPE * h and extra[index] >= EXTRA_SHARE * h * h]


def _line_kernels(probability: NDArray[np.float32], region: NDArray[np.bool_], level: int,
                  max_height: float, levels: tuple[float, ...] = LEVELS,
                  min_score: float = MIN_SCORE) -> tuple[list[Kernel], list[Kernel]]:
    """Text-line kernels (x, y, w, h) of ``region``, and the blobs no level splits.

    Speckle (ultrasound) can score as text over whole areas; a real line is short, so a
    blob taller than ``max_height`` is thresholded again, higher, until its lines come
    apart. One that even the top threshold leaves a blob is returned apart: texture, or
    text merged into it, to be searched again closer.
    """
    import cv2

    mask = ((probability > levels[level]) & region).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return [], []
    sums = np.bincount(labels.ravel(), weights=probability.ravel(), minlength=count)
    # Speckle makes thousands of specks: those too weak or too small are left out at once.
    scored = (sums / stats[:, cv2.CC_STAT_AREA] >= min_score) & (
        np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]) >= MIN_KERNEL)
    scored[0] = False  # the background
    kernels: list[Kernel] = []
    blobs: list[Kernel] = []
    for index in np.flatnonzero(scored).tolist():
        x, y, w, h, _area = stats[index].tolist()
        if h <= max_height:
            kernels.append((x, y, w, h))
        elif level + 1 < len(levels):
            window = (slice(y, y + h), slice(x, x + w))
            inner, inner_blobs = _line_kernels(probability[window], labels[window] == index,
                                               level + 1, max_height, levels, min_score)
            kernels.extend((x + kx, y + ky, kw, kh) for kx, ky, kw, kh in inner)
            blobs.extend((x + kx, y + ky, kw, kh) for kx, ky, kw, kh in inner_blobs)
        else:
            blobs.append((x, y, w, h))
    return kernels, blobs
