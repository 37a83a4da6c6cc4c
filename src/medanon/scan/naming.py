"""How a census attribute is shown: tag text, keyword, and whether it holds free text.

Names come from pydicom's dictionaries, which the workers have loaded anyway: each
batch carries the names of its attributes and UIDs (:func:`describe`, :func:`uid_name`),
so the coordinating process never loads pydicom to show them.

Private tags are shown with their block masked (``(0019,xx23)``), since the block
number a creator gets differs from file to file; the creator names them. Free text is
where personal data hides that no rule names: the long text VRs (LT, ST, UT, UC), short
text whose keyword says it is a comment, description, note or reason, and private text
of any kind (its meaning is the vendor's).
"""

from __future__ import annotations

import re

from medanon.scan.record import AttributeKey, Step

FREE_TEXT_VRS = frozenset({"LT", "ST", "UT", "UC"})
PRIVATE_TEXT_VRS = frozenset({"LO", "SH", "LT", "ST", "UT", "UC", "UN", "PN"})
_FREE_TEXT_KEYWORD = re.compile(
    r"(Comments?|Description|Remarks?|Notes?|History|Reason\w*|Impressions?|Findings|Text"
    r"|Interpretation\w*|Conditions)$")


def step_text(step: Step) -> str:
    """``(gggg,eeee)``; ``(gggg,xxee)`` for a private element, ``(gggg,00xx)`` for a creator."""
    tag, creator = step
    group, element = tag >> 16, tag & 0xFFFF
    if creator is None or creator == "":
        return f"({group:04X},{element:04X})"
    if element == 0x0010:
        return f"({group:04X},00xx)"
    return f"({group:04X},xx{element & 0xFF:02X})"


def path_text(key: AttributeKey) -> str:
    """The attribute's path, one tag per sequence level: ``(0040,0275)>(0008,0050)``."""
    return ">".join(step_text(step) for step in key[0])


def keyword(step: Step) -> str:
    """The public keyword, or a private dictionary's name; '' when unknown."""
    from pydicom.datadict import keyword_for_tag, private_dictionary_description

    tag, creator = step
    if creator == "":
        return keyword_for_tag(tag) or ""
    if creator is None:
        return "GroupLength" if tag & 0xFFFF == 0 else ""
    if tag & 0xFFFF == 0x0010:
        return "PrivateCreator"
    try:
        return str(private_dictionary_description(
            (tag & 0xFFFF0000) | 0x1000 | (tag & 0xFF), creator))
    except KeyError:
        return ""


def describe(key: AttributeKey) -> tuple[str, bool]:
    """The attribute's keyword and whether it may hold free text, looked up once a process."""
    found = _DESCRIBED.get(key)
    if found is None:
        found = _DESCRIBED[key] = (keyword(key[0][-1]), is_free_text(key))
    return found


_DESCRIBED: dict[AttributeKey, tuple[str, bool]] = {}


def uid_name(uid: str) -> str:
    """The standard name of a UID (SOP class, transfer syntax); '' when it has none."""
    from pydicom.uid import UID

    name = str(UID(uid).name) if uid else ""
    return "" if name == uid else name


def is_free_text(key: AttributeKey) -> bool:
    """Whether the attribute may hold free text (see the module docstring)."""
    step, vr = key[0][-1], key[1]
    if vr in FREE_TEXT_VRS:
        return True
    if step[1] != "":
        return vr in PRIVATE_TEXT_VRS and step[0] & 0xFFFF != 0x0010
    return vr in ("LO", "SH") and bool(_FREE_TEXT_KEYWORD.search(keyword(step)))
