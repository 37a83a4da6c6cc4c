"""``medanon scan SRC``: the inventory of a collection, before anything is written.

The screen shows counts, formats, equipment and attribute names only; files are written
only where the user names them (``--json``, ``--census``, ``--patients``, ``--values``).
Only ``--values`` holds values from the files (personal data, for a reviewer); the
patient table holds each patient's candidate quasi-identifiers under a keyed pseudonym.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

    from medanon.scan.result import ScanResult
    from medanon.scan.tally import CollectionTally

PLAIN_INTERVAL_SECONDS = 10.0
SCREEN_ROWS = 15  # rows of a long table shown on screen; the files hold them all


class ScanProgress:
    """A rich bar on a terminal, a line every ten seconds elsewhere; counts only."""

    def __init__(self, src: Path, *, quiet: bool) -> None:
        from medanon.cli.progress import _TotalCounter  # the run's background file count

        self._quiet = quiet
        self._counter = None if quiet else _TotalCounter(src, ())
        self._progress: Any = None
        self._task: object = None
        self._started = self._last_plain = time.monotonic()

    def __enter__(self) -> ScanProgress:
        if not self._quiet and sys.stderr.isatty():
            from rich import progress as bars
            from rich.console import Console

            self._progress = bars.Progress(
                bars.TextColumn("[bold]scanning"), bars.BarColumn(),
                bars.MofNCompleteColumn(), bars.TextColumn("{task.fields[rate]}"),
                bars.TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self._progress.start()
            self._task = self._progress.add_task("scan", total=None, rate="")
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, tally: CollectionTally) -> None:
        """Called after each batch of files."""
        if self._quiet:
            return
        done = tally.files_done
        rate = done / max(time.monotonic() - self._started, 1e-6)
        total = self._counter.total if self._counter else None
        if self._progress is not None:
            self._progress.update(self._task, completed=done, total=total,
                                  rate=f"{rate:.0f} files/s")
            return
        now = time.monotonic()
        if now - self._last_plain >= PLAIN_INTERVAL_SECONDS:
            self._last_plain = now
            of_total = f"/{total}" if total else ""
            print(f"medanon: scanned {done}{of_total} files, {rate:.0f} files/s",
                  file=sys.stderr, flush=True)


def _size(count: int) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if count < 1000 or unit == "TB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000  # type: ignore[assignment]
    return str(count)


def render_summary(result: ScanResult, console: Any) -> None:
    """Print the summary tables (counts and standard names only)."""
    from rich.table import Table

    summary = result.summary()
    files, size = summary["files"], summary["bytes"]
    overview = Table(title="Collection", show_header=False)
    overview.add_row("files", f"{files['total']:,}", _size(size["total"]))
    overview.add_row("  DICOM instances", f"{files['dicom']:,}", _size(size["dicom"]))
    overview.add_row("  DICOMDIR", f"{files['dicomdir']:,}", _size(size["dicomdir"]))
    overview.add_row("  not DICOM", f"{files['not-dicom']:,}", _size(size["not-dicom"]))
    overview.add_row("  unreadable", f"{files['unreadable']:,}", _size(size["unreadable"]))
    for name in ("patients", "studies", "series", "instances"):
        overview.add_row(name, f"{summary[name]:,}", "")
    attributes = summary["attributes"]
    overview.add_row("attributes", f"{attributes['total']:,}",
                     f"{attributes['private']} private, {attributes['in_sequences']} in "
                     f"sequences, {attributes['free_text']} free text")
    console.print(overview)
    _counts_table(console, "Modalities", ("modality", "files"),
                  [(m or "(none)", n) for m, n in summary["modalities"].items()])
    _counts_table(console, "SOP classes", ("SOP class", "UID", "files"),
                  [(s["name"], s["uid"], s["files"]) for s in summary["sop_classes"]])
    _counts_table(console, "Transfer syntaxes", ("transfer syntax", "UID", "files"),
                  [(s["name"], s["uid"], s["files"]) for s in summary["transfer_syntaxes"]])
    _counts_table(console, "Equipment", ("manufacturer", "model", "files"),
                  [(e["manufacturer"] or "(none)", e["model"] or "(none)", e["files"])
                   for e in summary["equipment"]])
    _counts_table(console, "Files not scanned", ("reason", "files"),
                  list(summary["problems"].items()))
    free_text = [r for r in result.census_rows() if r["free_text"]]
    _counts_table(console, "Attributes that may hold free text",
                  ("path", "keyword", "VR", "creator", "files", "distinct values"),
                  [(r["path"], r["keyword"], r["vr"], r["creator"] or "", r["files"],
                    r["distinct_values"]) for r in free_text])
    scan = summary["scan"]
    if scan["files_from_earlier_sessions"]:
        console.print(f"resumed: {scan['files_from_earlier_sessions']:,} files were counted "
                      "by earlier sessions of this scan")
    console.print(f"scanned {scan['files_this_session']:,} files in {scan['seconds']:.1f} s "
                  f"({scan['files_per_second'] or 0:,.0f} files/s, {scan['workers']} "
                  f"workers); patients named by keyed pseudonyms (key {scan['key_fingerprint']})")


def _counts_table(console: Any, title: str, header: tuple[str, ...],
                  rows: list[tuple[Any, ...]]) -> None:
    from rich.table import Table

    if not rows:
        return
    table = Table(title=title)
    for name in header:
        table.add_column(name, justify="right" if name in ("files", "distinct values")
                         else "left")
    for row in rows[:SCREEN_ROWS]:
        table.add_row(*(f"{v:,}" if isinstance(v, int) else str(v) for v in row))
    if len(rows) > SCREEN_ROWS:
        table.caption = f"and {len(rows) - SCREEN_ROWS} more (--json and --census list all)"
    console.print(table)


def execute(src: Path, *, key: Path | None = None, workers: int = 0,
            json_path: Path | None = None, census: Path | None = None,
            patients: Path | None = None, values: Path | None = None,
            state: Path | None = None, restart: bool = False, accept_no_meta: bool = False,
            quiet: bool = False) -> int:
    """Scan ``src``, print the summary, write the files asked for; return the exit code."""
    from rich.console import Console

    from medanon.cli.run import resolve_key
    from medanon.scan import scan_folder

    wanted = (json_path, census, patients, values)
    if any(path is not None for path in wanted):
        from medanon.scan import outputs  # pyarrow: only when a file is asked for

        for path, option in ((census, "--census"), (patients, "--patients")):
            if path is not None:
                outputs.check_table_path(path, option)
        if values is not None:
            outputs.check_values_path(values)
    secret, notice = resolve_key(key)
    if notice and not quiet:
        print(f"medanon: {notice}", file=sys.stderr, flush=True)
    with ScanProgress(src, quiet=quiet) as progress:
        result = scan_folder(src, secret, workers=workers, collect_values=values is not None,
                             on_progress=progress.update, state=state, restart=restart,
                             accept_no_meta=accept_no_meta)
    written = []
    if any(path is not None for path in wanted):
        for path, write in ((json_path, outputs.write_json), (census, outputs.write_census),
                            (patients, outputs.write_patients),
                            (values, outputs.write_values)):
            if path is not None:
                write(result, path)
                written.append(str(path))
    console = Console()
    if not quiet:
        render_summary(result, console)
    else:
        summary = result.summary()
        files = summary["files"]
        console.print(f"medanon: {files['total']} files ({files['dicom']} DICOM, "
                      f"{files['dicomdir']} DICOMDIR, {files['not-dicom']} not DICOM, "
                      f"{files['unreadable']} unreadable), {summary['patients']} patients, "
                      f"{summary['studies']} studies, {summary['series']} series, "
                      f"{summary['instances']} instances", highlight=False)
    if written:
        console.print("written: " + ", ".join(written), highlight=False)
    if values is not None:
        console.print(f"[bold]{values} holds values from the files (personal data): keep "
                      "it where the source collection is kept.[/bold]", highlight=False)
    return 0


def register(app: typer.Typer) -> None:
    """Add this subcommand to ``app``."""
    import typer

    def scan(
        src: Path = typer.Argument(..., help="Folder of DICOM files (searched recursively)."),
        key: Path | None = typer.Option(None, "--key", "-k",
                                        help="Secret key file: patients are counted and "
                                             "listed by the pseudonym 'medanon run' with this "
                                             "key gives them."),
        workers: int = typer.Option(0, "--workers", "-w", min=0,
                                    help="Worker processes (0: one per core)."),
        json_path: Path | None = typer.Option(None, "--json",
                                              help="Write the summary and census as JSON."),
        census: Path | None = typer.Option(None, "--census",
                                           help="Write the attribute census (.parquet/.csv)."),
        patients: Path | None = typer.Option(None, "--patients",
                                             help="Write the patient table (.parquet/.csv): "
                                                  "one row per patient, with age, sex, size, "
                                                  "weight and the other candidate "
                                                  "quasi-identifiers."),
        values: Path | None = typer.Option(None, "--values",
                                           help="Write every attribute's distinct values "
                                                "(.json/.csv/.parquet) for a reviewer. "
                                                "PERSONAL DATA: keep it with the source."),
        state: Path | None = typer.Option(None, "--state",
                                          help="Keep the scan's state in this folder, so that "
                                               "an interrupted scan resumes (it holds what the "
                                               "patient table holds)."),
        restart: bool = typer.Option(False, "--restart",
                                     help="Forget the state an earlier scan left in --state."),
        accept_no_meta: bool = typer.Option(False, "--accept-no-meta",
                                            help="Also read bare data sets (no preamble, no "
                                                 "file meta), as 'medanon run' does with it."),
        quiet: bool = typer.Option(False, "--quiet", "-q",
                                   help="No progress bar; one summary line."),
    ) -> None:
        """Inventory SRC without writing anything there: counts, formats, attributes.

        Headers only (pixel data is never read). Files that are not DICOM or cannot be
        read are counted, never fatal. The screen and --json/--census hold counts and
        names only, never a value from a file.
        """
        raise typer.Exit(execute(src, key=key, workers=workers, json_path=json_path,
                                 census=census, patients=patients, values=values,
                                 state=state, restart=restart,
                                 accept_no_meta=accept_no_meta, quiet=quiet))

    app.command("scan")(scan)
