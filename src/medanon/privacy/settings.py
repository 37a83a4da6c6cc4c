"""The one settings object of the table privacy engine.

The Python API (:func:`~medanon.privacy.api.anonymize`) and ``medanon table`` (its TOML
file and options, :mod:`~medanon.privacy.config`) both produce a :class:`Settings`, and
the engine (:func:`~medanon.privacy.api.anonymize_with`) consumes it. It is validated when
made, so a :class:`Settings` in hand is consistent whichever door it came through, and
every inconsistency is one :class:`~medanon.errors.ConfigurationError` naming it.

Columns are named, not placed: the API resolves positions of 2-D arrays before it builds
one. Whether the named columns exist is the table's business, checked when the engine
reads it. How the engine searches (deferral, cut choice) and where it runs (a cluster)
are arguments of the run, not settings: they are not written beside the output.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from medanon.errors import ConfigurationError
from medanon.privacy.builders import HierarchySpec, canonical_specs
from medanon.privacy.metrics.risk import DEFAULT_THRESHOLD
from medanon.privacy.models import LModel, PrivacyModel, TDistance, one_of

Missing = Literal["error", "suppress"]
MISSING: tuple[Missing, ...] = ("error", "suppress")


@dataclass(frozen=True)
class Settings:
    """The privacy requirements and how the table is read: what is written beside the output.

    Attributes
    ----------
    qi, sensitive
        Quasi-identifier columns and the sensitive column (needed for l and t).
    k, l, l_model, c, t, t_distance
        The privacy models; see :class:`~medanon.privacy.models.PrivacyModel`.
    hierarchies
        Column -> declaration (a file, a builder, or a tree in memory), built from the
        column's values when the engine runs.
    max_suppression
        Share of records (0..1) that may be suppressed.
    missing
        ``"error"`` refuses missing values, ``"suppress"`` suppresses their rows.
    risk_threshold
        Prosecutor-risk threshold of the "records at risk" metric.
    """

    qi: tuple[str, ...]
    sensitive: str | None
    k: int
    l: float | None = None  # noqa: E741 - the name of the model
    l_model: LModel = "distinct"
    c: float | None = None
    t: float | None = None
    t_distance: TDistance = "auto"
    hierarchies: Mapping[str, HierarchySpec] = field(default_factory=dict)
    max_suppression: float = 0.0
    missing: Missing = "error"
    risk_threshold: float = DEFAULT_THRESHOLD

    def __post_init__(self) -> None:
        if not self.qi:
            raise ConfigurationError("at least one quasi-identifier is needed")
        if len(set(self.qi)) != len(self.qi):
            raise ConfigurationError("a quasi-identifier is listed twice")
        if self.sensitive is not None and self.sensitive in self.qi:
            raise ConfigurationError(f"column {self.sensitive!r} cannot be both sensitive "
                                     "and a quasi-identifier")
        if not 0.0 <= self.max_suppression <= 1.0:
            raise ConfigurationError(
                f"max suppression is a share in [0, 1], got {self.max_suppression}")
        one_of(self.missing, MISSING, "missing-value policy")
        for name, spec in self.hierarchies.items():
            if name not in self.qi and name != self.sensitive:
                raise ConfigurationError(
                    f"a hierarchy is given for {name!r}, which is neither a "
                    "quasi-identifier nor the sensitive column")
            if not isinstance(spec, HierarchySpec):
                raise ConfigurationError(
                    f"the hierarchy of {name!r} must be a declaration of "
                    "medanon.privacy.builders (FileSpec, IntervalSpec, OrderingSpec, "
                    "MaskingSpec or TreeSpec); anonymize() also takes files and rows")
        if self.model().needs_sensitive and self.sensitive is None:
            raise ConfigurationError("l-diversity and t-closeness need a sensitive column")

    def model(self) -> PrivacyModel:
        """The privacy models these settings ask for."""
        return PrivacyModel(self.k, self.l, self.l_model, self.c, self.t, self.t_distance)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values; hierarchies as their declarations (paths, builders)."""
        values = {item.name: getattr(self, item.name) for item in fields(self)}
        values["qi"] = list(self.qi)
        values["hierarchies"] = canonical_specs(self.hierarchies)
        return values
