"""Deterministic choices for the sample collection, all derived from one integer seed.

Every value that varies (UIDs, identifiers, dates, names picked from a pool) comes
from a name-based hash of ``(seed, label)``, never from a random generator or the
clock, so that one seed gives byte-identical files on every run and machine, and
adding a new label never shifts the values already drawn for other labels.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

# Fixed namespace for every UUID-derived UID of the sample collection (RFC 4122 name-based).
_UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://medanon.invalid/sample-collection")

#: ImplementationClassUID written in every file's meta information: fixed, not seed-dependent.
IMPLEMENTATION_CLASS_UID = f"2.25.{uuid.uuid5(_UID_NAMESPACE, 'implementation-class').int}"
#: ImplementationVersionName (SH, at most 16 characters).
IMPLEMENTATION_VERSION_NAME = "MEDANON_SAMPLE_1"


@dataclass(frozen=True)
class Deriver:
    """Draw values that depend only on the seed and a label naming what is drawn."""

    seed: int

    def _digest(self, label: str) -> bytes:
        return hashlib.sha256(f"medanon-sample|{self.seed}|{label}".encode()).digest()

    def integer(self, label: str, low: int, high: int) -> int:
        """Return an integer in ``[low, high]`` (both inclusive) for ``label``."""
        if high < low:
            raise ValueError("empty range")
        value = int.from_bytes(self._digest(label)[:8], "big")
        return low + value % (high - low + 1)

    def digits(self, label: str, count: int) -> str:
        """Return ``count`` decimal digits, the first one never zero (IDs look issued)."""
        first = str(self.integer(f"{label}#first", 1, 9))
        rest = str(self.integer(label, 0, 10 ** (count - 1) - 1)).zfill(count - 1)
        return first + rest

    def choice(self, label: str, options: Sequence[T]) -> T:
        """Pick one of ``options`` for ``label``."""
        return options[self.integer(label, 0, len(options) - 1)]

    def uid(self, label: str) -> str:
        """Return a ``2.25.<uuid>`` UID (PS3.5 B.2) named by the seed and ``label``."""
        return f"2.25.{uuid.uuid5(_UID_NAMESPACE, f'{self.seed}/{label}').int}"

    def date(self, label: str, start: dt.date, end: dt.date) -> dt.date:
        """Pick a date in ``[start, end]``."""
        return start + dt.timedelta(days=self.integer(label, 0, (end - start).days))

    def time(self, label: str, first_hour: int = 7, last_hour: int = 18) -> dt.time:
        """Pick a working-hours time of day with whole seconds."""
        seconds = self.integer(label, first_hour * 3600, last_hour * 3600 - 1)
        return dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60)


def dicom_date(value: dt.date) -> str:
    """Render a date as DICOM DA (``YYYYMMDD``)."""
    return value.strftime("%Y%m%d")


def dicom_time(value: dt.time) -> str:
    """Render a time as DICOM TM (``HHMMSS``)."""
    return value.strftime("%H%M%S")


def dicom_datetime(day: dt.date, time: dt.time) -> str:
    """Render a date and time as DICOM DT (``YYYYMMDDHHMMSS``)."""
    return dicom_date(day) + dicom_time(time)


def age_string(birth: dt.date, on: dt.date) -> str:
    """Return the DICOM AS age (``NNNY``) of someone born on ``birth`` on day ``on``."""
    years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return f"{years:03d}Y"
