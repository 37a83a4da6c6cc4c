"""Normalised average class size C_avg (LeFevre et al. 2006).

C_avg = ((N - suppressed) / number of classes) / k: 1 means every class is as small as
k allows; larger values mean coarser classes than the model requires.
"""

from __future__ import annotations


def average_class_size(classes: int, suppressed: int, total: int, k: int) -> float:
    """((total - suppressed) / classes) / k, or 0 when there is no class."""
    if classes == 0:
        return 0.0
    return ((total - suppressed) / classes) / k
