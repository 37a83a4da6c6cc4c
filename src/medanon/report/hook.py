"""Where the report is written, and the one call ``medanon run`` and ``verify`` make.

Kept light: nothing heavy is imported until a report is actually written, so that a
rerun of a finished ``medanon run`` (which writes nothing new) stays cheap.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from medanon.verify import VerifyResult

HTML_NAME = "report.html"
#: Output files the run's own report checks: a sample, so that the report costs seconds
#: whatever the collection's size (``medanon verify`` checks every file).
RUN_REPORT_SAMPLE = 1000
JSON_NAME = "report.json"
#: The ``[report]`` settings the run's HTML report was drawn with.
DRAWN_WITH_NAME = "report-html-settings.json"


MISSING_EXTRA = ("the HTML report needs jinja2 and matplotlib: pip install "
                 "'medanon[report]'")


def report_extra_missing() -> bool:
    """True when the packages the HTML report needs are not installed."""
    from importlib.util import find_spec

    return find_spec("jinja2") is None or find_spec("matplotlib") is None


def report_after_run(dst: Path, state_dir: Path, workers: int = 0,
                     partition_axes: tuple[str, str] | None = None) -> str:
    """Verify a sample of ``dst`` (pattern checks, no original) and write the HTML report.

    Written beside the run's JSON report in the state folder, for a plain run and a
    privacy run alike. A rerun that processed nothing keeps the report already there,
    unless the recipe's ``[report]`` settings changed since it was drawn (they are not in
    the recipe's fingerprint, so changing them reprocesses nothing).
    Returns the line to print: where the report is, or why there is none (the run's work
    is done either way). ``partition_axes``: the recipe's ``[report] partition_axes``.
    """
    import json

    target = state_dir / HTML_NAME
    try:
        run = json.loads((state_dir / JSON_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "no HTML report: the run wrote no report.json"
    drawn_with: dict[str, object] = {
        "partition_axes": list(partition_axes) if partition_axes else None}
    if not run.get("this_session", {}).get("processed") and target.exists() \
            and _drawn_with(state_dir) == drawn_with:
        return f"HTML report: {target}"
    if report_extra_missing():
        return f"no HTML report: {MISSING_EXTRA} (or pass --no-report)"
    from medanon.errors import ConfigurationError
    from medanon.report.data import build_report_data
    from medanon.report.render import write_html
    from medanon.runner.lock import StateFolderInUseError, StateLock
    from medanon.verify import VerifyOptions, verify_folder

    try:
        lock = StateLock.acquire(state_dir, str(dst))
    except StateFolderInUseError:
        return "no HTML report: another medanon run took the output folder since this one"
    with lock:  # the report and the check it shows are of this run's output, at rest
        verified = verify_folder(dst, VerifyOptions(workers=workers, dciodvfy="off",
                                                    sample=RUN_REPORT_SAMPLE))
        try:
            data = build_report_data(dst, run, verified, title="medanon run report",
                                     state_dir=state_dir, before_note=RUN_BEFORE_NOTE,
                                     partition_axes=partition_axes)
        except ConfigurationError as exc:  # the axes do not fit the release the run made
            return f"no HTML report: {exc}"
        write_html(target, data)
        _record_drawn_with(state_dir, drawn_with)
    return f"HTML report: {target}"


def _drawn_with(state_dir: Path) -> object:
    """The ``[report]`` settings the HTML report there was drawn with (None: unknown)."""
    import json

    try:
        return json.loads((state_dir / DRAWN_WITH_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _record_drawn_with(state_dir: Path, settings: dict[str, object]) -> None:
    """Keep the settings beside the report, so that a rerun redraws it when they change."""
    import json

    temp = state_dir / f".{DRAWN_WITH_NAME}.{os.getpid()}.tmp"
    temp.write_text(json.dumps(settings) + "\n", encoding="utf-8")
    os.replace(temp, state_dir / DRAWN_WITH_NAME)


RUN_BEFORE_NOTE = ("the run's own report holds no source pixel (it may travel with the "
                   "output): before images are only in medanon verify OUT --against SRC "
                   "--report FILE with FILE outside OUT")
INSIDE_BEFORE_NOTE = ("before images left out: this report is written inside OUT, which "
                      "may leave the site; write it outside OUT to see them")


def _inside(path: Path, folder: Path) -> bool:
    real, root = Path(os.path.realpath(path)), Path(os.path.realpath(folder))
    return real == root or root in real.parents


def write_verify_report(target: Path, out: Path, verified: VerifyResult,
                        against: Path | None = None, *,
                        partition_axes: tuple[str, str] | None = None) -> Path:
    """The HTML report of ``medanon verify --report``.

    With ``against`` (the source folder the verification paired outputs with) and
    ``target`` outside ``out``, the cleaned files are shown before and after: that report
    holds source pixels and stays on the site's side. Inside ``out`` the before images
    are left out, whatever is asked. ``partition_axes``: the two quasi-identifiers of the
    release the partition rectangles are drawn over (default: the first two numeric ones).
    """
    if report_extra_missing():
        from medanon.errors import ConfigurationError

        raise ConfigurationError(MISSING_EXTRA)
    from medanon.report.data import build_report_data
    from medanon.report.render import write_html
    from medanon.verify.accounting import read_run_report

    before: dict[str, Path] | None = None
    note = "before images need --against SRC"
    if against is not None and _inside(target, out):
        note = INSIDE_BEFORE_NOTE
    elif against is not None:
        before = {output: against / source for output, source in verified.sources_of.items()}
        note = ""
    write_html(target, build_report_data(out, read_run_report(out), verified,
                                         title="medanon verify report", before=before,
                                         before_note=note, partition_axes=partition_axes))
    return target
