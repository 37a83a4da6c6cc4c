"""What a C-STORE response status means for an instance waiting to be forwarded.

Pure: the delivery loop asks one question of every status and gets one of three
answers. Success and the warnings (coercion, element discarded, data set does not
match, PS3.4 B.2.3) confirm the instance; Out of Resources (0xA7xx) and a lost
response are worth another try; every other failure is the destination's final word.
"""

from __future__ import annotations

from enum import StrEnum

#: Refused: Out of Resources (PS3.4 B.2.3). Also what medanon answers on a full disk.
OUT_OF_RESOURCES = 0xA700
#: Out of Resources, as medanon answers when its queue's disk is below the reserve.
OUT_OF_RESOURCES_RESERVE = 0xA702
#: Error: Cannot Understand: a request medanon cannot queue (no SOP Instance UID).
CANNOT_UNDERSTAND = 0xC000
SUCCESS = 0x0000
#: Warnings that a storage SCP gives with an instance it kept (PS3.4 B.2.3, PS3.7 C).
WARNINGS = frozenset({0x0001, 0x0107, 0x0116, 0xB000, 0xB006, 0xB007})


class Delivery(StrEnum):
    """What a response means for the instance sent."""

    CONFIRMED = "confirmed"
    TRANSIENT = "transient"
    PERMANENT = "permanent"


def classify(status: int | None) -> Delivery:
    """Confirmed, worth retrying, or refused for good; ``None`` is a lost response."""
    if status is None:
        return Delivery.TRANSIENT
    if status == SUCCESS or status in WARNINGS:
        return Delivery.CONFIRMED
    if 0xA700 <= status <= 0xA7FF:
        return Delivery.TRANSIENT
    return Delivery.PERMANENT


def describe(status: int) -> str:
    """The status as a ledger reason: its code, and its meaning when it is a common one."""
    if 0xA700 <= status <= 0xA7FF:
        meaning = "out of resources"
    elif 0xA900 <= status <= 0xA9FF:
        meaning = "data set does not match SOP class"
    elif 0xC000 <= status <= 0xCFFF:
        meaning = "cannot understand"
    else:
        meaning = {0x0117: "invalid SOP instance", 0x0122: "SOP class not supported",
                   0x0124: "not authorised", 0x0210: "duplicate invocation",
                   0x0211: "unrecognised operation", 0x0212: "mistyped argument",
                   }.get(status, "failure")
    return f"the destination answered 0x{status:04X} ({meaning})"
