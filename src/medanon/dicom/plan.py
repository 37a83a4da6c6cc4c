"""The per-collection plan: decisions made once, after every header was read.

Kept apart from the transform (and from pydicom) so that a runner can carry it around
without loading the DICOM machinery.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CollectionPlan:
    """Decisions made once per collection, after every header was read.

    ``patient_values`` maps a patient pseudonym to replacement values by tag (for example
    the generalised age, size and weight that collection-level k-anonymity chooses); they
    are applied after the rules. An empty plan changes nothing.
    """

    patient_values: Mapping[str, Mapping[int, str]] = field(default_factory=dict)


EMPTY_PLAN = CollectionPlan()
