"""How a file that is DICOM but lacks the Part 10 header can be told from one that is not DICOM.

Pure checks of a file's first bytes, without pydicom and without the fast backend, so
that ``medanon verify`` (which never reaches the backend) reads the same sources that
``medanon run --accept-no-meta`` reads.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from medanon.dicom.encoding import KNOWN_VRS

#: The groups a bare data set starts with: command group lengths, or the identifying group.
BARE_START_GROUPS = (0x0000, 0x0008)


def looks_like_bare_data_set(path: Path) -> bool:
    """True when the file starts as a data set does: a group 0000/0008 tag, then a VR or length.

    A bare data set is still DICOM, and telling the user so (rather than "not DICOM")
    is what lets them decide to read it.
    """
    with open(path, "rb") as handle:
        head = handle.read(8)
    if len(head) < 8:
        return False
    group, _element = struct.unpack("<HH", head[:4])
    if group not in BARE_START_GROUPS:
        return False
    if head[4:6] in KNOWN_VRS:
        return True
    length: int = struct.unpack("<L", head[4:8])[0]
    return length < os.path.getsize(path)


def without_part10_header(path: Path) -> bool:
    """True for DICOM stored without the Part 10 header: a bare data set, or no preamble.

    The files ``read_instance(..., accept_no_meta=True)`` reads although pydicom's
    ``dcmread`` refuses them without ``force``.
    """
    return starts_with_file_meta(path) or looks_like_bare_data_set(path)


def starts_with_file_meta(path: Path) -> bool:
    """True when the file starts with a file meta element (group 0002, explicit VR).

    Some writers leave out the 128-byte preamble and the DICM prefix but keep the file
    meta group, so the transfer syntax is known: DICOM still, not an unknown file.
    """
    with open(path, "rb") as handle:
        head = handle.read(6)
    return len(head) == 6 and head[:2] == b"\x02\x00" and head[4:6] in KNOWN_VRS
