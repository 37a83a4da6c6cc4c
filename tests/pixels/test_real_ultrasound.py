"""Real scanners' ultrasound screens: every line of burned-in text is blanked, nothing else changes.

The generator of bench/pixels measures recall on made-up images whose true boxes it
knows; these are two vendors' real screens (G.E. LOGIQ 700 and ALOKA SSD-4000, see
data/PROVENANCE.md), with their own fonts, colours, palette and layout, and an ALOKA
Sequence of Ultrasound Regions. Their text lines were annotated by hand (the boxes
below, checked on the rendered images) and each must come out without a bright pixel,
while every pixel not blanked keeps its exact decoded value (written losslessly).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
import pytest
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.pixels import apply_color_lut

from medanon import SecretKey, deidentify_dataset
from medanon.errors import DeidentificationError
from medanon.profile.recipe import parse_recipe

DATA = Path(__file__).parent / "data"
PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
JPEG_2000_LOSSLESS = "1.2.840.10008.1.2.4.90"
#: Where a cleaned image may be written: uncompressed, RLE, JPEG-LS or JPEG 2000 lossless.
LOSSLESS = frozenset({"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.5",
                      "1.2.840.10008.1.2.4.80", JPEG_2000_LOSSLESS})
CLEAN_PIXEL_DATA = "113101"
MARGIN = 4  # [pixels] margin by default
Box = tuple[int, int, int, int]  # x0, y0, x1, y1, x1 and y1 excluded

#: The text lines of the LOGIQ 700 screen: institution, the patient's IDs, the clock,
#: probe and preset, the colour-bar labels, the annotation and the acoustic output.
LOGIQ_LINES: tuple[Box, ...] = (
    (16, 26, 172, 38), (496, 25, 622, 41), (16, 42, 92, 54), (276, 42, 362, 54),
    (546, 42, 622, 54), (16, 58, 72, 70), (526, 58, 622, 70), (16, 74, 82, 86),
    (566, 74, 622, 86), (8, 90, 62, 104), (556, 90, 628, 104), (6, 138, 42, 150),
    (596, 138, 632, 150), (18, 218, 42, 232), (596, 218, 632, 230), (246, 362, 362, 374),
    (396, 458, 622, 470),
)
#: The ALOKA screen: institution, title, date, time, frame counters and rates, the green
#: label, the two parameter lines, the preset and the output level. Left out: a lone
#: "Y" and ":" on the top bar (single glyphs of the layout, no value in them).
ALOKA_LINES: tuple[Box, ...] = (
    (77, 1, 252, 11), (547, 1, 640, 11), (107, 13, 212, 23), (558, 13, 640, 23),
    (248, 36, 334, 48), (558, 36, 640, 48), (287, 49, 331, 59), (597, 49, 640, 59),
    (70, 55, 105, 75), (37, 433, 282, 443), (337, 433, 582, 443), (17, 457, 102, 467),
    (547, 457, 633, 467),
)


@dataclass(frozen=True)
class Screen:
    """One real file, its annotated text lines, and what its text looks like."""

    path: Path
    lines: tuple[Box, ...]
    bright: int  # a channel at least this bright is text (the images behind are darker)


SCREENS = {
    "logiq-j2k-lossless": Screen(PYDICOM_FILES / "examples_jpeg2k.dcm", LOGIQ_LINES, 200),
    "logiq-j2k-lossy": Screen(DATA / "US1_J2KI.dcm", LOGIQ_LINES, 200),
    "aloka-palette": Screen(DATA / "gdcm-US-ALOKA-16.dcm", ALOKA_LINES, 150),
}


def _rgb(dataset: Dataset) -> NDArray[np.int32]:
    """The displayed colours, 8 bits a channel (palette applied, YBR converted)."""
    pixels = dataset.pixel_array
    if dataset.PhotometricInterpretation == "PALETTE COLOR":
        pixels = apply_color_lut(pixels, dataset) >> 8  # 16-bit LUT entries
    return np.asarray(pixels, dtype=np.int32)


@pytest.fixture(scope="module")
def cleaned(ocr_engine: None) -> dict[str, tuple[Dataset, Dataset]]:
    """Each screen before and after de-identification with the default recipe, read back."""
    key = SecretKey(b"real ultrasound screens".ljust(32))
    results = {}
    for name, screen in SCREENS.items():
        source = pydicom.dcmread(screen.path)
        buffer = io.BytesIO()
        deidentify_dataset(source, key).save_as(buffer, enforce_file_format=True)
        results[name] = (source, pydicom.dcmread(io.BytesIO(buffer.getvalue())))
    return results


@pytest.mark.parametrize("name", sorted(SCREENS))
def test_every_text_line_is_blanked(name: str, cleaned: dict[str, tuple[Dataset, Dataset]]
                                    ) -> None:
    screen = SCREENS[name]
    source, output = cleaned[name]
    before, after = _rgb(source).max(axis=2), _rgb(output).max(axis=2)
    left = []
    for x0, y0, x1, y1 in screen.lines:
        assert (before[y0:y1, x0:x1] >= screen.bright).sum() >= 20  # the box holds text
        if (after[y0:y1, x0:x1] >= screen.bright).any():
            left.append((x0, y0, x1, y1))
    assert not left, f"text left in {len(left)} of {len(screen.lines)} lines: {left}"


@pytest.mark.parametrize("name", sorted(SCREENS))
def test_what_is_not_blanked_keeps_its_exact_value(
        name: str, cleaned: dict[str, tuple[Dataset, Dataset]]) -> None:
    source, output = cleaned[name]
    before, after = _rgb(source), _rgb(output)
    changed = (before != after).any(axis=2)
    assert changed.any()
    assert (after[changed] == 0).all()  # every changed pixel is the black fill
    assert changed.mean() < 0.10  # the text, not the image: 3.6 to 6.6 % of it when written


def test_the_scanned_regions_stay_almost_whole(cleaned: dict[str, tuple[Dataset, Dataset]]
                                               ) -> None:
    """The ALOKA file's two image regions lose little besides the text drawn inside them."""
    source, output = cleaned["aloka-palette"]
    changed = (_rgb(source) != _rgb(output)).any(axis=2)
    regions = [r for r in source.SequenceOfUltrasoundRegions if r.RegionSpatialFormat == 1]
    assert len(regions) == 2
    for region in regions:
        inside = changed[region.RegionLocationMinY0:region.RegionLocationMaxY1 + 1,
                         region.RegionLocationMinX0:region.RegionLocationMaxX1 + 1]
        assert inside.mean() < 0.05


@pytest.mark.parametrize("name", sorted(SCREENS))
def test_the_header_says_what_was_done(name: str,
                                       cleaned: dict[str, tuple[Dataset, Dataset]]) -> None:
    source, output = cleaned[name]
    assert output.BurnedInAnnotation == "NO"
    codes = {item.CodeValue for item in output.DeidentificationMethodCodeSequence}
    assert CLEAN_PIXEL_DATA in codes
    assert output.file_meta.TransferSyntaxUID in LOSSLESS
    assert output.get("LossyImageCompression") == source.get("LossyImageCompression")
    if source.file_meta.TransferSyntaxUID == JPEG_2000_LOSSLESS:
        assert output.file_meta.TransferSyntaxUID == JPEG_2000_LOSSLESS


#: A site's rule for the ALOKA SSD-4000 screen, written from the file's layout: the two
#: bars above the image, the counters inside it, the green label and the two lines below.
ALOKA_RULE = """
[pixels]
ocr = "off"
[[pixels.regions]]
Modality = "US"
Manufacturer = "ALOKA*"
ManufacturerModelName = "SSD-4000"
Rows = 480
Columns = 640
boxes = [[0, 0, 640, 24], [244, 34, 336, 60], [554, 34, 640, 60], [68, 54, 106, 76],
         [0, 430, 640, 470]]
"""


def test_a_region_rule_for_the_real_layout_blanks_it_without_ocr() -> None:
    """A vendor rule written from the screen blanks every line with OCR off, and only its boxes.

    Only its boxes grown by the recipe's margin (4 pixels by default), as every box is.
    """
    screen = SCREENS["aloka-palette"]
    source = pydicom.dcmread(screen.path)
    output = deidentify_dataset(source, SecretKey(bytes(range(32))), parse_recipe(ALOKA_RULE))
    before, after = _rgb(source), _rgb(output)
    for x0, y0, x1, y1 in screen.lines:
        assert not (after[y0:y1, x0:x1].max(axis=2) >= screen.bright).any()
    changed = (before != after).any(axis=2)
    ruled = np.zeros_like(changed)
    for x0, y0, x1, y1 in ((0, 0, 640, 24), (244, 34, 336, 60), (554, 34, 640, 60),
                           (68, 54, 106, 76), (0, 430, 640, 470)):
        ruled[max(y0 - MARGIN, 0):y1 + MARGIN, max(x0 - MARGIN, 0):x1 + MARGIN] = True
    assert changed.any() and not (changed & ~ruled).any()
    other = parse_recipe(ALOKA_RULE.replace("SSD-4000", "SSD-5000"))
    with pytest.raises(DeidentificationError):  # no rule fits, OCR is off: withheld
        deidentify_dataset(source, SecretKey(bytes(range(32))), other)
