"""Facts of the DICOM encoding (PS3.5) shared by the readers, the checker and the writer."""

from __future__ import annotations

UNDEFINED = 0xFFFFFFFF
PIXEL_TAGS = frozenset({0x7FE00008, 0x7FE00009, 0x7FE00010})  # float, double, pixel data

# VRs whose explicit-VR header has two reserved bytes and a 32-bit length (PS3.5 7.1.2).
LONG_LENGTH_VR_NAMES = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN",
                                  "UR", "UT", "UV"})
LONG_LENGTH_VRS = frozenset(vr.encode("ascii") for vr in LONG_LENGTH_VR_NAMES)
KNOWN_VRS = frozenset(vr.encode("ascii") for vr in (
    "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT", "OB", "OD", "OF",
    "OL", "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM", "UC", "UI", "UL", "UN",
    "UR", "US", "UT", "UV"))
