"""Pixel steps on a dataset held in memory, shared by every entry point.

The folder runner streams pixel data from the source file and cleans JPEG segments on
the way; a dataset handed over whole (the Python API, a dataset read without a pixel
span, tomorrow a network node) carries its pixel data inside. Both must get the same
cleaning, so the in-memory step lives here and not in one runner. Blanking burned-in
text (:mod:`medanon.pixels`) decodes the pixels, so both doors call it here too.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from pydicom.dataset import Dataset

from medanon.dicom import jpeg_segments
from medanon.dicom.encoding import PIXEL_TAGS
from medanon.errors import DeidentificationError
from medanon.pixels.step import PixelPlan, PixelReport, clean_pixels

PIXEL_DATA = 0x7FE00010
EXTENDED_OFFSET_TABLE = (0x7FE00001, 0x7FE00002)
ELEMENT_HEADER = bytes(12)  # a stand-in header: clean_encapsulated takes whole elements
END_DELIMITER_LENGTH = 8
IMPLICIT_LITTLE = "1.2.840.10008.1.2"
EXPLICIT_BIG = "1.2.840.10008.1.2.2"


def clean_segments_in_dataset(dataset: Dataset, transfer_syntax: str) -> bool:
    """Remove comment and application segments from the dataset's encapsulated frames.

    ``dataset`` is an output being built (it is changed in place). Returns True when a
    segment was removed. Raises :class:`medanon.errors.DeidentificationError` for
    malformed encapsulated pixel data: the caller must withhold it.
    """
    if not jpeg_segments.applies_to(transfer_syntax) or PIXEL_DATA not in dataset:
        return False
    value = dataset[PIXEL_DATA].value
    if not isinstance(value, bytes | bytearray):
        return False
    cleaned = jpeg_segments.clean_encapsulated(ELEMENT_HEADER + bytes(value), transfer_syntax)
    if cleaned is None:
        return False
    # pydicom keeps encapsulated values without their sequence delimiter.
    dataset[PIXEL_DATA].value = cleaned[len(ELEMENT_HEADER):-END_DELIMITER_LENGTH]
    drop_offset_tables(dataset)
    return True


def drop_offset_tables(dataset: Dataset) -> None:
    """Fragment sizes changed: an Extended Offset Table would now point at the wrong bytes."""
    for tag in EXTENDED_OFFSET_TABLE:
        if tag in dataset:
            del dataset[tag]


def clean_pixels_in_dataset(dataset: Dataset, transfer_syntax: str, plan: PixelPlan,
                            value: bytes | None = None,
                            identifying_values: Iterable[str] = (),
                            tag: int | None = None) -> PixelReport:
    """Run the pixel plan on ``dataset`` (an output being built, changed in place).

    ``value`` is the value of the source's pixel element ``tag`` (Pixel Data, or Float
    or Double Float Pixel Data) when the dataset was read without it (the folder
    runner's streamed span); otherwise the dataset's own pixel element is used. The
    returned report names the transfer syntax the cleaned pixels are now in.
    ``identifying_values`` are the file's own (the safety net's): burned-in text that
    reads as one of them is blanked even where detection scored it low. Raises
    :class:`medanon.errors.DeidentificationError` when the pixels cannot be cleaned: the
    caller must withhold the file.
    """
    if value is None:
        tag = next((t for t in sorted(PIXEL_TAGS) if t in dataset), None)
        if tag is None:
            raise DeidentificationError("the pixel data must be cleaned but is missing")
        value = bytes(dataset[tag].value)
    elif tag is None:
        raise DeidentificationError("the pixel data's element is not known")
    report = clean_pixels(dataset, value, transfer_syntax, plan, identifying_values, tag)
    drop_offset_tables(dataset)
    return report


def pixel_value(element: bytes, transfer_syntax: str, encapsulated: bool) -> tuple[int, bytes]:
    """The tag and value of a whole encoded pixel element (as a file holds it)."""
    header = 8 if transfer_syntax == IMPLICIT_LITTLE else 12
    group, number = struct.unpack(">HH" if transfer_syntax == EXPLICIT_BIG else "<HH",
                                  element[:4])
    value = element[header:-END_DELIMITER_LENGTH] if encapsulated else element[header:]
    return group << 16 | number, value
