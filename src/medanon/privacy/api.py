"""``anonymize``: the engine on a pandas DataFrame, an Arrow table or a numpy array.

:func:`anonymize` takes the settings as keywords, :func:`anonymize_with` as one
:class:`~medanon.privacy.settings.Settings` (what ``medanon table`` resolves its TOML
file and options to); both run the same engine.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from medanon.errors import PrivacyError
from medanon.privacy.builders import FileSpec, HierarchySpec, TreeSpec, build_all
from medanon.privacy.checker import CheckReport, check
from medanon.privacy.encode import EncodedTable, encode_table
from medanon.privacy.engine import PassRunner, local_runner, partition_table
from medanon.privacy.hierarchy import Hierarchy, hierarchy_from_mapping
from medanon.privacy.metrics import DEFAULT_THRESHOLD, Metrics, compute_metrics
from medanon.privacy.models import LModel, TDistance, bind_model
from medanon.privacy.publish import Publication, publish
from medanon.privacy.settings import Missing, Settings
from medanon.privacy.tabular import (
    CLASS_COLUMN,
    SUPPRESSED_COLUMN,
    TableKind,
    build_published,
    check_output_names,
    columns_of,
    from_arrow,
    resolve_column,
    to_arrow,
)

T = TypeVar("T")
HierarchySource = Hierarchy | HierarchySpec | str | Path | Sequence[Sequence[str]]


@dataclass(frozen=True, eq=False)
class AnonymizationResult(Generic[T]):
    """The published table and what it costs and guarantees.

    Attributes
    ----------
    table
        Same kind as the input: every row in input order, quasi-identifiers
        generalised, plus ``equivalence_class`` and ``suppressed`` columns.
    classes
        Equivalence class of every row (numbered by first row), -1 when suppressed.
    suppressed
        Whether each row is suppressed (every quasi-identifier ``*``).
    metrics
        Information loss and re-identification risk, as in ``docs/privacy.md``.
    settings
        The :class:`Settings` the table was published under.
    hierarchies
        The hierarchies used, built from the table's values.
    """

    table: T
    classes: npt.NDArray[np.int64]
    suppressed: npt.NDArray[np.bool_]
    metrics: Metrics
    settings: Settings
    arrow: pa.Table = field(repr=False)
    publication: Publication = field(repr=False)
    encoded: EncodedTable = field(repr=False)
    kind: TableKind = field(repr=False)
    passes: int = 1
    hierarchies: Mapping[str, Hierarchy] = field(default_factory=dict, repr=False)

    def aggregate(self) -> T:
        """One row per class and sensitive value with its count (the study's summary form).

        Suppressed rows form class -1 with every quasi-identifier ``*``.
        """
        from medanon.privacy.aggregate import aggregate_table

        table = aggregate_table(self.arrow, self.settings.qi, self.settings.sensitive)
        kind = TableKind(self.kind.kind, tuple(table.column_names))
        return from_arrow(table, kind)  # type: ignore[no-any-return]

    def check(self, sensitive_hierarchy: str | Path | Mapping[str, Sequence[str]] | None = None
              ) -> CheckReport:
        """Run the independent checker on the published table with these settings."""
        s = self.settings
        return check(self.arrow, s.qi, s.sensitive, k=s.k, l=s.l, l_model=s.l_model, c=s.c,
                     t=s.t, t_distance=s.t_distance, sensitive_hierarchy=sensitive_hierarchy,
                     suppressed_column=SUPPRESSED_COLUMN)


def _spec(column: str, source: HierarchySource) -> HierarchySpec:
    """The declaration of a hierarchy the API was handed in any of its forms."""
    if isinstance(source, HierarchySpec):
        return source
    if isinstance(source, Hierarchy):
        return TreeSpec(source)
    if isinstance(source, str | Path):
        return FileSpec(Path(source))
    return TreeSpec(hierarchy_from_mapping(source, source=f"hierarchy of {column}"))


def anonymize(table: T, *, qi: Sequence[str | int], sensitive: str | int | None = None,
              k: int, l: float | None = None,  # noqa: E741
              l_model: LModel = "distinct", c: float | None = None, t: float | None = None,
              t_distance: TDistance = "auto",
              hierarchies: Mapping[str, HierarchySource] | None = None,
              max_suppression: float = 0.0, missing: Missing = "error",
              risk_threshold: float = DEFAULT_THRESHOLD,
              cluster: str | None = None, deferral: bool = True,
              cut_choice: Literal["gain", "span"] = "gain") -> AnonymizationResult[T]:
    """Generalise the quasi-identifiers of ``table`` until every privacy model holds.

    Builds the :class:`Settings` from the keywords and runs :func:`anonymize_with`.

    Parameters
    ----------
    table
        pandas DataFrame, pyarrow Table, numpy structured or 2-D array (columns
        named by position), or a mapping of column name to values.
    qi, sensitive
        Quasi-identifier columns and the sensitive column (needed for l and t).
    k, l, l_model, c, t, t_distance
        Privacy models, combined freely; see :class:`PrivacyModel`.
    hierarchies
        Column -> ARX-format hierarchy (a file, a :class:`Hierarchy`, rows of
        leaf-to-root labels, or a builder of :mod:`medanon.privacy.builders`, built
        from the column's values). A hierarchy on the sensitive column enables the
        hierarchical t-closeness distance.
    max_suppression
        Share of records (0..1) that may be suppressed: rows with missing values
        under ``missing="suppress"``, and records removed when the table as a whole
        is not diverse enough for entropy or recursive l-diversity.
    missing
        ``"error"`` (default) refuses null / NaN / blank values in the
        quasi-identifiers and the sensitive column; ``"suppress"`` suppresses such rows.
    risk_threshold
        Prosecutor-risk threshold for the "records at risk" metric.
    cluster
        ``local:N`` or a Dask scheduler address to solve sub-problems on a cluster.
    deferral
        Set small hierarchy remainders aside for later passes (default). ``False`` gives
        plain single-pass Mondrian, usually with more information loss.
    cut_choice
        ``"gain"`` (default): among acceptable cuts, the one removing the most loss in
        its dimension; ``"span"``: the dimension of widest normalised span first, as in
        LeFevre et al. (kept to measure the difference).

    Returns
    -------
    AnonymizationResult
        The generalised table (same kind as ``table``), classes, suppression flags
        and metrics.

    Raises
    ------
    InputError
        A column is missing, a value is not in its hierarchy, a value is missing.
    ConfigurationError
        Inconsistent settings.
    PrivacyError
        The models cannot be met (k larger than the table, too little diversity).
    """
    source, kind = to_arrow(table)
    check_output_names(kind)
    names = columns_of(qi, kind)
    sens = resolve_column(sensitive, kind) if sensitive is not None else None
    specs: dict[str, HierarchySpec] = {}
    for column, given in (hierarchies or {}).items():
        name = resolve_column(column, kind)
        specs[name] = _spec(name, given)
    settings = Settings(names, sens, k, l, l_model, c, t, t_distance, specs, max_suppression,
                        missing, risk_threshold)
    return _publish(source, kind, settings, cluster, deferral, cut_choice)


def anonymize_with(table: T, settings: Settings, *, cluster: str | None = None,
                   deferral: bool = True, cut_choice: Literal["gain", "span"] = "gain"
                   ) -> AnonymizationResult[T]:
    """Publish ``table`` under ``settings``: the engine behind :func:`anonymize`.

    ``medanon table`` calls it with the :class:`Settings` its TOML file and options
    resolve to; ``cluster``, ``deferral`` and ``cut_choice`` are as in :func:`anonymize`.

    Raises
    ------
    InputError
        A named column is missing, a value is not in its hierarchy, a value is missing.
    PrivacyError
        The models cannot be met.
    """
    source, kind = to_arrow(table)
    check_output_names(kind)
    for name in (*settings.qi, *([settings.sensitive] if settings.sensitive else [])):
        resolve_column(name, kind)
    return _publish(source, kind, settings, cluster, deferral, cut_choice)


def _publish(source: pa.Table, kind: TableKind, settings: Settings, cluster: str | None,
             deferral: bool, cut_choice: Literal["gain", "span"]) -> AnonymizationResult[Any]:
    names, sens = settings.qi, settings.sensitive
    loaded = build_all(settings.hierarchies, source)
    if source.num_rows < settings.k:
        raise PrivacyError(f"k = {settings.k} is larger than the table "
                           f"({source.num_rows} records)")
    encoded = encode_table(source, names, sens, loaded, settings.missing)
    evaluator = bind_model(settings.model(), encoded.sensitive)
    budget = int(np.floor(settings.max_suppression * source.num_rows + 1e-9))
    with _runner(cluster) as runner:
        partitioning = partition_table(encoded, evaluator, budget, runner, deferral,
                                       cut_choice)
    publication = publish(encoded, partitioning)
    replaced = {name: _arrow_column(publication, name) for name in names}
    arrow = build_published(source, replaced, publication.classes, publication.suppressed)
    metrics = compute_metrics(list(names), publication.class_sizes, publication.ncp,
                              int(publication.suppressed.sum()), source.num_rows, settings.k,
                              settings.risk_threshold)
    out_kind = TableKind(kind.kind, (*kind.names, CLASS_COLUMN, SUPPRESSED_COLUMN))
    return AnonymizationResult(from_arrow(arrow, out_kind), publication.classes,
                               publication.suppressed, metrics, settings, arrow,
                               publication, encoded, kind, partitioning.passes, loaded)


def _arrow_column(publication: Publication, name: str) -> pa.Array:
    column = publication.columns[name]
    return pa.DictionaryArray.from_arrays(pa.array(column.index, type=pa.int32()),
                                          pa.array(list(column.labels), type=pa.string()))


@contextlib.contextmanager
def _runner(cluster: str | None) -> Iterator[PassRunner]:
    if cluster is None:
        yield local_runner
        return
    from medanon.privacy.cluster import DaskRunner

    with DaskRunner(cluster) as runner:
        yield runner
