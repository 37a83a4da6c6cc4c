"""Where the report is written, and the one call ``medanon run`` and ``verify`` make.

Kept light: nothing heavy is imported until a report is actually written, so that a
rerun of a finished ``medanon run`` (which writes nothing new) stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from medanon.verify import VerifyResult

HTML_NAME = "report.html"
#: Output files the run's own report checks: a sample, so that the report costs seconds
#: whatever the collection's size (``medanon verify`` checks every file).
RUN_REPORT_SAMPLE = 1000
JSON_NAME = "report.json"


MISSING_EXTRA = ("the HTML report needs jinja2 and matplotlib: pip install "
                 "'medanon[report]'")


def report_extra_missing() -> bool:
    """True when the packages the HTML report needs are not installed."""
    from importlib.util import find_spec

    return find_spec("jinja2") is None or find_spec("matplotlib") is None


def report_after_run(dst: Path, state_dir: Path, workers: int = 0) -> str:
    """Verify a sample of ``dst`` (pattern checks, no original) and write the HTML report.

    Written beside the run's JSON report in the state folder, for a plain run and a
    privacy run alike. A rerun that processed nothing keeps the report already there.
    Returns the line to print: where the report is, or why there is none (the run's work
    is done either way).
    """
    import json

    target = state_dir / HTML_NAME
    try:
        run = json.loads((state_dir / JSON_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "no HTML report: the run wrote no report.json"
    if not run.get("this_session", {}).get("processed") and target.exists():
        return f"HTML report: {target}"
    if report_extra_missing():
        return f"no HTML report: {MISSING_EXTRA} (or pass --no-report)"
    from medanon.report.data import build_report_data
    from medanon.report.render import write_html
    from medanon.verify import VerifyOptions, verify_folder

    verified = verify_folder(dst, VerifyOptions(workers=workers, dciodvfy="off",
                                                sample=RUN_REPORT_SAMPLE))
    write_html(target, build_report_data(dst, run, verified, title="medanon run report"))
    return f"HTML report: {target}"


def write_verify_report(target: Path, out: Path, verified: VerifyResult) -> Path:
    """The HTML report of ``medanon verify --report``."""
    if report_extra_missing():
        from medanon.errors import ConfigurationError

        raise ConfigurationError(MISSING_EXTRA)
    from medanon.report.data import build_report_data
    from medanon.report.render import write_html
    from medanon.verify.accounting import read_run_report

    write_html(target, build_report_data(out, read_run_report(out), verified,
                                         title="medanon verify report"))
    return target
