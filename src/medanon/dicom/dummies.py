"""Dummy values (action D): non-zero length, valid for the VR, carrying nothing.

Chosen to be valid in every Specific Character Set (plain ASCII) and obviously
artificial to a reader, so nobody mistakes a dummy for real data.
"""

from __future__ import annotations

from medanon.errors import DeidentificationError

DUMMY_TEXT = "ANONYMIZED"

_DUMMIES: dict[str, object] = {
    "AE": "ANONYMIZED",
    "AS": "000D",
    "CS": "ANONYMIZED",
    "DA": "19000101",
    "DT": "19000101000000",
    "TM": "000000",
    "DS": "0",
    "IS": "0",
    "LO": DUMMY_TEXT,
    "LT": DUMMY_TEXT,
    "PN": DUMMY_TEXT + "^",
    "SH": DUMMY_TEXT,
    "ST": DUMMY_TEXT,
    "UC": DUMMY_TEXT,
    "UT": DUMMY_TEXT,
    "UR": "http://example.invalid/anonymized",
    "AT": 0,
    "FL": 0.0,
    "FD": 0.0,
    "SL": 0,
    "SS": 0,
    "SV": 0,
    "UL": 0,
    "US": 0,
    "UV": 0,
    "OB": b"\x00\x00",
    "OD": b"\x00" * 8,
    "OF": b"\x00" * 4,
    "OL": b"\x00" * 4,
    "OV": b"\x00" * 8,
    "OW": b"\x00\x00",
    "UN": b"\x00\x00",
}


def dummy_value(vr: str) -> object:
    """The dummy value for ``vr``.

    UI and SQ are not dummied here: the transform remaps or empties them.
    """
    vr = vr.split(" or ")[0]
    try:
        return _DUMMIES[vr]
    except KeyError:
        raise DeidentificationError(f"no dummy value is defined for VR {vr}") from None
