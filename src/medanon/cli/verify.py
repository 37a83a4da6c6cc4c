"""``medanon verify OUT``: check a de-identified collection independently of the run.

Prints a summary and the first findings (file, tag path, category, check: never a
value); ``--json`` writes them all, with the values found only under ``--show-values``
(that file then holds personal data and must stay on the site's side: it may not be
written inside OUT). ``--report`` writes the HTML report.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import typer

from medanon.errors import ConfigurationError

SHOWN_FINDINGS = 20


class _Progress:
    """Counts on stderr: a line rewritten on a terminal, a line every 10 s elsewhere."""

    def __init__(self, quiet: bool) -> None:
        self._quiet = quiet
        self._tty = sys.stderr.isatty()
        self._started = time.monotonic()
        self._last = 0.0

    def __call__(self, phase: str, count: int) -> None:
        if self._quiet:
            return
        now = time.monotonic()
        if now - self._last < (0.5 if self._tty else 10.0):
            return
        self._last = now
        rate = count / max(now - self._started, 1e-6)
        end = "\r" if self._tty else "\n"
        sys.stderr.write(f"medanon verify: {phase}: {count} files ({rate:.0f} files/s)   {end}")
        sys.stderr.flush()

    def done(self) -> None:
        if self._tty and not self._quiet:
            sys.stderr.write("\n")


def _inside(path: Path, folder: Path) -> bool:
    real, root = Path(os.path.realpath(path)), Path(os.path.realpath(folder))
    return real == root or root in real.parents


def _partition_axes(out: Path, names: str | None, report: Path | None
                    ) -> tuple[str, str] | None:
    """``--partition-axes``, checked against OUT's release before anything is verified."""
    if names is None:
        return None
    if report is None:
        raise ConfigurationError("--partition-axes chooses the axes of the HTML report's "
                                 "partition rectangles: it needs --report FILE")
    from medanon.report.release import partition_axes, read_release

    return partition_axes(read_release(out), names.split(","))


def execute(out: Path, *, against: Path | None = None, key: Path | None = None,
            json_path: Path | None = None, report: Path | None = None, workers: int = 0,
            show_values: bool = False, dciodvfy: str = "sample", quiet: bool = False,
            partition_axes: str | None = None) -> int:
    """Run the command; return its exit code (medanon errors propagate to ``main``)."""
    from medanon.custody.keys import load_key
    from medanon.verify import VerifyOptions, verify_folder

    if show_values and json_path is None:
        raise ConfigurationError("--show-values needs --json FILE (values are never printed)")
    if json_path is not None and show_values and _inside(json_path, out):
        raise ConfigurationError("--json with --show-values holds personal data: write it "
                                 "outside OUT")
    if report is not None:
        from medanon.report.hook import MISSING_EXTRA, report_extra_missing

        if report_extra_missing():
            raise ConfigurationError(MISSING_EXTRA)
    axes = _partition_axes(out, partition_axes, report)
    secret = load_key(key) if key is not None else None
    progress = _Progress(quiet)
    result = verify_folder(out, VerifyOptions(against=against, key=secret, workers=workers,
                                              dciodvfy=dciodvfy), on_progress=progress)
    progress.done()
    if json_path is not None:
        temp = json_path.with_name(f".{json_path.name}.tmp")
        temp.write_text(json.dumps(result.to_dict(show_values=show_values), indent=1,
                                   ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(temp, json_path)
    if report is not None:
        from medanon.report import write_verify_report

        write_verify_report(report, out, result, against, partition_axes=axes)
    summary = result.summary
    categories = ", ".join(f"{n} {c}" for c, n in summary["by_category"].items())
    typer.echo(f"medanon verify: {summary['outputs']} files checked "
               f"({summary['outputs_per_second']} files/s); "
               + (f"{summary['findings']} findings in {summary['files_with_findings']} "
                  f"files: {categories}" if result.findings else "nothing found"))
    if "accounting" in summary:
        accounting = summary["accounting"]
        typer.echo(f"medanon verify: inputs: {accounting['paired']} in OUT, "
                   f"{accounting['reported']} listed in the run report, "
                   f"{accounting['missing']} unaccounted for")
    typer.echo(f"medanon verify: dciodvfy: {summary['dciodvfy']}")
    for finding in result.findings[:SHOWN_FINDINGS]:
        typer.echo(f"  {finding.category:<11} {finding.file}  {finding.location}  "
                   f"{finding.check}")
    if len(result.findings) > SHOWN_FINDINGS:
        typer.echo(f"  ... {len(result.findings) - SHOWN_FINDINGS} more"
                   + (f" (all in {json_path})" if json_path else " (use --json FILE)"))
    for written in (json_path, report):
        if written is not None:
            typer.echo(f"medanon verify: wrote {written}")
    return result.exit_code


def register(app: typer.Typer) -> None:
    """Add this subcommand to ``app``."""

    def verify(
        out: Path = typer.Argument(..., help="The de-identified folder to check."),
        against: Path | None = typer.Option(None, "--against",
                                            help="The original collection: search OUT for "
                                                 "each source patient's identifying values "
                                                 "and account for every input."),
        key: Path | None = typer.Option(None, "--key", "-k",
                                        help="The run's key: pairs inputs with outputs by "
                                             "their new UIDs and names inputs as the run's "
                                             "report does."),
        json_path: Path | None = typer.Option(None, "--json",
                                              help="Write every finding (and the census) "
                                                   "as JSON."),
        report: Path | None = typer.Option(None, "--report",
                                           help="Write the HTML report here (no value found "
                                                "is in it; the census shows OUT's values)."),
        workers: int = typer.Option(0, "--workers", "-w", min=0,
                                    help="Worker processes (0: one per core)."),
        show_values: bool = typer.Option(False, "--show-values",
                                         help="Put the values found into --json (personal "
                                              "data: keep that file on the site's side)."),
        dciodvfy: str = typer.Option("sample", "--dciodvfy",
                                     help="dciodvfy errors new in OUT: all, sample or off "
                                          "(needs --against)."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress."),
        partition_axes: str | None = typer.Option(
            None, "--partition-axes", metavar="QI,QI",
            help="The two quasi-identifiers of OUT's privacy release the report's partition "
                 "rectangles are drawn over, e.g. age,PatientWeight (default: the first two "
                 "numeric ones)."),
    ) -> None:
        """Check OUT for personal data left, structure, validity and lost inputs.

        Exit codes: 0 nothing found, 1 findings, 2 usage or configuration error.
        """
        raise typer.Exit(execute(out, against=against, key=key, json_path=json_path,
                                 report=report, workers=workers, show_values=show_values,
                                 dciodvfy=dciodvfy, quiet=quiet,
                                 partition_axes=partition_axes))

    app.command("verify")(verify)
