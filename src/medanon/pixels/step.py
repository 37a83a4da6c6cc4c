"""The pixel step of one instance: plan from the header, then clean the decoded frames.

``plan_pixels`` reads only the header, so the transform can decide early whether a file
will be cleaned (and so need not be withheld) and files with nothing to do keep the fast
path: their pixel bytes are copied, never decoded. ``clean_pixels`` does the work on an
output dataset that holds its pixel data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from medanon.dicom.backend.peek import peek_text
from medanon.dicom.burned_in import is_encapsulated_document
from medanon.errors import DeidentificationError
from medanon.pixels import codec, ocr
from medanon.pixels.blank import blank_boxes
from medanon.pixels.graphics import (
    clean_overlay_planes,
    drop_groups,
    embedded_overlays,
    overlay_planes,
)
from medanon.pixels.identifying import IdentifyingText
from medanon.pixels.likely import is_likely
from medanon.pixels.record import BlankedBox, PixelRecord
from medanon.pixels.regions import region_boxes
from medanon.pixels.render import to_rgb8
from medanon.pixels.settings import Box, Fill, OcrMode, PixelSettings
from medanon.pixels.us_regions import outside, ultrasound_regions

CLEAN_PIXEL_DATA_CODE = ("113101", "Clean Pixel Data Option")


@dataclass(frozen=True)
class PixelPlan:
    """What the pixel step will do to one file: fixed boxes, and whether OCR searches it."""

    boxes: tuple[Box, ...]
    search: bool
    margin: int
    fill: Fill
    # Clean Graphics: overlay planes (60xx,3000) searched for text and blanked.
    overlays: bool = False
    # Overlay groups kept in unused Pixel Data bits: those bits are cleared.
    clear_bits: tuple[int, ...] = ()
    # Sequence of Ultrasound Regions: outside these the search is most sensitive.
    us_regions: tuple[Box, ...] = ()

    @property
    def touches_image(self) -> bool:
        """True when the image itself is decoded (not only its overlay planes)."""
        return bool(self.boxes or self.search or self.clear_bits)


@dataclass(frozen=True)
class PixelReport:
    """What the pixel step did (coordinates only) and the syntax the pixels are now in."""

    record: PixelRecord
    transfer_syntax: str

    @property
    def boxes_blanked(self) -> int:
        """Boxes blanked, in the image and in overlay planes."""
        return len(self.record.boxes)

    @property
    def frames_searched(self) -> int:
        """Frames OCR searched (identical frames share one search but each counts)."""
        return self.record.frames_searched


def plan_pixels(dataset: Dataset, settings: PixelSettings, has_pixel_data: bool,
                clean_graphics: bool = False) -> PixelPlan | None:
    """The pixel plan for a header, or None when its pixels are left untouched.

    ``clean_graphics`` is the Clean Graphics option: overlay planes are kept, so they are
    searched for text too. Raises :class:`DeidentificationError` when the file must be
    searched and no OCR engine is installed.
    """
    if not has_pixel_data or is_encapsulated_document(peek_text(dataset, "SOPClassUID")):
        return None
    boxes = region_boxes(dataset, settings.regions)
    search = settings.ocr is OcrMode.ALL or (settings.ocr is OcrMode.LIKELY
                                             and is_likely(dataset))
    overlays = clean_graphics and settings.ocr is not OcrMode.OFF and bool(
        overlay_planes(dataset))
    clear_bits = embedded_overlays(dataset)
    if not boxes and not search and not overlays and not clear_bits:
        return None
    if (search or overlays) and ocr.detector() is None:
        raise DeidentificationError(ocr.MISSING)
    return PixelPlan(boxes, search, settings.margin, settings.fill, overlays, clear_bits,
                     ultrasound_regions(dataset) if search else ())


def clean_pixels(out: Dataset, value: bytes, syntax: str, plan: PixelPlan,
                 identifying_values: Iterable[str] = (), tag: int = codec.PIXEL_DATA
                 ) -> PixelReport:
    """Blank the plan's boxes and the text OCR finds in every frame of ``out``.

    ``value`` is the value of the source's ``tag`` element (Pixel Data, or Float or
    Double Float Pixel Data); ``out`` (the output being built) gets it cleaned,
    BurnedInAnnotation NO and the Clean Pixel Data code.
    ``identifying_values`` are the file's own (the safety net's): a line that reads as
    one of them is blanked even where detection scored it low. Raises
    :class:`DeidentificationError` when the pixels cannot be decoded or re-encoded.
    """
    backend = ocr.detector() if plan.search or plan.overlays else None
    if (plan.search or plan.overlays) and backend is None:
        raise DeidentificationError(ocr.MISSING)
    detect = image_detect = None
    if backend is not None:
        known = IdentifyingText.of(identifying_values)
        detect = partial(backend, match=known.matches if known is not None else None)
        image_detect = _with_regions(backend, detect, out, plan)
    blanked: list[BlankedBox] = []
    searched = 0
    written = syntax
    if plan.touches_image:
        blanked, searched, written = _clean_image(out, value, syntax, plan, image_detect,
                                                    tag)
    else:
        _keep_pixels(out, value, syntax, tag)
    if plan.overlays and detect is not None:
        blanked += clean_overlay_planes(out, detect, plan.margin)
    cleaned = bool(plan.boxes or plan.search)
    if cleaned:
        out.BurnedInAnnotation = "NO"
        add_clean_pixel_code(out)
    return PixelReport(PixelRecord(searched, tuple(blanked), cleaned), written)


def _keep_pixels(out: Dataset, value: bytes, syntax: str, tag: int) -> None:
    """Only the overlays change: the pixel data goes back as it came, not decoded."""
    if tag in codec.FLOAT_PIXELS:
        codec.put_floats(out, tag, value)
        return
    out.PixelData = value
    native = syntax in codec.NATIVE_SYNTAXES
    out["PixelData"].VR = "OW" if native and peek_text(out, "BitsAllocated") != "8" else "OB"
    out["PixelData"].is_undefined_length = not native


def _clean_image(out: Dataset, value: bytes, syntax: str, plan: PixelPlan,
                 detect: ocr.FindText | None, tag: int
                 ) -> tuple[list[BlankedBox], int, str]:
    frames = codec.decode(out, value, syntax, tag)
    fill = _fill_value(frames, plan.fill)
    found: dict[bytes, list[Box]] = {}
    blanked: list[BlankedBox] = []
    searched = 0
    for index, frame in enumerate(frames.array):
        boxes = list(plan.boxes)
        if detect is not None:
            digest = hashlib.sha256(frame.tobytes()).digest()
            if digest not in found:
                picture = to_rgb8(frame, frames.photometric, frames.bits_stored, frames.signed,
                                  out if frames.photometric == "PALETTE COLOR" else None)
                found[digest] = detect(picture)
            boxes.extend(found[digest])
            searched += 1
        areas = blank_boxes(frame, tuple(boxes), plan.margin, fill)
        blanked.extend(BlankedBox(index, *area) for area in areas)
    if plan.clear_bits and frames.base is not None:
        # Native pixels keep their bits above BitsStored: overlays live there. Cleared.
        np.bitwise_and(frames.base, (1 << frames.bits_stored) - 1, out=frames.base)
    written = codec.encode(out, frames, syntax)
    drop_groups(out, plan.clear_bits)
    return blanked, searched, written


def _with_regions(backend: ocr.Detector, detect: partial[list[Box]], out: Dataset,
                  plan: PixelPlan) -> ocr.FindText:
    """The image's detector: most sensitive outside the Sequence of Ultrasound Regions."""
    expected = outside(plan.us_regions, codec.number(out, "Rows"), codec.number(out, "Columns")) \
        if plan.us_regions else None
    if expected is None:
        return detect
    return partial(backend, sensitive=expected, **detect.keywords)


def _fill_value(frames: codec.Frames, fill: Fill) -> NDArray[np.generic] | int | float:
    """What shows as black (or the minimum) in the frames' own terms."""
    array = frames.array
    if array.dtype.kind == "f":  # float maps: black is their lowest value, either way
        finite = array[np.isfinite(array)]
        return float(finite.min()) if finite.size else 0.0
    if fill is Fill.MIN:
        lowest: NDArray[np.generic] = array.reshape(-1, array.shape[-1]).min(axis=0)
        return lowest
    if frames.photometric == "MONOCHROME1":
        return (1 << frames.bits_stored) - 1
    if frames.photometric.startswith("YBR") and array.shape[-1] == 3:
        middle = 1 << (array.dtype.itemsize * 8 - 1)
        return np.array([0, middle, middle], dtype=array.dtype)
    if frames.photometric == "PALETTE COLOR":
        return int(array.reshape(-1).min())
    if frames.signed and array.shape[-1] == 1:
        # The most negative stored value, in the stored (unsigned) bit pattern.
        return 1 << (frames.bits_stored - 1) if frames.base is not None else -(
            1 << (frames.bits_stored - 1))
    return 0


def add_clean_pixel_code(out: Dataset) -> None:
    """Add CID 7050 Clean Pixel Data to DeidentificationMethodCodeSequence (once)."""
    codes = list(out.get("DeidentificationMethodCodeSequence") or [])
    if any(str(item.get("CodeValue", "")) == CLEAN_PIXEL_DATA_CODE[0] for item in codes):
        return
    item = Dataset()
    item.CodeValue, item.CodeMeaning = CLEAN_PIXEL_DATA_CODE
    item.CodingSchemeDesignator = "DCM"
    codes.append(item)
    out.DeidentificationMethodCodeSequence = Sequence(codes)
