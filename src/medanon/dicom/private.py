"""Private attributes: removed unless known safe, matched by creator and element byte.

A private element's meaning depends on the creator string that reserved its block, so
medanon never decides by group alone: (0019,1023) is a table speed under GEMS_ACQU_01
and may be a name under another creator. Creators that end up with no element, and
elements whose block has no creator, are removed as well.
"""

from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

from medanon.dicom.backend.peek import stored_creator
from medanon.profile.model import Action, PrivateKey, Rule, Ruleset

CREATOR_RULE = Rule(action=Action.KEEP, origin="private-creator")


def _creator_text(dataset: Dataset, tag: BaseTag) -> str:
    """The creator string of a block, stripped, as pydicom's decoded value reads."""
    raw = stored_creator(dataset, tag)  # left raw when it reads as its own bytes
    if raw is not None:
        return raw.decode("ascii").strip(" \x00")
    value = dataset[tag].value  # decoded in place: written out as pydicom encodes it
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return str(value).strip(" \x00")


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

