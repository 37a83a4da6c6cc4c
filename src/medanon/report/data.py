"""The data the report template shows, as plain dictionaries and lists, capped.

Everything here is bounded whatever the size of the run: findings, problems and census
values are cut to a fixed number of rows with the totals kept, so that a report of a
million files stays a few megabytes and opens at once. Nothing here is a value found in
a file: findings name files and tag paths; the census shows values of the output, which
is what the reviewer must see.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

from medanon._version import __version__
from medanon.report import plots
from medanon.report.release import ReleaseSummary, partition, partition_axes, read_release
from medanon.verify import VerifyResult

FINDINGS_SHOWN = 500
PROBLEMS_SHOWN = 500
CENSUS_ATTRIBUTES_SHOWN = 1000
CENSUS_VALUES_SHOWN = 10  # per attribute (--json keeps more)
PARTITION_SHOWN = 2000  # class rectangles drawn (the largest classes first)
# The burned-in text step's counts in report.json (0 for a run from before they existed).
PIXEL_COUNTS = ("files_cleaned", "boxes_blanked", "frames_searched", "files_with_pixel_step")


def _outcomes(run: dict[str, Any] | None) -> dict[str, Any]:
    if run is None:
        return {"present": False}
    counts = {k: v for k, v in run.get("counts", {}).items() if v}
    problems = run.get("problems", [])
    reasons = Counter((p.get("status", ""), p.get("reason", "")) for p in problems)
    session = run.get("this_session", {})
    seconds = float(session.get("elapsed_seconds", 0) or 0)
    processed = int(session.get("processed", 0) or 0)
    return {
        "present": True,
        "settings": run.get("settings", {}),
        "version": run.get("medanon_version", ""),
        "files": run.get("files", 0),
        "counts": counts,
        "bytes_out": run.get("bytes_out", 0),
        "problems": problems[:PROBLEMS_SHOWN],
        "problems_total": len(problems),
        "reasons": [{"status": s, "reason": r, "files": n} for (s, r), n in
                    reasons.most_common()],
        "review": run.get("whitelist_review", []),
        "pixels": {name: int((run.get("pixels") or {}).get(name, 0)) for name in PIXEL_COUNTS},
        "session_seconds": seconds,
        "session_files": processed,
        "session_rate": round(processed / seconds, 1) if seconds > 0 else None,
        "counts_plot": plots.bar_chart(list(counts), list(counts.values()),
                                       "input files by outcome") if counts else "",
    }


def _partition(release: ReleaseSummary, axes: tuple[str, str] | None) -> dict[str, Any]:
    """The partition rectangles of ``axes``, else of the first two numeric quasi-identifiers.

    Named axes are checked (:func:`partition_axes`): a wrong name is an error, never a
    report drawn over other axes than the ones asked for.
    """
    if axes is not None:
        axes = partition_axes(release, axes)
    found = partition(release, axes, limit=PARTITION_SHOWN)
    if found is None:
        return {"plot": "", "x": "", "y": "", "drawn": 0, "classes": len(release.classes)}
    return {"plot": plots.partition_rectangles(
                found, f"{found.classes} equivalence classes over {found.x} and {found.y}"),
            "x": found.x, "y": found.y, "drawn": len(found.boxes), "classes": found.classes}


def _thumbnails(out: Path, state_dir: Path | None, before: dict[str, Path] | None,
                before_note: str) -> dict[str, Any]:
    from medanon.report.thumbnails import thumbnails
    from medanon.runner.pixel_log import read_pixel_records

    made, total = thumbnails(out, read_pixel_records(out, state_dir), sources=before)
    return {"shown": [vars(t) for t in made], "total": total,
            "left_out": total - len(made), "before": before is not None,
            "before_note": before_note}


def build_report_data(out: Path, run: dict[str, Any] | None, verified: VerifyResult, *,
                      title: str, state_dir: Path | None = None,
                      before: dict[str, Path] | None = None, before_note: str = "",
                      partition_axes: tuple[str, str] | None = None) -> dict[str, Any]:
    """Everything the template needs.

    ``state_dir`` is the run's state folder when not ``out/.medanon``. ``before`` maps
    output paths to their source files: given, the cleaned files are shown as before/after
    pairs (a report for the site's side only: the caller never gives it for a report inside
    OUT); ``before_note`` says why there are no before images. ``partition_axes``: the two
    quasi-identifiers the partition rectangles are drawn over (a name the release does not
    have is a :class:`~medanon.errors.ConfigurationError`).
    """
    summary = verified.summary
    findings = [f.to_dict(show_values=False) for f in verified.findings[:FINDINGS_SHOWN]]
    by_category = summary.get("by_category", {})
    release = read_release(out)
    census = [{**row, "values": row["values"][:CENSUS_VALUES_SHOWN],
               "values_hidden": row["values_hidden"] + max(0, len(row["values"])
                                                           - CENSUS_VALUES_SHOWN)}
              for row in verified.census[:CENSUS_ATTRIBUTES_SHOWN]]
    return {
        "title": title,
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": __version__,
        "run": _outcomes(run),
        "verify": {
            "summary": summary,
            "findings": findings,
            "findings_total": len(verified.findings),
            "by_category": by_category,
            "plot": plots.bar_chart(list(by_category), list(by_category.values()),
                                    "findings by category") if by_category else "",
        },
        "thumbnails": _thumbnails(out, state_dir, before, before_note),
        "census": census,
        "census_total": len(verified.census),
        "census_values_shown": CENSUS_VALUES_SHOWN,
        "census_flagged": sum(1 for row in verified.census if row["flags"]),
        "release": {
            "present": release.present, "note": release.note, "rows": release.rows,
            "quasi_identifiers": list(release.quasi_identifiers),
            "classes": len(release.class_sizes), "k": release.smallest_class,
            "metrics": [{"name": n, "value": v} for n, v in release.metrics],
            "plot": plots.class_size_histogram(release.class_sizes, "class sizes")
            if release.class_sizes else "",
            "partition": _partition(release, partition_axes),
        },
    }
