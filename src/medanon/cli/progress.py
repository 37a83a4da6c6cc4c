"""Progress display for ``medanon run``: a rich bar on a terminal, plain lines elsewhere.

Counts only: files done, withheld, failed, skipped; throughput and ETA. Never a file name
or a value. The total is counted by a background walk of the source, so the bar has an
end (and an ETA) soon after the start without delaying the first file.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from medanon.runner.outcome import FileOutcome
from medanon.runner.report import SessionStats
from medanon.runner.walk import walk_files

PLAIN_INTERVAL_SECONDS = 10.0


class _TotalCounter:
    """Counts the files under a folder in a background thread."""

    def __init__(self, src: Path, exclude: tuple[Path, ...]) -> None:
        self.total: int | None = None
        self._thread = threading.Thread(target=self._count, args=(src, exclude), daemon=True,
                                        name="medanon-count")
        self._thread.start()

    def _count(self, src: Path, exclude: tuple[Path, ...]) -> None:
        count = 0
        for _path in walk_files(src, exclude=exclude):
            count += 1
        self.total = count


def _counts_text(session: SessionStats) -> str:
    parts = [f"{n} {status}" for status, n in sorted(session.processed.items()) if n]
    if session.skipped:
        parts.append(f"{session.skipped} skipped")
    return ", ".join(parts)


def _rates(session: SessionStats) -> tuple[float, float]:
    elapsed = max(session.elapsed, 1e-6)
    return session.done / elapsed, session.bytes_in / elapsed / 1e6


class RunProgress:
    """A context manager whose ``update`` is the run's progress callback."""

    def __init__(self, src: Path, exclude: tuple[Path, ...], *, quiet: bool) -> None:
        self._quiet = quiet
        self._tty = sys.stderr.isatty()
        self._counter = None if quiet else _TotalCounter(src, exclude)
        self._progress: Any = None
        self._task_id: object = None
        self._last_plain = time.monotonic()

    def __enter__(self) -> RunProgress:
        if not self._quiet and self._tty:
            # rich loads only when a bar is shown: quiet and logged runs start faster.
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("[bold]de-identifying"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
                TextColumn("{task.fields[counts]}"),
                console=Console(stderr=True), transient=False)
            self._progress.start()
            self._task_id = self._progress.add_task("run", total=None, rate="", counts="")
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
        files_rate, mb_rate = _rates(session)
        if self._progress is not None:
            self._progress.update(
                self._task_id,
                completed=session.done + session.skipped, total=total,
                rate=f"{files_rate:.0f} files/s {mb_rate:.1f} MB/s",
                counts=_counts_text(session))
            return
        now = time.monotonic()
        if now - self._last_plain < PLAIN_INTERVAL_SECONDS:
            return
        self._last_plain = now
        done = session.done + session.skipped
        eta = ""
        if total and files_rate > 0:
            eta = f", ETA {max(0.0, (total - done) / files_rate):.0f} s"
        of_total = f"/{total}" if total else ""
        print(f"medanon: {done}{of_total} files, {files_rate:.1f} files/s, {mb_rate:.1f} MB/s"
              f"{eta}; {_counts_text(session)}", file=sys.stderr, flush=True)
