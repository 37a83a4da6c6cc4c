"""Global certainty penalty (NCP of Xu et al. 2006; Ghinita et al. 2007).

Per record and quasi-identifier, the share of the column's domain its published value
covers: (hi - lo) / (max - min) for a numeric column, (values covered - 1) /
(distinct values - 1) for a categorical one, where "values covered" are the values
occurring in the data under the published node or in the published set. A suppressed
record scores 1 everywhere. GCP is the mean over records and quasi-identifiers:
0 is the original data, 1 everything suppressed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def gcp_per_column(class_sizes: npt.NDArray[np.int64], ncp: npt.NDArray[np.float64],
                   suppressed: int, total: int) -> npt.NDArray[np.float64]:
    """Mean penalty of each quasi-identifier over all ``total`` records.

    ``ncp`` is ``(classes, quasi-identifiers)``: the penalty of each class's published
    value; suppressed records add 1 each.
    """
    if total == 0:
        return np.zeros(ncp.shape[1])
    weighted = (class_sizes[:, None] * ncp).sum(axis=0)
    return np.asarray((weighted + suppressed) / total, dtype=np.float64)


def gcp(per_column: npt.NDArray[np.float64]) -> float:
    """Overall GCP: the mean of the per-column penalties."""
    return float(per_column.mean()) if len(per_column) else 0.0
