"""The run report: counts, every file that was not written and why, the whitelist review.

Files are named by the keyed hash of their relative path, never by path or content, so
the report can travel with the output. The review lists, for each attribute a whitelist
removed, its tag, keyword and VR, in how many files it occurred and how many distinct
values it had (counted by keyed digest), so a reviewer can decide whether to approve it.
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
from medanon.runner.outcome import FileOutcome, Status

REPORT_NAME = "report.json"


@dataclass
class _ReviewTally:
    keyword: str
    vr: str
    files: int = 0
    digests: set[str] = field(default_factory=set)


@dataclass
class RunReport:
    """Accumulates outcomes as they arrive; serialises to JSON."""

    settings: dict[str, Any]
    started: float = field(default_factory=time.time)
    finished: float | None = None
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[dict[str, str]] = field(default_factory=list)
    bytes_in: int = 0
    bytes_out: int = 0
    _review: dict[int, _ReviewTally] = field(default_factory=dict)

    def add(self, outcome: FileOutcome) -> None:
        """Count one file's outcome."""
        self.counts[outcome.status.value] += 1
        self.bytes_in += outcome.bytes_in
        self.bytes_out += outcome.bytes_out
        if outcome.status in (Status.WITHHELD, Status.FAILED, Status.EXCLUDED):
            self.problems.append({"file": outcome.source_id, "status": outcome.status.value,
                                  "reason": outcome.reason or ""})
        seen: set[int] = set()
        for item in outcome.review:
            tally = self._review.setdefault(item.tag, _ReviewTally(item.keyword, item.vr))
            if item.tag not in seen:
                tally.files += 1
                seen.add(item.tag)
            tally.digests.add(item.value_digest)

    @property
    def total(self) -> int:
        """Number of input files seen."""
        return sum(self.counts.values())

    @property
    def exit_code(self) -> int:
        """0 when every file was written (DICOMDIRs aside), else 1."""
        return 1 if self.counts[Status.WITHHELD.value] or self.counts[Status.FAILED.value] else 0

    def review_rows(self) -> list[dict[str, Any]]:
        """The whitelist review table, most frequent attribute first."""
        rows = [{"tag": f"({tag >> 16:04X},{tag & 0xFFFF:04X})", "keyword": t.keyword,
                 "vr": t.vr, "files": t.files, "distinct_values": len(t.digests)}
                for tag, t in self._review.items()]
        return sorted(rows, key=lambda r: (-int(r["files"]), str(r["tag"])))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view of the report."""
        finished = self.finished or time.time()
        return {
            "medanon_version": __version__,
            "settings": self.settings,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
            "elapsed_seconds": round(finished - self.started, 3),
            "files": self.total,
            "counts": {status.value: self.counts[status.value] for status in Status},
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "problems": self.problems,
            "whitelist_review": self.review_rows(),
        }

    def summary_line(self) -> str:
        """One line for the screen."""
        parts = [f"{self.counts[s.value]} {s.value}" for s in Status if self.counts[s.value]]
        return f"{self.total} files: " + (", ".join(parts) if parts else "nothing to do")


def write_report(report: RunReport, state_dir: Path) -> Path:
    """Write the report JSON atomically into the state folder; return its path."""
    state_dir.mkdir(parents=True, exist_ok=True)
    target = state_dir / REPORT_NAME
    temp = state_dir / f".{REPORT_NAME}.tmp"
    temp.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    os.replace(temp, target)
    return target
