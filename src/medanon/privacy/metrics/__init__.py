"""Information loss and risk of a published table; one metric per module.

Every metric is computed from the published values (classes re-derived from them),
exactly as ``REFERENCE.md`` of the benchmark defines it, so figures compare with ARX's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from medanon.privacy.metrics.cavg import average_class_size
from medanon.privacy.metrics.discernibility import discernibility
from medanon.privacy.metrics.gcp import gcp, gcp_per_column
from medanon.privacy.metrics.risk import DEFAULT_THRESHOLD, Risk, reidentification_risk

__all__ = [
    "DEFAULT_THRESHOLD",
    "METRIC_HELP",
    "Metrics",
    "Risk",
    "average_class_size",
    "compute_metrics",
    "discernibility",
    "gcp",
    "gcp_per_column",
    "reidentification_risk",
]

# One line per metric, shared by the CLI help, the printed table and the docs.
METRIC_HELP: dict[str, str] = {
    "gcp": "global certainty penalty: mean share of each QI's domain a published value "
           "covers (0 = original data, 1 = all suppressed)",
    "dm": "discernibility: sum of squared class sizes + suppressed x N (lower = finer)",
    "cavg": "normalised average class size: ((N - suppressed) / classes) / k (1 = ideal)",
    "suppressed": "records published with every quasi-identifier '*'",
    "classes": "equivalence classes: groups of rows with identical published QI values",
    "prosecutor_highest": "highest prosecutor risk: 1 / size of the smallest class",
    "prosecutor_average": "average prosecutor risk: classes / published records",
    "records_at_risk": "share of records in classes whose prosecutor risk exceeds the "
                       "threshold",
    "marketer": "marketer risk: expected share of records re-identified when every "
                "record is linked (groups / N)",
}


@dataclass(frozen=True)
class Metrics:
    """Information loss and re-identification risk of one published table."""

    records: int
    classes: int
    suppressed: int
    gcp: float
    gcp_per_qi: dict[str, float]
    dm: int
    cavg: float
    prosecutor_highest: float
    prosecutor_average: float
    records_at_risk: float
    risk_threshold: float
    marketer: float
    smallest_class: int
    largest_class: int

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return asdict(self)


def compute_metrics(names: list[str], class_sizes: npt.NDArray[np.int64],
                    ncp: npt.NDArray[np.float64], suppressed: int, total: int, k: int,
                    threshold: float = DEFAULT_THRESHOLD) -> Metrics:
    """All metrics of a publication given its class sizes and per-class losses."""
    per_column = gcp_per_column(class_sizes, ncp, suppressed, total)
    risk = reidentification_risk(class_sizes, suppressed, total, threshold)
    return Metrics(
        records=total,
        classes=len(class_sizes),
        suppressed=suppressed,
        gcp=gcp(per_column),
        gcp_per_qi={name: float(v) for name, v in zip(names, per_column, strict=True)},
        dm=discernibility(class_sizes, suppressed, total),
        cavg=average_class_size(len(class_sizes), suppressed, total, k),
        prosecutor_highest=risk.prosecutor_highest,
        prosecutor_average=risk.prosecutor_average,
        records_at_risk=risk.records_at_risk,
        risk_threshold=threshold,
        marketer=risk.marketer,
        smallest_class=int(class_sizes.min()) if len(class_sizes) else 0,
        largest_class=int(class_sizes.max()) if len(class_sizes) else 0,
    )
