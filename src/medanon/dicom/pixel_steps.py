"""Pixel steps on a dataset held in memory, shared by every entry point.

The folder runner streams pixel data from the source file and cleans JPEG segments on
the way; a dataset handed over whole (the Python API, a dataset read without a pixel
span, tomorrow a network node) carries its pixel data inside. Both must get the same
cleaning, so the in-memory step lives here and not in one runner.
"""

from __future__ import annotations

from pydicom.dataset import Dataset

from medanon.dicom import jpeg_segments

PIXEL_DATA = 0x7FE00010
EXTENDED_OFFSET_TABLE = (0x7FE00001, 0x7FE00002)
ELEMENT_HEADER = bytes(12)  # a stand-in header: clean_encapsulated takes whole elements
END_DELIMITER_LENGTH = 8


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
