"""``medanon table IN OUT``: anonymise a clinical table (k-anonymity, l-diversity, t-closeness).

Reads CSV (delimiter sniffed) or Parquet, generalises the quasi-identifiers with the
privacy engine, re-checks the result with the independent checker, and only then
writes the table, a JSON report of settings and metrics beside it, and on request
the aggregate form and the Mondrian plot.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from medanon._version import __version__
from medanon.errors import ConfigurationError, PrivacyError
from medanon.privacy.api import AnonymizationResult, anonymize_with
from medanon.privacy.config import load_config, parse_hierarchy_options
from medanon.privacy.defaults import resolve_specs
from medanon.privacy.metrics import METRIC_HELP
from medanon.privacy.roles import apply_roles, classify
from medanon.privacy.tableio import (
    atomic_write,
    check_suffix,
    is_parquet,
    read_table,
    restore_text,
    write_table,
)

EPILOG = "Metrics printed and written to the JSON report:\n\n" + "\n\n".join(
    f"{name}: {text}" for name, text in METRIC_HELP.items())


def table(
    source: Path = typer.Argument(..., metavar="IN",
                                  help="Table to anonymise: CSV (, ; or tab) or Parquet."),
    output: Path = typer.Argument(..., metavar="OUT",
                                  help="Generalised table to write: .csv or .parquet."),
    qi: str | None = typer.Option(None, "--qi", help="Quasi-identifier columns, comma-separated."),
    sensitive: str | None = typer.Option(None, "--sensitive", help="Sensitive column."),
    k: int | None = typer.Option(None, "--k", help="Minimum class size (k-anonymity)."),
    l: float | None = typer.Option(None, "--l", help="l-diversity of the sensitive column."),  # noqa: E741
    l_model: str | None = typer.Option(None, "--l-model",
                                       help="distinct, entropy or recursive (needs --c)."),
    c: float | None = typer.Option(None, "--c", help="c of recursive (c,l)-diversity."),
    t: float | None = typer.Option(None, "--t", help="t-closeness bound (Earth Mover's Distance)."),
    t_distance: str | None = typer.Option(
        None, "--t-distance",
        help="auto (hierarchical with a sensitive hierarchy, ordered if numeric, else "
             "equal), equal, ordered or hierarchical."),
    hierarchy: list[str] | None = typer.Option(
        None, "--hierarchy", metavar="COLUMN=SPEC",
        help="Hierarchy for a column (repeatable): an ARX-format FILE.csv, "
             "intervals:5,10,20[:LOWER[:UPPER]], ordering:V1,V2,...[:GROUPS] or "
             "masking[:KEEP]."),
    insensitive: str | None = typer.Option(
        None, "--insensitive", help="Columns kept exactly as read, comma-separated."),
    identifying: str | None = typer.Option(
        None, "--identifying", help="Direct identifiers removed from the output."),
    pseudonymise: str | None = typer.Option(
        None, "--pseudonymise",
        help="Direct identifiers replaced by a keyed pseudonym (the PatientID medanon run "
             "gives the same value with the same key), so tables stay joinable."),
    key: Path | None = typer.Option(None, "--key", help="Key file for --pseudonymise."),
    key_env: str | None = typer.Option(
        None, "--key-env", help="Environment variable holding the key for --pseudonymise."),
    max_suppression: float | None = typer.Option(
        None, "--max-suppression", help="Share of records that may be suppressed (0..1)."),
    missing: str | None = typer.Option(
        None, "--missing",
        help="Empty or NaN values: error (default) or suppress the row."),
    config: Path | None = typer.Option(None, "--config", help="TOML file with these settings."),
    aggregate: Path | None = typer.Option(
        None, "--aggregate", help="Also write counts per class and sensitive value here."),
    plot: tuple[str, Path] | None = typer.Option(
        None, "--plot", metavar="X,Y FILE.png",
        help="Draw records over QIs X and Y with each class as a rectangle (shows "
             "original values: keep it private)."),
    report: Path | None = typer.Option(
        None, "--report", help="JSON report path (default: OUT with suffix .json)."),
    cluster: str | None = typer.Option(
        None, "--cluster", help="local:N or a Dask scheduler address."),
    risk_threshold: float | None = typer.Option(
        None, "--risk-threshold", help="Prosecutor risk above which records count as at risk."),
) -> None:
    """Anonymise a clinical table: generalise quasi-identifiers until every model holds.

    Rows keep their order; each quasi-identifier becomes a range "lo-hi", a hierarchy
    label or a set "{a,b}"; suppressed rows show "*"; the columns equivalence_class
    and suppressed are appended. Every other column is written as read, except
    identifying ones (removed) and pseudonymised ones. Columns given no role are kept
    with a warning, unless they look like direct identifiers (refused). The output is
    re-checked independently and never written if a model fails.
    """
    options: dict[str, Any] = {
        "qi": qi, "sensitive": sensitive, "k": k, "l": l, "l_model": l_model, "c": c, "t": t,
        "t_distance": t_distance, "hierarchies": parse_hierarchy_options(hierarchy or []),
        "max_suppression": max_suppression, "missing": missing,
        "risk_threshold": risk_threshold, "cluster": cluster, "insensitive": insensitive,
        "identifying": identifying, "pseudonymise": pseudonymise,
    }
    job = load_config(config, options)
    settings = job.settings
    if output.resolve() == source.resolve():
        raise ConfigurationError("OUT must differ from IN: medanon never writes in place")
    for target in (output, aggregate):
        if target is not None:
            check_suffix(target, "output")
    started = time.perf_counter()
    read = read_table(source)
    roles = classify(read.table, settings.qi, settings.sensitive, job.declared)
    pseudonym = _pseudonym(key, key_env) if job.pseudonymise else None
    if roles.unclassified:
        Console(stderr=True, width=140).print(
            f"warning: {len(roles.unclassified)} column(s) given no role, kept as read: "
            + ", ".join(roles.unclassified)
            + " (say --insensitive, --identifying or --pseudonymise)", markup=False)
    settings = replace(settings, hierarchies=resolve_specs(
        read.table, settings.qi, settings.sensitive, settings.hierarchies, read.codes))
    result = anonymize_with(read.table, settings, cluster=job.cluster)
    elapsed = time.perf_counter() - started
    tree = result.hierarchies.get(settings.sensitive or "")  # the checker reads leaf paths
    verdict = result.check(None if tree is None else {row[0]: row[1:] for row in tree.rows})
    if not verdict.passed:
        raise PrivacyError("the published table fails the independent check ("
                           + "; ".join(verdict.violations) + "); nothing was written")
    delimiter = "," if is_parquet(source) else read.delimiter
    published = apply_roles(restore_text(result.arrow, read, set(settings.qi)), roles,
                            pseudonym)
    write_table(published, output, delimiter)
    written = [output]
    if aggregate is not None:
        from medanon.privacy.aggregate import aggregate_table

        write_table(aggregate_table(result.arrow, settings.qi, settings.sensitive), aggregate,
                    delimiter)
        written.append(aggregate)
    if plot is not None:
        from medanon.privacy.plot import plot_classes

        axes = [a.strip() for a in plot[0].split(",")]
        if len(axes) != 2:
            raise ConfigurationError("--plot needs two quasi-identifiers: X,Y FILE.png")
        plot_classes(result.encoded, result.publication, axes[0], axes[1], plot[1])
        written.append(plot[1])
    report_path = report or output.with_suffix(".json")
    if report_path == output:
        report_path = output.with_name(output.name + ".report.json")
    document = _report(source, output, result, verdict.as_dict(), elapsed)
    document["columns"] = roles.as_dict()
    text = json.dumps(document, indent=2) + "\n"

    def dump(target: Path) -> None:
        target.write_text(text, encoding="utf-8")

    atomic_write(report_path, dump)
    written.append(report_path)
    _print(result, verdict.as_dict(), elapsed, written)


def _pseudonym(key: Path | None, key_env: str | None) -> Callable[[str], str]:
    """The keyed pseudonym of a value: the PatientID ``medanon run`` would give it."""
    from medanon.cli.run import resolve_key
    from medanon.dicom.pseudonyms import patient_pseudonym

    secret, notice = resolve_key(key, key_env)
    if notice:
        Console(stderr=True).print(notice, markup=False)
    return lambda value: patient_pseudonym(secret, "id:" + value)


def _report(source: Path, output: Path, result: AnonymizationResult[Any],
            verdict: dict[str, Any], elapsed: float) -> dict[str, Any]:
    return {
        "tool": f"medanon {__version__}",
        "input": source.name,
        "output": output.name,
        "settings": result.settings.as_dict(),
        "metrics": result.metrics.as_dict(),
        "check": verdict,
        "passes": result.passes,
        "seconds": round(elapsed, 3),
        "metric_definitions": METRIC_HELP,
    }


def _print(result: AnonymizationResult[Any], verdict: dict[str, Any], elapsed: float,
           written: list[Path]) -> None:
    m = result.metrics
    view = Table(title=f"medanon table: {m.records} records, {elapsed:.2f} s")
    view.add_column("metric")
    view.add_column("value", justify="right")
    view.add_column("meaning")
    rows = [
        ("classes", f"{m.classes}", METRIC_HELP["classes"]),
        ("suppressed", f"{m.suppressed}", METRIC_HELP["suppressed"]),
        ("gcp", f"{m.gcp:.4f}", METRIC_HELP["gcp"]),
        *((f"gcp: {name}", f"{value:.4f}", "GCP of this quasi-identifier alone")
          for name, value in m.gcp_per_qi.items()),
        ("dm", f"{m.dm}", METRIC_HELP["dm"]),
        ("cavg", f"{m.cavg:.3f}", METRIC_HELP["cavg"]),
        ("prosecutor_highest", f"{m.prosecutor_highest:.4f}", METRIC_HELP["prosecutor_highest"]),
        ("prosecutor_average", f"{m.prosecutor_average:.4f}", METRIC_HELP["prosecutor_average"]),
        (f"records_at_risk (> {m.risk_threshold:g})", f"{m.records_at_risk:.4f}",
         METRIC_HELP["records_at_risk"]),
        ("marketer", f"{m.marketer:.4f}", METRIC_HELP["marketer"]),
    ]
    for row in rows:
        view.add_row(*row)
    console = Console(width=140)
    console.print(view)
    achieved = [f"k={verdict['k']}"]
    if verdict.get("l_distinct") is not None:
        achieved.append(f"distinct l={verdict['l_distinct']}")
        achieved.append(f"entropy l={verdict['l_entropy']:.3f}")
    if verdict.get("recursive_ratio") is not None:
        achieved.append(f"r1/tail={verdict['recursive_ratio']:.3f}")
    if verdict.get("t") is not None:
        achieved.append(f"t={verdict['t']:.4f}")
    console.print("independent check passed: " + ", ".join(achieved))
    for path in written:
        console.print(f"wrote {path}")


def register(app: typer.Typer) -> None:
    """Add this subcommand to ``app``."""
    app.command("table", epilog=EPILOG)(table)
