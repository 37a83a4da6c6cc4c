"""The privacy engine: anonymise clinical tables by multidimensional Mondrian.

Quasi-identifiers are generalised just enough that every record hides in a class of
at least k (k-anonymity), with a diverse sensitive attribute (l-diversity) whose
distribution stays close to the whole table's (t-closeness). Modules, in the order
data flows through them: :mod:`~medanon.privacy.encode` (integer codes),
:mod:`~medanon.privacy.partition` and :mod:`~medanon.privacy.cuts` (Mondrian),
:mod:`~medanon.privacy.models` (privacy models), :mod:`~medanon.privacy.engine`
(passes and suppression), :mod:`~medanon.privacy.publish` (generalised values),
:mod:`~medanon.privacy.metrics` (loss and risk) and the independent
:mod:`~medanon.privacy.checker`. A run's settings are one
:class:`~medanon.privacy.settings.Settings`, whether from :func:`anonymize`'s keywords
or from ``medanon table``'s TOML file (:mod:`~medanon.privacy.config`).
"""

from medanon.privacy.api import AnonymizationResult, anonymize, anonymize_with
from medanon.privacy.checker import CheckReport, check
from medanon.privacy.hierarchy import Hierarchy, load_hierarchy, parse_hierarchy
from medanon.privacy.metrics import (
    METRIC_HELP,
    Metrics,
    average_class_size,
    discernibility,
    gcp,
    gcp_per_column,
    reidentification_risk,
)
from medanon.privacy.models import PrivacyModel
from medanon.privacy.settings import Settings

__all__ = [
    "METRIC_HELP",
    "AnonymizationResult",
    "CheckReport",
    "Hierarchy",
    "Metrics",
    "PrivacyModel",
    "Settings",
    "anonymize",
    "anonymize_with",
    "average_class_size",
    "check",
    "discernibility",
    "gcp",
    "gcp_per_column",
    "load_hierarchy",
    "parse_hierarchy",
    "reidentification_risk",
]
