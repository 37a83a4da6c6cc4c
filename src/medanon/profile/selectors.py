"""Parse the attribute names a recipe may use into something a Ruleset can hold.

Three spellings are accepted, each with one canonical text (used in the recipe
fingerprint, so that ``PatientAge`` and ``"(0010,1010)"`` are the same recipe):

* a DICOM keyword (``PatientAge``) or a public tag (``"(0010,1010)"``):
  canonical ``(0010,1010)``;
* a public tag pattern with ``x`` for free hex digits (``"(60xx,3000)"``): a mask
  rule. When the group's last digit is free the pattern only matches even
  groups, as :func:`medanon.profile.generate.mask_for_pattern` explains;
* a private attribute ``"(0019,xx23)@GEMS_ACQU_01"``: odd group, ``xx`` for the
  block byte the file happens to use, element byte, and the private creator.
  Private attributes are always named by creator: the same (group, element)
  means different things under different creators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from medanon.profile.model import PrivateKey

SelectorKind = Literal["tag", "mask", "private"]

_TAG = re.compile(r"\(\s*([0-9A-Fa-f]{4})\s*,\s*([0-9A-Fa-f]{4})\s*\)")
_PATTERN = re.compile(r"\(\s*([0-9A-Fa-fXx]{4})\s*,\s*([0-9A-Fa-fXx]{4})\s*\)")
_PRIVATE = re.compile(r"\(\s*([0-9A-Fa-f]{4})\s*,\s*[Xx]{2}([0-9A-Fa-f]{2})\s*\)@(.*)")
_KEYWORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")

#: Odd groups PS3.5 7.8.1 reserves: they can never carry private data elements.
_NOT_PRIVATE_GROUPS = frozenset({0x0001, 0x0003, 0x0005, 0x0007, 0xFFFF})


class SelectorError(ValueError):
    """A recipe key cannot be read; the recipe parser adds file and line."""


@dataclass(frozen=True)
class Selector:
    """A resolved recipe key.

    ``tag`` is set for "tag"; ``mask``/``value`` for "mask"; ``private`` for
    "private". ``vr`` is pydicom's dictionary VR (possibly "US or SS") or None
    when the dictionary does not know the attribute.
    """

    kind: SelectorKind
    canonical: str
    tag: int | None = None
    mask: int | None = None
    value: int | None = None
    private: PrivateKey | None = None
    vr: str | None = None
    vm: str | None = None
    keyword: str | None = None


def _dictionary(tag: int) -> tuple[str | None, str | None, str | None]:
    from pydicom import datadict  # loaded on first use: see _dictionaries()

    try:
        vr = datadict.dictionary_VR(tag)
    except KeyError:
        return None, None, None
    return vr, datadict.dictionary_VM(tag), datadict.keyword_for_tag(tag) or None


def _dictionaries() -> tuple[dict[int, Any], dict[str, Any]]:
    """Pydicom's public and repeater dictionaries, imported on first use.

    pydicom is imported lazily throughout the profile package, so that loading a recipe
    (for instance to check a resumed run's settings) does not pay for it.
    """
    # The names pydicom's documentation imports from datadict (its _dicom_dict module is
    # internal); datadict does not list them for type checkers.
    from pydicom.datadict import (  # type: ignore[attr-defined]
        DicomDictionary,
        RepeatersDictionary,
    )

    return DicomDictionary, RepeatersDictionary


@cache
def _repeater_keywords() -> dict[str, str]:
    """Keywords of repeating-group attributes (``OverlayData``) mapped to their pattern."""
    return {
        entry[4]: f"({pattern[:4]},{pattern[4:]})"
        for pattern, entry in _dictionaries()[1].items()
        if entry[4]
    }


@cache
def _all_keywords() -> tuple[str, ...]:
    public = (entry[4] for entry in _dictionaries()[0].values() if entry[4])
    return (*public, *_repeater_keywords())


def _suggest(keyword: str) -> str:
    import difflib  # only for a misspelt keyword

    close = difflib.get_close_matches(keyword, _all_keywords(), n=1, cutoff=0.8)
    return f" (did you mean {close[0]}?)" if close else ""


def pattern_text(mask: int, value: int) -> str:
    """A mask rule in the recipe's notation: ``(60xx,3000)`` (a partly fixed digit shows as x)."""
    digits = "".join(
        f"{value >> shift & 0xF:X}" if mask >> shift & 0xF == 0xF else "x"
        for shift in range(28, -4, -4)
    )
    return f"({digits[:4]},{digits[4:]})"


def _private(group_text: str, element_text: str, creator: str) -> Selector:
    group = int(group_text, 16)
    element = int(element_text, 16)
    creator = creator.strip()
    if not group & 1 or group in _NOT_PRIVATE_GROUPS:
        raise SelectorError(f"group {group:04X} is not a private group")
    if not creator:
        raise SelectorError("the private creator after '@' is empty")
    if len(creator) > 64 or "\\" in creator or any(ord(char) < 0x20 for char in creator):
        raise SelectorError("the private creator is not a valid LO value")
    key = PrivateKey(group=group, creator=creator, element=element)
    return Selector(
        kind="private", canonical=f"({group:04X},xx{element:02X})@{creator}", private=key
    )


def _public_tag(tag: int) -> Selector:
    if tag >> 16 & 1:
        raise SelectorError(
            f"({tag >> 16:04X},{tag & 0xFFFF:04X}) is in a private (odd) group: "
            "name it by creator, e.g. (gggg,xxee)@CREATOR"
        )
    vr, vm, keyword = _dictionary(tag)
    return Selector(
        kind="tag", canonical=f"({tag >> 16:04X},{tag & 0xFFFF:04X})", tag=tag,
        vr=vr, vm=vm, keyword=keyword,
    )


def parse_selector(key: str) -> Selector:
    """Resolve one ``[attributes]`` key; raise :class:`SelectorError` naming the problem."""
    text = key.strip()
    private = _PRIVATE.fullmatch(text)
    if private:
        return _private(private.group(1), private.group(2), private.group(3))
    if "@" in text:
        raise SelectorError(
            "a private attribute must read (gggg,xxee)@CREATOR, with xx for the block byte"
        )
    exact = _TAG.fullmatch(text)
    if exact:
        return _public_tag(int(exact.group(1) + exact.group(2), 16))
    pattern = _PATTERN.fullmatch(text)
    if pattern:
        group, element = pattern.group(1).upper(), pattern.group(2).upper()
        if not group.endswith("X") and int(group[-1], 16) & 1:
            raise SelectorError(
                f"group {group} is private (odd): name it by creator, e.g. (gggg,xxee)@CREATOR"
            )
        from medanon.profile.generate import mask_for_pattern  # the generator's, on demand

        mask, value = mask_for_pattern(group, element)
        vr = vm = keyword = None
        if "X" not in element:
            vr, vm, keyword = _dictionary(value)
        canonical = f"({group},{element})".replace("X", "x")
        return Selector(
            kind="mask", canonical=canonical, mask=mask, value=value, vr=vr, vm=vm,
            keyword=keyword,
        )
    if text.startswith("("):
        raise SelectorError("a tag must read (gggg,eeee) with four hex digits on each side")
    if not _KEYWORD.fullmatch(text):
        raise SelectorError("not a DICOM keyword, a tag (gggg,eeee) or (gggg,xxee)@CREATOR")
    from pydicom import datadict

    tag = datadict.tag_for_keyword(text)
    if tag is None and text in _repeater_keywords():
        return parse_selector(_repeater_keywords()[text])
    if tag is None:
        raise SelectorError(f"unknown keyword {text!r}{_suggest(text)}")
    return _public_tag(tag)
