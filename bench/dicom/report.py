"""Turn the benchmark's measurements into the markdown recorded in ``bench/RESULTS.md``.

Kept apart from the runner so the table and the target checks can be read (and changed) in
one place: which figure each target compares, and what counts as PASS, FAIL or PENDING.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

SECTION = "## DICOM de-identification"

# The targets.
SPEEDUP_OVER_PEERS = 3.0
SPEEDUP_OVER_FLOOR = 1.25
SCALING_ALL_CORES = 1.8
MEMORY_GROWTH = 0.10
RERUN_SPEEDUP = 20.0


@dataclass
class Row:
    """One tool on the main corpus, over all rounds."""

    key: str
    label: str
    kind: str  # "limit", "floor", "medanon" or "peer"
    walls: list[float] = field(default_factory=list)
    peak_rss_kb: int = 0
    files_out: tuple[int, int] | None = None  # (DICOM files, all files) after the last round
    error: str | None = None
    pending: str | None = None

    @property
    def wall(self) -> float | None:
        """Median wall time over the rounds that ran, None when failed or pending."""
        if self.error or self.pending or not self.walls:
            return None
        return statistics.median(self.walls)

    def rate(self, files: int) -> float | None:
        wall = self.wall
        return files / wall if wall else None

    def complete(self, files: int) -> bool:
        return self.files_out is not None and self.files_out[0] == files


@dataclass
class MemoryRun:
    """medanon with one worker on a small-slice corpus, for memory flatness."""

    files: int
    rows: int
    cols: int
    wall: float | None
    peak_rss_kb: int
    files_out: int
    error: str | None


@dataclass
class Rerun:
    """The same medanon command run twice on one destination."""

    first_wall: float | None
    rerun_wall: float | None
    files_out: int
    error: str | None


def _mb(kb: int) -> str:
    return f"{kb / 1024:,.0f} MB" if kb else "—"


def _x(value: float | None) -> str:
    return f"{value:.2f}×" if value is not None else "—"


def table(rows: Sequence[Row], files: int) -> list[str]:
    """The main table: one line per tool, ratios to the pydicom floor and to ``cp -r``."""
    by_kind = {r.kind: r for r in rows if r.kind in ("limit", "floor")}
    floor_rate = by_kind["floor"].rate(files) if "floor" in by_kind else None
    cp_rate = by_kind["limit"].rate(files) if "limit" in by_kind else None
    lines = [
        "| tool | wall s | files/s | × pydicom floor | share of `cp -r` | peak RSS | files out |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        rate = row.rate(files)
        out = "—"
        if row.files_out is not None:
            dicom, total = row.files_out
            out = f"{dicom:,}" if dicom == total else f"{dicom:,} DICOM of {total:,} files"
            if dicom != files:
                out += f" (**expected {files:,}**)"
        if row.pending:
            lines.append(f"| {row.label} | pending: {row.pending} | | | | | |")
            continue
        if row.error:
            lines.append(f"| {row.label} | failed: {row.error} | | | | | {out} |")
            continue
        walls = " / ".join(f"{w:.2f}" for w in row.walls)
        wall_text = f"{row.wall:.2f}" + (f" ({walls})" if len(row.walls) > 1 else "")
        lines.append(
            f"| {row.label} | {wall_text} | {rate:,.0f} | "
            f"{_x(rate / floor_rate if rate and floor_rate else None)} | "
            f"{f'{rate / cp_rate:.0%}' if rate and cp_rate else '—'} | "
            f"{_mb(row.peak_rss_kb)} | {out} |"
        )
    return lines


def _check(ok: bool | None, text: str) -> str:
    mark = "PENDING" if ok is None else ("PASS" if ok else "FAIL")
    return f"- **{mark}** {text}"


def targets(
    rows: Sequence[Row], files: int, memory: Sequence[MemoryRun], rerun: Rerun | None
) -> list[str]:
    """The issue's targets, each with the numbers it was decided on."""
    get = {r.key: r for r in rows}
    one, every = get.get("medanon-1"), get.get("medanon-all")
    one_rate = one.rate(files) if one else None
    every_rate = every.rate(files) if every else None
    lines: list[str] = []
    if one and one.files_out is not None and not one.complete(files):
        lines.append(
            f"- note: medanon 1 worker wrote {one.files_out[0]:,} of {files:,} files "
            "(the rest withheld or failed; see its report)"
        )

    peers = [r for r in rows if r.kind == "peer" and r.rate(files) and r.complete(files)]
    skipped = [r.label.split(" (")[0] for r in rows if r.kind == "peer" and r not in peers]
    if peers:
        best = max(peers, key=lambda r: r.rate(files) or 0.0)
        best_rate = best.rate(files) or 0.0
        need = SPEEDUP_OVER_PEERS * best_rate
        note = (
            f"; not counted (failed or incomplete output): {', '.join(skipped)}" if skipped else ""
        )
        lines.append(
            _check(
                None if one_rate is None else one_rate >= need,
                f"medanon 1 worker ≥ {SPEEDUP_OVER_PEERS:g}× the fastest peer "
                f"({best.label.split(' (')[0]}, {best_rate:,.0f} files/s; needs {need:,.0f}): "
                + (
                    f"{one_rate:,.0f} files/s = {one_rate / best_rate:.2f}×"
                    if one_rate
                    else "not measured"
                )
                + note,
            )
        )
    else:
        lines.append(_check(None, "medanon 1 worker vs the fastest peer: no peer measured"))

    floor = next((r for r in rows if r.kind == "floor"), None)
    floor_rate = floor.rate(files) if floor else None
    if floor_rate:
        need = SPEEDUP_OVER_FLOOR * floor_rate
        lines.append(
            _check(
                None if one_rate is None else one_rate >= need,
                f"medanon 1 worker ≥ {SPEEDUP_OVER_FLOOR:g}× the pydicom read + write "
                f"({floor_rate:,.0f} files/s; needs {need:,.0f}): "
                + (
                    f"{one_rate:,.0f} files/s = {one_rate / floor_rate:.2f}×"
                    if one_rate
                    else "not measured"
                ),
            )
        )
    best_peer = max((r.rate(files) or 0.0 for r in peers), default=0.0)
    for key, what in (("medanon-1-noreport", "without the HTML report"),
                      ("medanon-1-noaudit", "without the HTML report and the audit log")):
        row = get.get(key)
        rate = row.rate(files) if row else None
        if rate and best_peer and floor_rate:
            lines.append(f"- (report) medanon 1 worker {what}: {rate:,.0f} files/s = "
                         f"{rate / best_peer:.2f}× the fastest peer, "
                         f"{rate / floor_rate:.2f}× the pydicom read + write")
    cp = next((r for r in rows if r.kind == "limit"), None)
    cp_rate = cp.rate(files) if cp else None
    if cp_rate:
        lines.append(
            "- (report) medanon 1 worker = "
            + (f"{one_rate / cp_rate:.0%}" if one_rate else "—")
            + " of `cp -r`'s files/s; all cores = "
            + (f"{every_rate / cp_rate:.0%}" if every_rate else "—")
            + f" (`cp -r`: {cp_rate:,.0f} files/s, the physical limit here)"
        )

    lines.append(
        _check(
            None
            if one_rate is None or every_rate is None
            else every_rate >= SCALING_ALL_CORES * one_rate,
            f"all cores ({os.cpu_count()}) ≥ {SCALING_ALL_CORES:g}× one worker: "
            + (
                f"{every_rate:,.0f} vs {one_rate:,.0f} files/s = {every_rate / one_rate:.2f}×"
                if one_rate and every_rate
                else "not measured"
            ),
        )
    )

    halves = get.get("medanon-halves")
    halves_rate = halves.rate(files) if halves else None
    if halves_rate and one_rate:
        lines.append(
            f"- (report) the ceiling for two processes on this machine: two independent 1-worker "
            f"runs, one on each half of the patients, at once: {halves_rate:,.0f} files/s = "
            f"{halves_rate / one_rate:.2f}× one worker; all cores reached "
            + (f"{every_rate / halves_rate:.0%}" if every_rate else "—")
            + " of that"
        )

    measured = [m for m in memory if m.error is None and m.peak_rss_kb]
    if len(measured) >= 2:
        small, large = min(measured, key=lambda m: m.files), max(measured, key=lambda m: m.files)
        growth = large.peak_rss_kb / small.peak_rss_kb - 1
        lines.append(
            _check(
                growth <= MEMORY_GROWTH,
                f"peak memory flat, 1 worker: {small.files:,} files {_mb(small.peak_rss_kb)}, "
                f"{large.files:,} files {_mb(large.peak_rss_kb)} ({growth:+.1%}; limit "
                f"+{MEMORY_GROWTH:.0%})",
            )
        )
    else:
        reason = "; ".join(f"{m.files:,} files: {m.error}" for m in memory if m.error)
        lines.append(_check(None, f"peak memory flat: {reason or 'not measured'}"))

    if rerun and rerun.error is None and rerun.first_wall and rerun.rerun_wall:
        speedup = rerun.first_wall / rerun.rerun_wall
        lines.append(
            _check(
                speedup >= RERUN_SPEEDUP,
                f"rerun of a finished run ≥ {RERUN_SPEEDUP:g}× faster: {rerun.first_wall:.2f} s, "
                f"then {rerun.rerun_wall:.2f} s = {speedup:.1f}× "
                f"({rerun.files_out:,} files in the destination afterwards)",
            )
        )
    else:
        why = rerun.error if rerun and rerun.error else "not measured"
        lines.append(_check(None, f"rerun of a finished run: {why}"))
    return lines


def memory_table(memory: Sequence[MemoryRun]) -> list[str]:
    lines = [
        "| files | slice | wall s | files/s | peak RSS | files out |",
        "|---|---|---|---|---|---|",
    ]
    for m in memory:
        if m.error:
            lines.append(f"| {m.files:,} | {m.rows}×{m.cols} | failed: {m.error} | | | |")
        else:
            rate = f"{m.files / m.wall:,.0f}" if m.wall else "—"
            wall = f"{m.wall:.2f}" if m.wall else "—"
            lines.append(
                f"| {m.files:,} | {m.rows}×{m.cols} | {wall} | {rate} | "
                f"{_mb(m.peak_rss_kb)} | {m.files_out:,} |"
            )
    return lines


def replace_section(results: Path, body: str, section: str = SECTION) -> None:
    """Replace only one section of ``results`` (the DICOM one by default), up to the next
    ``## `` heading."""
    text = results.read_text() if results.exists() else "# Benchmark results\n"
    start = text.find(section + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
        start = text.find(section + "\n")
    after = start + len(section) + 1
    end = text.find("\n## ", after)
    tail = "" if end < 0 else text[end:]
    new = text[:start] + section + "\n\n" + body.strip("\n") + "\n" + tail
    temporary = results.with_suffix(".md.tmp")
    temporary.write_text(new)
    temporary.replace(results)
