"""Privacy models, evaluated on many candidate groups at once.

A group is described by its size and the histogram of its sensitive values; the
engine builds those histograms with one ``bincount`` per candidate cut, for every
partition of a level together, and asks this module which groups are acceptable.
Models combine freely: a group is acceptable when every configured model holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np
import numpy.typing as npt

from medanon.errors import ConfigurationError
from medanon.privacy.emd import emd_equal, emd_hierarchical, emd_ordered
from medanon.privacy.encode import SensitiveColumn, TreeTables

LModel = Literal["distinct", "entropy", "recursive"]
TDistance = Literal["auto", "equal", "ordered", "hierarchical"]
L_MODELS: tuple[LModel, ...] = ("distinct", "entropy", "recursive")
T_DISTANCES: tuple[TDistance, ...] = ("auto", "equal", "ordered", "hierarchical")

Choice = TypeVar("Choice", bound=str)

# Slack for floating-point comparisons of entropy and distances.
EPSILON = 1e-9


def one_of(value: object, choices: tuple[Choice, ...], what: str) -> Choice:
    """``value`` as one of ``choices``, or the error naming them all.

    Settings read from TOML or the command line arrive as plain strings; this is how
    they become the literal types the engine is typed with, without a cast.
    """
    for choice in choices:
        if value == choice:
            return choice
    raise ConfigurationError(f"{what} must be {', '.join(choices[:-1])} or {choices[-1]}, "
                             f"got {value!r}")


@dataclass(frozen=True)
class PrivacyModel:
    """The requirements every published equivalence class must meet.

    Parameters
    ----------
    k
        Minimum class size (k-anonymity).
    l, l_model, c
        l-diversity of the sensitive attribute: ``distinct`` (at least l values),
        ``entropy`` (entropy at least log l) or ``recursive`` (c,l): the most frequent
        value occurs fewer than c times the total of the (l)th most frequent and rarer.
    t, t_distance
        t-closeness: the Earth Mover's Distance between a class's sensitive
        distribution and the whole table's is at most t. ``auto`` picks ordered for a
        numeric attribute, hierarchical when the attribute has a hierarchy, else equal.
    """

    k: int
    l: float | None = None  # noqa: E741 - the name of the model
    l_model: LModel = "distinct"
    c: float | None = None
    t: float | None = None
    t_distance: TDistance = "auto"

    def __post_init__(self) -> None:
        if not isinstance(self.k, int | np.integer) or self.k < 1:
            raise ConfigurationError(f"k must be a positive integer, got {self.k!r}")
        one_of(self.l_model, L_MODELS, "l-model")
        if self.l is not None:
            if self.l < 1:
                raise ConfigurationError(f"l must be at least 1, got {self.l!r}")
            if self.l_model != "entropy" and float(self.l) != int(self.l):
                raise ConfigurationError(f"{self.l_model} l-diversity needs an integer l")
            if self.l_model == "recursive" and (self.c is None or self.c <= 0):
                raise ConfigurationError("recursive (c,l)-diversity needs a positive c")
        if self.t is not None and not 0 <= self.t <= 1:
            raise ConfigurationError(f"t must lie in [0, 1], got {self.t!r}")
        one_of(self.t_distance, T_DISTANCES, "t distance")

    @property
    def needs_sensitive(self) -> bool:
        """Whether l-diversity or t-closeness is configured."""
        return self.l is not None or self.t is not None


@dataclass(frozen=True, eq=False)
class ModelEvaluator:
    """A :class:`PrivacyModel` bound to one table's sensitive column.

    ``reference`` is the distribution t-closeness compares against: every record with
    a sensitive value, suppressed ones included, i.e. the distribution an attacker
    learns from the published table as a whole.
    """

    model: PrivacyModel
    m: int  # number of sensitive values (0 when no model needs them)
    reference: npt.NDArray[np.float64]
    distance: Literal["equal", "ordered", "hierarchical"] | None
    tree: TreeTables | None

    @property
    def needs_histograms(self) -> bool:
        """Whether validity depends on the sensitive values (not only on sizes)."""
        return self.model.needs_sensitive

    def satisfied(self, counts: npt.NDArray[np.integer] | None,
                  sizes: npt.NDArray[np.integer]) -> npt.NDArray[np.bool_]:
        """Which groups meet every model; ``counts`` is ``(groups, m)`` or None for k only."""
        sizes = np.asarray(sizes)
        ok = np.asarray(sizes >= self.model.k)
        if not self.needs_histograms:
            return ok
        assert counts is not None
        model = self.model
        if model.l is not None:
            if model.l_model == "distinct":
                ok &= (counts > 0).sum(axis=1) >= model.l
            elif model.l_model == "entropy":
                ok &= entropy(counts, sizes) >= math.log(model.l) - EPSILON
            else:
                ok &= recursive_ok(counts, int(model.l), float(model.c or 0.0))
        if model.t is not None:
            ok &= self.distances(counts, sizes) <= model.t + EPSILON
        return ok

    def distances(self, counts: npt.NDArray[np.integer],
                  sizes: npt.NDArray[np.integer]) -> npt.NDArray[np.float64]:
        """EMD of each group to the reference distribution."""
        safe = np.maximum(np.asarray(sizes, dtype=np.float64), 1.0)
        p = counts / safe[:, None]
        if self.distance == "ordered":
            return emd_ordered(p, self.reference)
        if self.distance == "hierarchical":
            assert self.tree is not None
            return emd_hierarchical(p, self.reference, self.tree)
        return emd_equal(p, self.reference)


def entropy(counts: npt.NDArray[np.integer], sizes: npt.NDArray[np.integer]
            ) -> npt.NDArray[np.float64]:
    """Shannon entropy (natural log) of each row's distribution."""
    c = counts.astype(np.float64)
    n = np.maximum(np.asarray(sizes, dtype=np.float64), 1.0)
    clogc = np.where(c > 0, c * np.log(np.where(c > 0, c, 1.0)), 0.0).sum(axis=1)
    return np.asarray(np.log(n) - clogc / n, dtype=np.float64)


def recursive_ok(counts: npt.NDArray[np.integer], l: int, c: float  # noqa: E741
                 ) -> npt.NDArray[np.bool_]:
    """Recursive (c,l)-diversity: r1 < c (r_l + ... + r_m), counts sorted decreasingly."""
    m = counts.shape[1]
    if l > m:
        return np.zeros(counts.shape[0], dtype=bool)
    ranked = -np.sort(-counts, axis=1)
    tail = ranked[:, l - 1:].sum(axis=1)
    return np.asarray(ranked[:, 0] < c * tail)


def bind_model(model: PrivacyModel, sensitive: SensitiveColumn | None) -> ModelEvaluator:
    """Resolve the distance and the reference distribution for ``model``."""
    if not model.needs_sensitive:
        return ModelEvaluator(model, 0, np.zeros(0), None, None)
    if sensitive is None:
        raise ConfigurationError("l-diversity and t-closeness need a sensitive column")
    m = sensitive.cardinality
    codes = sensitive.codes[sensitive.codes >= 0]
    reference = np.bincount(codes, minlength=m).astype(np.float64)
    reference /= max(reference.sum(), 1.0)
    distance: Literal["equal", "ordered", "hierarchical"] | None = None
    if model.t is not None:
        wanted = model.t_distance
        if wanted == "auto":
            wanted = ("hierarchical" if sensitive.tree is not None
                      else "ordered" if sensitive.numeric else "equal")
        if wanted == "hierarchical" and sensitive.tree is None:
            raise ConfigurationError(
                f"hierarchical distance needs a hierarchy for {sensitive.name!r}")
        distance = wanted
    return ModelEvaluator(model, m, reference, distance, sensitive.tree)
