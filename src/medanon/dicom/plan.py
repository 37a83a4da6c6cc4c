"""The per-collection plan: decisions made once, after every header was read.

Kept apart from the transform (and from pydicom) so that a runner can carry it around
without loading the DICOM machinery.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: Why a file of a patient the plan leaves out is withheld (no value, no identifier).
SUPPRESSED_REASON = "the collection's privacy plan suppresses this patient"
NOT_PLANNED_REASON = ("the patient is not in the collection's privacy plan (the source "
                      "changed after planning: rerun with --restart)")


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
    """

    patient_values: Mapping[str, Mapping[int, str | None]] = field(default_factory=dict)
    suppressed: frozenset[str] = frozenset()
    closed: bool = False
    method: str = ""
    fingerprint: str = ""


EMPTY_PLAN = CollectionPlan()
