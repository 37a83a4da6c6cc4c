"""Staging: copy upcoming files from a slow source to fast local storage, ahead of workers.

When the source is a network share, an external disk or optical media, reading is the
bottleneck and it is sequential at its best. A single reader thread copies files, in
walk order, into the staging folder while the workers process earlier ones; each staged
copy is deleted as soon as its file is done. The bytes staged at once never exceed the
budget (a single file larger than the budget is staged alone).
"""

from __future__ import annotations

import queue
import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from medanon.runner.tasks import Task

_DONE = object()


class Stager:
    """Copies tasks' files into ``folder`` ahead of use, within ``budget`` bytes."""

    def __init__(self, folder: Path, budget: int) -> None:
        self.folder = folder
        self.budget = budget
        self._used = 0
        self._staged: dict[str, int] = {}
        self._room = threading.Condition()
        self._stop = threading.Event()
        folder.mkdir(parents=True, exist_ok=True)

    def stage(self, tasks: Iterator[Task]) -> Iterator[Task]:
        """Yield the tasks in order, each with ``read_from`` pointing at its staged copy."""
        ready: queue.Queue[object] = queue.Queue()
        reader = threading.Thread(target=self._copy_ahead, args=(tasks, ready),
                                  name="medanon-staging", daemon=True)
        reader.start()
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
            self._stop.set()
            with self._room:
                self._room.notify_all()
            reader.join()

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
                    # Unreadable source: let the worker read it and report the failure.
                    self.release(task)
                    ready.put(task)
                    continue
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
