"""The run report: counts, every file that was not written and why, the whitelist review.

It also counts what the burned-in text step did over the written files (``pixels``: files
cleaned, boxes blanked, frames searched); the boxes themselves stay in the manifest
(:mod:`medanon.runner.pixel_log`).

Built from the manifest at the end of a run, so a run that was interrupted and resumed
reports on all of its files, not only on the last session's. Files are named by the
keyed hash of their relative path, never by path or content, so the report can travel
with the output. The review lists, for each attribute a whitelist removed, its tag,
keyword and VR, in how many files it occurred and how many distinct values it had
(counted by keyed digest), so a reviewer can decide whether to approve it.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medanon._version import __version__
from medanon.runner.manifest import Manifest
from medanon.runner.outcome import FileOutcome, Status

REPORT_NAME = "report.json"


@dataclass
class SessionStats:
    """What this invocation did (a resumed run's earlier sessions are in the manifest)."""

    started: float = field(default_factory=time.monotonic)
    processed: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    # Done by an earlier session, but their output was missing or had changed size.
    outputs_redone: int = 0
    bytes_in: int = 0
    bytes_out: int = 0

    def add(self, outcome: FileOutcome) -> None:
        """Count one processed file."""
        self.processed[outcome.status.value] += 1
        self.bytes_in += outcome.bytes_in
        self.bytes_out += outcome.bytes_out

    @property
    def done(self) -> int:
        """Files processed in this session."""
        return sum(self.processed.values())

    @property
    def elapsed(self) -> float:
        """Seconds since the session started."""
        return time.monotonic() - self.started


@dataclass(frozen=True)
class RunReport:
    """The report of a whole run (every session of it)."""

    settings: dict[str, Any]
    counts: dict[str, int]
    problems: list[dict[str, str]]
    review: list[dict[str, Any]]
    safety_net: list[dict[str, Any]]
    bytes_out: int
    session: SessionStats
    # The burned-in text step over the written files (medanon.runner.pixel_log).
    pixels: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Input files the run has accounted for."""
        return sum(self.counts.values())

    @property
    def exit_code(self) -> int:
        """0 when every file was written (DICOMDIRs aside), else 1."""
        return 1 if self.counts.get(Status.WITHHELD.value) or self.counts.get(
            Status.FAILED.value) else 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view of the report."""
        return {
            "medanon_version": __version__,
            "settings": self.settings,
            "files": self.total,
            "counts": self.counts,
            "bytes_out": self.bytes_out,
            "this_session": {
                "processed": self.session.done,
                "skipped_as_done": self.session.skipped,
                "redone_output_missing_or_changed": self.session.outputs_redone,
                "elapsed_seconds": round(self.session.elapsed, 3),
            },
            "problems": self.problems,
            "whitelist_review": self.review,
            "safety_net": self.safety_net,
            "pixels": self.pixels,
        }

    def summary_line(self) -> str:
        """One line for the screen."""
        parts = [f"{self.counts[s.value]} {s.value}" for s in Status if self.counts.get(s.value)]
        text = f"{self.total} files: " + (", ".join(parts) if parts else "nothing to do")
        if self.pixels.get("files_with_pixel_step"):
            text += (f"; burned-in text: {self.pixels['files_cleaned']} files cleaned,"
                     f" {self.pixels['boxes_blanked']} boxes blanked,"
                     f" {self.pixels['frames_searched']} frames searched")
        if self.session.skipped:
            text += f" ({self.session.skipped} already done before this session)"
        if self.session.outputs_redone:
            text += (f" ({self.session.outputs_redone} redone: their output was missing or "
                     "had changed)")
        return text


def report_from_manifest(manifest: Manifest, settings: dict[str, Any],
                         session: SessionStats) -> RunReport:
    """Assemble the report of the whole run from its manifest."""
    counts = manifest.counts()
    bytes_out, _rows = manifest.totals()
    return RunReport(
        settings=settings,
        counts={status.value: counts.get(status.value, 0) for status in Status},
        problems=manifest.problems(),
        review=manifest.review_rows(),
        safety_net=manifest.net_rows(),
        bytes_out=bytes_out,
        session=session,
        pixels=manifest.pixel_totals(),
    )


def write_report(report: RunReport, state_dir: Path) -> Path:
    """Write the report JSON atomically into the state folder; return its path."""
    state_dir.mkdir(parents=True, exist_ok=True)
    target = state_dir / REPORT_NAME
    temp = state_dir / f".{REPORT_NAME}.tmp"
    temp.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    os.replace(temp, target)
    return target
