"""Discernibility metric DM (Bayardo & Agrawal 2005).

Each record is charged the size of its class, a suppressed record the size of the
table: DM = sum of squared class sizes + suppressed x N. Lower means records are
easier to tell apart, i.e. more useful.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def discernibility(class_sizes: npt.NDArray[np.int64], suppressed: int, total: int) -> int:
    """Sum of squared class sizes plus ``suppressed * total``."""
    sizes = class_sizes.astype(np.int64)
    return int((sizes * sizes).sum()) + suppressed * total
