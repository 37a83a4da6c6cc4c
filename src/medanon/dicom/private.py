"""Private attributes: removed unless known safe, matched by creator and element byte.

A private element's meaning depends on the creator string that reserved its block, so
medanon never decides by group alone: (0019,1023) is a table speed under GEMS_ACQU_01
and may be a name under another creator. Creators that end up with no element, and
elements whose block has no creator, are removed as well.
"""

from __future__ import annotations

from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

from medanon.profile.model import Action, PrivateKey, Rule, Ruleset

CREATOR_RULE = Rule(action=Action.KEEP, origin="private-creator")


def _creator_text(dataset: Dataset, tag: BaseTag) -> str:
    """The creator string of a block, stripped, as pydicom's decoded value reads."""
    raw = _plain_raw_creator(dataset._dict.get(tag))
    if raw is not None:
        return raw.decode("ascii").strip(" \x00")
    value = dataset[tag].value  # decoded in place: written out as pydicom encodes it
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return str(value).strip(" \x00")


def _plain_raw_creator(element: DataElement | RawDataElement | None) -> bytes | None:
    """The bytes of a raw creator that decoding and encoding again would leave unchanged.

    A single plain-ASCII LO value, its padding exactly what pydicom writes (one space at
    most). Left raw, it is copied to the output with the very bytes pydicom would have
    written for it; anything else returns None and is decoded as before.
    """
    if not isinstance(element, RawDataElement) or element.VR not in ("LO", None):
        return None
    value = element.value
    if not isinstance(value, bytes) or element.length != len(value) or not value.isascii() \
            or b"\\" in value or b"\x1b" in value:
        return None
    text = value.rstrip(b"\x00 ")
    return value if (text + b" " if len(text) % 2 else text) == value else None


def private_rules(dataset: Dataset, ruleset: Ruleset) -> dict[int, Rule]:
    """The rule of every private element of one dataset level that survives; absent means removed.

    Returns the surviving data elements and the creator elements that reserve their blocks.
    """
    private = [tag for tag in dataset.keys() if tag & 0x10000]  # odd groups; most have none
    if not private:
        return {}
    creators: dict[tuple[int, int], str] = {}
    for tag in private:
        group, element = tag >> 16, tag & 0xFFFF
        if 0x0010 <= element <= 0x00FF:
            creators[(group, element)] = _creator_text(dataset, tag)

    survivors: dict[int, Rule] = {}
    used_blocks: set[tuple[int, int]] = set()
    for tag in private:
        group, element = tag >> 16, tag & 0xFFFF
        if element < 0x1000:
            continue
        block = element >> 8
        creator = creators.get((group, block))
        if creator is None:
            continue  # an orphan: no creator, no meaning, no survival
        rule = ruleset.private_rule(PrivateKey(group, creator, element & 0xFF))
        if rule is not None:
            survivors[int(tag)] = rule
            used_blocks.add((group, block))
    for group, block in used_blocks:
        survivors[(group << 16) | block] = CREATOR_RULE
    return survivors

