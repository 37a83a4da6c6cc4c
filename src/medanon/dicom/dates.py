"""Per-patient date shifting (Retain Longitudinal Temporal Information, Modified Dates).

Every date of one patient moves by the same offset, derived from the key and the
patient's identity, so the intervals between that patient's studies survive and an age
computed from shifted birth and study dates stays right, while the calendar dates are
gone. The offset is a whole number of days, so times of day (TM) are unchanged and the
day of the week moves with the offset's remainder; medanon uses multiples of 7 days so
that weekday patterns (weekend scanning, scheduling) survive too.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from medanon.custody.keys import SecretKey
from medanon.errors import DeidentificationError

MIN_SHIFT_WEEKS = 52
MAX_SHIFT_WEEKS = 52 * 10

_DA = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DT = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d{1,6})?([+-]\d{4})?$")


def date_offset_days(key: SecretKey, patient_identity: str) -> int:
    """A negative offset of 1 to 10 years, in whole weeks, fixed per patient and key."""
    span = MAX_SHIFT_WEEKS - MIN_SHIFT_WEEKS + 1
    weeks = MIN_SHIFT_WEEKS + int.from_bytes(key.digest("date-offset", patient_identity)[:8],
                                             "big") % span
    return -7 * weeks


def _shift(day: dt.date, offset_days: int) -> dt.date:
    try:
        return day + dt.timedelta(days=offset_days)
    except OverflowError:
        raise DeidentificationError("a date moves outside the calendar when shifted") from None


@lru_cache(maxsize=4096)
def shift_da(value: str, offset_days: int) -> str:
    """Shift one DA value (YYYYMMDD); also accepts the retired YYYY.MM.DD form.

    Cached: every file of a study carries the same few dates.
    """
    text = value.strip().replace(".", "")
    if not text:
        return ""
    match = _DA.match(text)
    if match is None:
        raise DeidentificationError("a DA value is not a valid date")
    try:
        day = dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise DeidentificationError("a DA value is not a valid calendar date") from None
    return _shift(day, offset_days).strftime("%Y%m%d")


def shift_da_range(value: str, offset_days: int) -> str:
    """Shift a DA value that may be a range (``A-B``, ``-B``, ``A-``), as in queries."""
    if "-" not in value:
        return shift_da(value, offset_days)
    low, high = value.split("-", 1)
    return f"{shift_da(low, offset_days)}-{shift_da(high, offset_days)}"


def shift_dt(value: str, offset_days: int) -> str:
    """Shift one DT value, keeping its precision and any UTC offset suffix.

    A DT with only a year (or year and month) moves by the whole offset too, rounded to its
    own precision, so partial dates never reveal more than they did.
    """
    text = value.strip()
    if not text:
        return ""
    match = _DT.match(text)
    if match is None:
        raise DeidentificationError("a DT value is not a valid date-time")
    year, month, day = int(match[1]), int(match[2] or 1), int(match[3] or 1)
    try:
        shifted = _shift(dt.date(year, month, day), offset_days)
    except ValueError:
        raise DeidentificationError("a DT value is not a valid calendar date") from None
    head = f"{shifted.year:04d}"
    if match[2]:
        head += f"{shifted.month:02d}"
    if match[3]:
        head += f"{shifted.day:02d}"
    rest = "".join(part or "" for part in match.groups()[3:])
    return head + rest
