"""Re-identification risk of the published table (sample-based, as ARX reports it).

Prosecutor model (the attacker knows the target is in the table): a record in a class
of size s is re-identified with probability 1/s. Highest risk = 1 / smallest class;
average = number of classes / published records; records at risk = share of all
records lying in classes whose risk exceeds a threshold. Marketer model (the attacker
links every record at once): the expected share of records re-identified, the number
of distinguishable groups over N, counting the suppressed rows as one group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

DEFAULT_THRESHOLD = 0.2


@dataclass(frozen=True)
class Risk:
    """Prosecutor and marketer risk of a published table."""

    prosecutor_highest: float
    prosecutor_average: float
    records_at_risk: float
    threshold: float
    marketer: float


def reidentification_risk(class_sizes: npt.NDArray[np.int64], suppressed: int, total: int,
                          threshold: float = DEFAULT_THRESHOLD) -> Risk:
    """Prosecutor (highest, average, share above ``threshold``) and marketer risk."""
    published = total - suppressed
    if len(class_sizes) == 0 or total == 0:
        return Risk(0.0, 0.0, 0.0, threshold, 1.0 / total if suppressed else 0.0)
    risk = 1.0 / class_sizes
    at_risk = float(class_sizes[risk > threshold].sum()) / total
    groups = len(class_sizes) + (1 if suppressed else 0)
    return Risk(float(risk.max()), len(class_sizes) / published, at_risk, threshold,
                groups / total)
