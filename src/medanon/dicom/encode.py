"""Encode a de-identified data set, copying untouched elements byte for byte.

Most of a CT or MR header passes through de-identification unchanged. Those elements are
still raw (pydicom never decoded them), and here their bytes are emitted as they were read,
header rebuilt with ``struct``: no decoding, no validation, no per-element buffers.
Only the elements the rules changed, and sequences, go through pydicom's encoder. The
result is the same bytes pydicom's own writer produces, several times faster.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO, DicomFileLike
from pydicom.filewriter import write_data_element, write_file_meta_info

UNDEFINED = 0xFFFFFFFF
LONG_LENGTH_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR",
                             "UT", "UV"})
PREAMBLE = bytes(128) + b"DICM"


def write_part10(out: BinaryIO, meta: FileMetaDataset, dataset: Dataset, *, implicit_vr: bool,
                 little_endian: bool) -> None:
    """Write preamble, file meta information and data set to ``out``."""
    out.write(PREAMBLE)
    write_file_meta_info(DicomFileLike(out), meta, enforce_standard=True)
    out.write(encode_dataset(dataset, implicit_vr=implicit_vr, little_endian=little_endian))


def encode_dataset(dataset: Dataset, *, implicit_vr: bool, little_endian: bool) -> bytes:
    """The encoded elements of ``dataset`` in tag order (group lengths left out)."""
    endian = "<" if little_endian else ">"
    short_header = struct.Struct(endian + "HH2sH")
    long_header = struct.Struct(endian + "HH2s2xL")
    implicit_header = struct.Struct(endian + "HHL")
    delimiter = struct.pack(endian + "HHL", 0xFFFE, 0xE0DD, 0)
    encodings = dataset.get("SpecificCharacterSet", "ISO_IR 6") or "ISO_IR 6"
    chunks: list[bytes] = []
    for tag in sorted(dataset.keys()):
        if tag.element == 0 and tag.group > 6:
            continue
        element = dataset.get_item(tag)
        if isinstance(element, RawDataElement) and element.is_implicit_VR == implicit_vr \
                and element.is_little_endian == little_endian and element.value is not None \
                and (implicit_vr or element.VR):
            group, number = tag >> 16, tag & 0xFFFF
            if implicit_vr:
                chunks.append(implicit_header.pack(group, number, element.length))
            elif element.VR in LONG_LENGTH_VRS:
                chunks.append(long_header.pack(group, number, element.VR.encode(),
                                               element.length))
            else:
                chunks.append(short_header.pack(group, number, element.VR.encode(),
                                                element.length))
            chunks.append(element.value)
            if element.length == UNDEFINED:
                chunks.append(delimiter)
            continue
        buffer = DicomBytesIO()
        buffer.is_implicit_VR = implicit_vr
        buffer.is_little_endian = little_endian
        write_data_element(buffer, element if isinstance(element, DataElement) else dataset[tag],
                           encodings)
        chunks.append(buffer.getvalue())
    return b"".join(chunks)
