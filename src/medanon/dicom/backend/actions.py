"""The raw actions: common de-identification actions done straight on a raw element's bytes.

pydicom decodes a raw element into values and encodes the new values again; for a
plain-ASCII text value (the same bytes in every character set) that round trip can be
skipped: the bytes are split at backslashes, each value is replaced, and the result is
stored as a new raw element. The transform decides what each value becomes
(``new_values``); this module does the byte handling. Anything it cannot do on the bytes
returns None, and the transform takes the general path (pydicom's decoded values), which
gives the same result more slowly. Off with the backend (:func:`general_path_only`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydicom.dataelem import DataElement, RawDataElement
from pydicom.tag import BaseTag

from medanon.dicom.backend.availability import is_available
from medanon.profile.model import Action

#: VRs whose values are plain text that the raw fast path may split and rebuild.
ASCII_VRS = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "TM", "UI", "LO", "SH", "ST",
                       "LT", "UT", "UC"})
RAW_TEXT_VRS = ASCII_VRS | {"PN"}

Context = TypeVar("Context")
#: What the values of one element become (action, VR, tag, the values, the caller's
#: context), or None when the action is not one done on the bytes.
NewValues = Callable[[Action, str, BaseTag, list[str], Context], list[str] | None]


def apply_raw(action: Action, raw: RawDataElement, vr: str, new_values: NewValues[Context],
              ctx: Context) -> RawDataElement | None:
    """``action`` straight on the bytes of ``raw``, or None to take the general path.

    Only where the bytes are plain ASCII (so splitting on backslashes is safe whatever the
    character set).
    """
    if not is_available():
        return None
    value = raw.value
    if vr == "UN":
        return None  # pydicom gives a known attribute its dictionary VR: the general path
    if not isinstance(value, bytes) or not raw.length:
        return raw if isinstance(value, bytes) and action is not Action.EMPTY else None
    if action is Action.EMPTY:
        return raw_element(raw, vr, b"")
    if not value.isascii() or vr not in RAW_TEXT_VRS:
        return None
    stripped = value.rstrip(b"\x00 ")
    if not stripped:
        return raw_element(raw, vr, b"")  # only padding: nothing to hide (as pydicom reads it)
    if vr == "PN" and b"\x1b" in value:
        return None  # an escape sequence switches character sets: pydicom decodes
    new = new_values(action, vr, raw.tag, stripped.decode("ascii").split("\\"), ctx)
    if new is None:
        return None
    return raw_element(raw, vr, "\\".join(new).encode("ascii"))


def raw_values(raw: DataElement | RawDataElement, vr: str, values: list[Any]
               ) -> RawDataElement | None:
    """New ``values`` for the raw text element ``raw``, as raw bytes when they are plain ASCII.

    Plain ASCII is the same bytes in every character set, so the new values need no
    encoding by pydicom; None for anything else (and with the backend off).
    """
    if not isinstance(raw, RawDataElement) or vr not in RAW_TEXT_VRS or not is_available():
        return None
    if all(isinstance(v, str) and v.isascii() for v in values):
        return raw_element(raw, vr, "\\".join(values).encode("ascii"))
    return None


def raw_element(raw: RawDataElement, vr: str, value: bytes) -> RawDataElement:
    """A raw element carrying new bytes, padded to even length as PS3.5 requires."""
    if len(value) % 2:
        value += b"\x00" if vr == "UI" else b" "
    return _new_tuple(RawDataElement, (raw.tag, vr, len(value), value, 0, raw.is_implicit_VR,
                                       raw.is_little_endian, True, False))


# RawDataElement is a named tuple: building it as a tuple skips its Python-level __new__.
_new_tuple = tuple.__new__
