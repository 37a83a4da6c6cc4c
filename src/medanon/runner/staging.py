"""Staging: copy upcoming files from a slow source to fast local storage, ahead of workers.

When the source is a network share, an external disk or optical media, reading is the
bottleneck and it is sequential at its best. A single reader thread copies files, in
walk order, into the staging folder while the workers process earlier ones; each staged
copy is deleted as soon as its file is done. The bytes staged at once never exceed the
budget (a single file larger than the budget is staged alone).

Staged copies are untouched source files (real names inside), so none may outlive the
run: they live in a folder of their own inside the staging folder, which :meth:`close`
removes however the run ends (finished, Ctrl-C, SIGTERM, an error). The run records that
folder in its state folder first, so that what a ``kill -9`` or a power cut left behind is
removed by the next run (:func:`remove_leftovers`).
"""

from __future__ import annotations

import contextlib
import queue
import secrets
import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import TracebackType

from medanon.runner.tasks import Task

#: The name of every run's own folder inside the staging folder starts with this.
STAGING_PREFIX = ".medanon-staging-"
#: The manifest's meta entry naming the staging folder of a session that is staging.
STAGING_RECORD = "staging_folder"
#: Seconds :meth:`Stager.close` waits for the reader thread before removing the copies.
READER_JOIN_SECONDS = 10.0

_DONE = object()


def remove_leftovers(recorded: str) -> int:
    """Remove a staging folder an earlier session recorded; return the copies it held.

    Only a folder named as medanon names them is removed, whatever the record says.
    """
    folder = Path(recorded)
    if not folder.name.startswith(STAGING_PREFIX) or not folder.is_dir():
        return 0
    copies = sum(1 for _entry in folder.iterdir())
    shutil.rmtree(folder, ignore_errors=True)
    return copies


class Stager:
    """Copies tasks' files into a folder of its own under ``parent``, within ``budget`` bytes.

    Use it as a context manager (or call :meth:`close`): leaving removes every copy.
    """

    def __init__(self, parent: Path, budget: int) -> None:
        self.folder = parent / f"{STAGING_PREFIX}{secrets.token_hex(8)}"
        self.budget = budget
        self._used = 0
        self._staged: dict[str, int] = {}
        self._room = threading.Condition()
        self._stop = threading.Event()
        self._reader: threading.Thread | None = None
        self.folder.mkdir(parents=True)

    def __enter__(self) -> Stager:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def stage(self, tasks: Iterator[Task]) -> Iterator[Task]:
        """Yield the tasks in order, each with ``read_from`` pointing at its staged copy."""
        ready: queue.Queue[object] = queue.Queue()
        self._reader = threading.Thread(target=self._copy_ahead, args=(tasks, ready),
                                        name="medanon-staging", daemon=True)
        self._reader.start()
        try:
            while True:
                item = ready.get()
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                assert isinstance(item, Task)
                yield item
        finally:
            self._stop_reader(READER_JOIN_SECONDS)

    def close(self) -> bool:
        """Stop copying and remove every staged copy; True when nothing is left behind.

        False only when the reader thread could not be stopped in time (a source that no
        longer answers) and its folder may still fill: the run's record of the folder
        then stays, for the next run to remove.
        """
        stopped = self._stop_reader(READER_JOIN_SECONDS)
        shutil.rmtree(self.folder, ignore_errors=True)
        with self._room:
            self._staged.clear()
            self._used = 0
        return stopped and not self.folder.exists()

    def _stop_reader(self, timeout: float) -> bool:
        self._stop.set()
        with self._room:
            self._room.notify_all()
        if self._reader is not None:
            self._reader.join(timeout)
            return not self._reader.is_alive()
        return True

    def _copy_ahead(self, tasks: Iterator[Task], ready: queue.Queue[object]) -> None:
        try:
            for task in tasks:
                if self._stop.is_set():
                    break
                size = task.stamp.size
                with self._room:
                    while self._used and self._used + size > self.budget \
                            and not self._stop.is_set():
                        self._room.wait()
                    self._used += size
                    self._staged[task.stamp.source_id] = size
                target = self.folder / task.stamp.source_id
                try:
                    shutil.copyfile(task.path, target)
                except OSError:
                    if self._stop.is_set():
                        break  # the folder was removed under the copy: the run is ending
                    # Unreadable source: let the worker read it and report the failure.
                    self.release(task)
                    ready.put(task)
                    continue
                if self._stop.is_set():  # closed during the copy: leave nothing behind
                    target.unlink(missing_ok=True)
                    with contextlib.suppress(OSError):
                        self.folder.rmdir()
                    break
                ready.put(replace(task, read_from=target))
            ready.put(_DONE)
        except BaseException as exc:  # handed to the consuming thread, which re-raises
            ready.put(exc)

    def release(self, task: Task) -> None:
        """Delete a task's staged copy and free its share of the budget."""
        if task.read_from is not None:
            task.read_from.unlink(missing_ok=True)
        with self._room:
            size = self._staged.pop(task.stamp.source_id, None)
            if size is not None:
                self._used -= size
                self._room.notify_all()

    @property
    def used(self) -> int:
        """Bytes currently staged."""
        with self._room:
            return self._used
