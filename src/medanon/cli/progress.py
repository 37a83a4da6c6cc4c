"""Progress display for ``medanon run``: a rich bar on a terminal, plain lines elsewhere.

Counts only: files done, withheld, failed, excluded, skipped; throughput and ETA. Never a
file name or a value. The total is counted by a background walk of the source (counting
entries as they stream past, never holding the list), so the bar has an end and an ETA
soon after the start without delaying the first file.

On a terminal the bar is one line that fits in 80 columns (the bar itself takes what is
left), with the counts on a second line. Without a terminal (a log, a batch scheduler,
``nohup``), a plain line goes to stderr a couple of seconds in, so a log shows the run
started and how fast it goes, and then at a steady interval.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from medanon.runner.outcome import FileOutcome
from medanon.runner.report import SessionStats
from medanon.runner.walk import walk_entries

FIRST_PLAIN_SECONDS = 2.0
PLAIN_INTERVAL_SECONDS = 10.0


class _TotalCounter:
    """Counts the entries under a folder (as the run will account for them) in a thread."""

    def __init__(self, src: Path, exclude: tuple[Path, ...]) -> None:
        self.total: int | None = None
        self._thread = threading.Thread(target=self._count, args=(src, exclude), daemon=True,
                                        name="medanon-count")
        self._thread.start()

    def _count(self, src: Path, exclude: tuple[Path, ...]) -> None:
        count = 0
        for _entry in walk_entries(src, exclude=exclude):
            count += 1
        self.total = count


def counts_text(session: SessionStats) -> str:
    """``12 written, 3 withheld, 40 skipped``: this session's outcomes, in words."""
    parts = [f"{n:,} {status}" for status, n in sorted(session.processed.items()) if n]
    if session.skipped:
        parts.append(f"{session.skipped:,} skipped")
    if session.outputs_redone:
        parts.append(f"{session.outputs_redone:,} redone")
    return ", ".join(parts)


def eta_seconds(session: SessionStats, total: int | None) -> float | None:
    """Seconds left at this session's pace, or None while the total or a pace is unknown.

    Files skipped as done cost almost nothing, so the pace counts processed files only.
    """
    if total is None or session.done == 0:
        return None
    rate = session.done / max(session.elapsed, 1e-6)
    return max(0, total - session.done - session.skipped) / rate


def clock(seconds: float | None) -> str:
    """``0:01:23``, or ``-:--:--`` when unknown."""
    if seconds is None:
        return "-:--:--"
    whole = int(seconds + 0.5)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def plain_line(session: SessionStats, total: int | None) -> str:
    """One line for a log: where the run is, how fast it goes, when it should end."""
    done = session.done + session.skipped
    elapsed = max(session.elapsed, 1e-6)
    of_total = f"/{total:,}" if total is not None else ""
    eta = eta_seconds(session, total)
    counts = counts_text(session)
    return (f"medanon: {done:,}{of_total} files, {session.done / elapsed:.1f} files/s, "
            f"{session.bytes_in / elapsed / 1e6:.1f} MB/s"
            + (f", ETA {clock(eta)}" if eta is not None else "")
            + (f"; {counts}" if counts else ""))


class RunProgress:
    """A context manager whose ``update`` is the run's progress callback.

    ``console`` (a rich Console) is for tests; by default a bar is drawn when stderr is a
    terminal, and plain lines are written to stderr otherwise.
    """

    def __init__(self, src: Path, exclude: tuple[Path, ...], *, quiet: bool,
                 console: Any = None) -> None:
        self._quiet = quiet
        self._console = console
        self._tty = console is not None or sys.stderr.isatty()
        self._counter = None if quiet else _TotalCounter(src, exclude)
        self._progress: Any = None
        self._task_id: Any = None
        self._next_plain = FIRST_PLAIN_SECONDS  # in seconds since the session started

    def __enter__(self) -> RunProgress:
        if not self._quiet and self._tty:
            self._progress = _bar(self._console)
            self._progress.start()
            self._task_id = self._progress.add_task("run", total=None, done="0", eta="",
                                                    rate="", counts="")
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, _outcome: FileOutcome | None, session: SessionStats) -> None:
        """Called by the runner after every file (and now and then while skipping)."""
        if self._quiet:
            return
        total = self._counter.total if self._counter else None
        if self._progress is not None:
            done = session.done + session.skipped
            self._progress.update(
                self._task_id, completed=done, total=total,
                done=f"{done:,}/{total:,}" if total is not None else f"{done:,}/?",
                rate=f"{session.done / max(session.elapsed, 1e-6):,.0f} files/s",
                eta=f"ETA {clock(eta_seconds(session, total))}",
                counts=counts_text(session))
            return
        elapsed = session.elapsed
        if elapsed < self._next_plain:
            return
        self._next_plain = elapsed + PLAIN_INTERVAL_SECONDS
        print(plain_line(session, total), file=sys.stderr, flush=True)


def _bar(console: Any) -> Any:
    """The rich display: one line of bar, count, rate and ETA; the counts below it.

    rich loads only when a bar is shown: quiet and logged runs start faster.
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn
    from rich.text import Text

    class TwoLineProgress(Progress):
        """The task's counts go on a line of their own, so the bar line never overflows."""

        def get_renderables(self) -> Iterable[Any]:
            yield self.make_tasks_table(self.tasks)
            for task in self.tasks:
                if task.fields.get("counts"):
                    yield Text(f"  {task.fields['counts']}", overflow="ellipsis",
                               no_wrap=True)

    return TwoLineProgress(
        TextColumn("[bold]de-identifying"), BarColumn(bar_width=None),
        TextColumn("{task.fields[done]}"), TextColumn("{task.fields[rate]}"),
        TextColumn("{task.fields[eta]}"),
        console=console or Console(stderr=True), transient=False, expand=True)
