"""The per-collection plan: decisions made once, after every header was read.

Kept apart from the transform (and from pydicom) so that a runner can carry it around
without loading the DICOM machinery.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

#: Why a file of a patient the plan leaves out is withheld (no value, no identifier).
SUPPRESSED_REASON = "the collection's privacy plan suppresses this patient"
NOT_PLANNED_REASON = ("the patient is not in the collection's privacy plan (the source "
                      "changed after planning: rerun with --restart)")


#: PatientAge, the one planned attribute that changes from study to study.
PATIENT_AGE = 0x00101010


class _Keyed(Protocol):
    def digest(self, namespace: str, value: str | bytes) -> bytes: ...


def study_key(key: _Keyed, study_instance_uid: str) -> str:
    """The keyed name of a study inside a plan (16 hex digits; never the UID itself)."""
    return key.digest("collection-study", study_instance_uid).hex()[:16]


def age_in_later_study(age: str, years: int) -> str | None:
    """A planned first-study PatientAge (``NNNY``) ``years`` later; None when it is not one.

    The age grows by the whole years between the studies, as the kept dates' intervals say,
    so a patient's studies stay consistent with each other and with the published range
    of the first study.
    """
    if len(age) != 4 or not age[:3].isdigit() or age[3] != "Y":
        return None
    later = int(age[:3]) + years
    return f"{later:03d}Y" if later <= 999 else None


@dataclass(frozen=True)
class CollectionPlan:
    """Decisions made once per collection, after every header was read.

    ``patient_values`` maps a patient pseudonym to replacement values by tag (for example
    the generalised age, size and weight that collection-level k-anonymity chooses); they
    are applied after the rules. A value of None removes the attribute. An empty plan
    changes nothing.

    A *closed* plan covers the whole collection: a file of a patient it does not name, or
    names in ``suppressed``, is withheld. ``method`` is added to DeidentificationMethod
    (the privacy model and its parameters); ``fingerprint`` pins the plan in the manifest.

    ``study_years`` maps a later study (by :func:`study_key`) to the whole years since
    its patient's first study: a planned PatientAge grows by that much in its files.
    """

    patient_values: Mapping[str, Mapping[int, str | None]] = field(default_factory=dict)
    study_years: Mapping[str, int] = field(default_factory=dict)
    suppressed: frozenset[str] = frozenset()
    closed: bool = False
    method: str = ""
    fingerprint: str = ""


EMPTY_PLAN = CollectionPlan()
