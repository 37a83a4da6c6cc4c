"""Which recipe actions suit which VR, and whether a ``replace`` value is valid for it.

A recipe is checked when it is loaded, not when the first file is written: a
replacement that would make every output file invalid (a 17-character SH, a
31st of February) is a configuration error, reported with its line.
"""

from __future__ import annotations

import re
from datetime import datetime

from medanon.profile.model import Action

#: VRs whose values cannot be written from a recipe's text.
UNREPLACEABLE_VRS = frozenset({"OB", "OW", "OF", "OD", "OL", "OV", "UN", "SQ", "AT"})
#: Binary numeric VRs: recipe text is parsed to numbers.
INTEGER_VRS = frozenset({"US", "SS", "UL", "SL", "SV", "UV"})
FLOAT_VRS = frozenset({"FL", "FD"})
#: Text VRs that hold exactly one value (a backslash is an ordinary character there).
SINGLE_VALUE_TEXT_VRS = frozenset({"ST", "LT", "UT", "UR"})
#: Text VRs where a keyed pseudonym or hash can stand in for the value.
FREE_TEXT_VRS = frozenset({"PN", "LO", "SH", "LT", "ST", "UT", "UC"})
DATE_VRS = frozenset({"DA", "DT", "TM"})

_VM = re.compile(r"(\d+)(?:-(\d+)?(n)?)?")


def candidate_vrs(vr: str | None) -> tuple[str, ...]:
    """The VRs an attribute may have: "US or SS" gives both, None gives none."""
    if not vr:
        return ()
    return tuple(part.strip() for part in vr.split(" or "))


def action_problem(action: Action, vr: str | None) -> str | None:
    """Why ``action`` cannot apply to an attribute of dictionary VR ``vr``, or None when it can."""
    vrs = candidate_vrs(vr)
    if action in (Action.REMOVE, Action.EMPTY, Action.KEEP, Action.DUMMY, Action.CLEAN):
        return None
    if not vrs:
        return f"{action.value} needs the attribute's VR, and the DICOM dictionary does not know it"
    shown = vr
    if action is Action.REMAP_UID and "UI" not in vrs:
        return f"remap-uid only applies to UI attributes, not to VR {shown}"
    if action is Action.SHIFT_DATE and not DATE_VRS & set(vrs):
        return f"shift-date only applies to DA, DT or TM attributes, not to VR {shown}"
    if action in (Action.PSEUDONYM, Action.HASH) and not FREE_TEXT_VRS & set(vrs):
        return (
            f"{action.value} only applies to text attributes "
            f"({', '.join(sorted(FREE_TEXT_VRS))}), not to VR {shown}"
        )
    if action is Action.REPLACE and all(candidate in UNREPLACEABLE_VRS for candidate in vrs):
        return f"replace cannot write a value of VR {shown}; use remove, empty or dummy"
    return None


def _vm_allows(vm: str | None, count: int) -> bool:
    if not vm:
        return True
    match = _VM.fullmatch(vm.replace(" ", ""))
    if not match:
        return True
    low = int(match.group(1))
    high, times_n = match.group(2), match.group(3)
    if match.group(0) == match.group(1):
        return count == low
    if times_n:
        # "1-n", "2-2n", "3-3n": at least ``low``; with a multiplier, a multiple of it.
        step = int(high) if high else 1
        return count >= low and count % step == 0
    return low <= count <= int(high) if high else count >= low


def _clean_message(message: str) -> str:
    return message.split(" Please see", 1)[0].rstrip(".")


def _check_one(vr: str, text: str) -> None:
    """Raise ValueError when ``text`` is not one valid value of ``vr``."""
    allowed_controls = "\t\n\r\f" if vr in ("LT", "ST", "UT") else ""
    if any(ord(char) < 0x20 and char not in allowed_controls for char in text):
        raise ValueError(f"control characters are not allowed in VR {vr}")
    value: str | int | float = text
    if vr in INTEGER_VRS:
        try:
            value = int(text, 10)
        except ValueError:
            raise ValueError(f"{text!r} is not an integer") from None
    elif vr in FLOAT_VRS:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
    try:
        from pydicom import config  # loaded on first use, as in the rest of profile/
        from pydicom.valuerep import validate_value

        validate_value(vr, value, config.RAISE)
    except ValueError as exc:
        raise ValueError(_clean_message(str(exc))) from None
    if vr in ("DA", "DT") and len(text) >= 8:
        try:
            datetime.strptime(text[:8], "%Y%m%d")
        except ValueError:
            raise ValueError(f"{text[:8]!r} is not a calendar date") from None


def check_replacement(vr: str | None, vm: str | None, raw: str | int | float) -> str:
    """The replacement as the string a :class:`Rule` carries, or ValueError saying why not.

    Multiple values are written as in DICOM, separated by a backslash; their
    number must fit the attribute's VM. With a VR such as "US or SS" the value
    must suit at least one of them.
    """
    if isinstance(raw, bool):
        raise ValueError("a replacement value must be a string or a number, not a boolean")
    text = str(raw)
    if text == "":
        raise ValueError("an empty replacement value: use action empty instead")
    problems: list[str] = []
    for candidate in candidate_vrs(vr):
        if candidate in UNREPLACEABLE_VRS:
            continue
        parts = [text] if candidate in SINGLE_VALUE_TEXT_VRS else text.split("\\")
        if not _vm_allows(vm, len(parts)):
            problems.append(f"{len(parts)} value(s) given but the attribute's VM is {vm}")
            continue
        try:
            for part in parts:
                _check_one(candidate, part)
        except ValueError as exc:
            problems.append(f"invalid for VR {candidate}: {exc}")
            continue
        return text
    if not problems:
        raise ValueError(f"replace cannot write a value of VR {vr}")
    raise ValueError("; ".join(problems))
