"""Where files are processed: in this process, in a local process pool, or on Dask.

Every executor runs the same pure per-file function, :func:`process_file`, with the same
frozen :class:`RunContext` (sent to each worker once, not per file), so the output is
byte for byte the same whichever one runs. Each executor takes a stream of tasks and
yields ``(task, outcome)`` as files finish, keeping only a bounded number in flight, so
memory stays flat however many files the source holds.
"""

from __future__ import annotations

import functools
import importlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, Protocol

from medanon.errors import ConfigurationError
from medanon.runner.outcome import FileOutcome
from medanon.runner.process import RunContext, process_file
from medanon.runner.tasks import Task

IN_FLIGHT_PER_WORKER = 4

TaskCallback = Callable[[Task], None]


def _call_with_task(callback: TaskCallback, task: Task, _future: object) -> None:
    callback(task)


class Executor(Protocol):
    """Runs tasks and yields their outcomes as they complete (in any order)."""

    def run(self, tasks: Iterator[Task], on_finished: TaskCallback | None = None
            ) -> Iterator[tuple[Task, FileOutcome]]:
        """Process every task.

        ``on_finished(task)`` is called as soon as a task is done, from any thread, before
        its outcome is yielded (staging frees space with it).
        """
        ...

    def close(self) -> None:
        """Release workers."""
        ...


class InProcessExecutor:
    """One worker: the files are processed right here, in order, with no pool overhead."""

    def __init__(self, ctx: RunContext) -> None:
        self._ctx = ctx

    def run(self, tasks: Iterator[Task], on_finished: TaskCallback | None = None
            ) -> Iterator[tuple[Task, FileOutcome]]:
        """Process every task, one after the other."""
        for task in tasks:
            outcome = process_file(task.path, self._ctx, task.read_from)
            if on_finished is not None:
                on_finished(task)
            yield task, outcome

    def close(self) -> None:
        """Nothing to release."""


# The context of a pool worker process, set once by the pool's initializer. Process-local:
# each worker has its own copy, received once instead of once per file.
_worker_context: RunContext | None = None


def _init_worker(ctx: RunContext) -> None:
    global _worker_context
    _worker_context = ctx


def _work(path: str, read_from: str | None) -> FileOutcome:
    assert _worker_context is not None, "pool worker started without its context"
    return process_file(Path(path), _worker_context, Path(read_from) if read_from else None)


class ProcessPoolRunner:
    """N worker processes on this machine."""

    def __init__(self, ctx: RunContext, workers: int) -> None:
        self._limit = workers * IN_FLIGHT_PER_WORKER
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() \
            else "spawn"
        self._pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context(method),
            initializer=_init_worker, initargs=(ctx,))

    def run(self, tasks: Iterator[Task], on_finished: TaskCallback | None = None
            ) -> Iterator[tuple[Task, FileOutcome]]:
        """Process every task on the pool, at most a few per worker in flight."""
        in_flight: dict[Future[FileOutcome], Task] = {}
        for task in tasks:
            while len(in_flight) >= self._limit:
                yield from self._drain(in_flight)
            future = self._pool.submit(_work, str(task.path),
                                       str(task.read_from) if task.read_from else None)
            if on_finished is not None:
                future.add_done_callback(functools.partial(_call_with_task, on_finished, task))
            in_flight[future] = task
        while in_flight:
            yield from self._drain(in_flight)

    @staticmethod
    def _drain(in_flight: dict[Future[FileOutcome], Task]
               ) -> Iterator[tuple[Task, FileOutcome]]:
        done, _pending = wait(in_flight, return_when=FIRST_COMPLETED)
        for future in done:
            task = in_flight.pop(future)
            yield task, future.result()

    def close(self) -> None:
        """Stop the workers (pending work is cancelled when the run is aborting)."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def _dask_work(path: str, read_from: str | None, ctx: RunContext) -> FileOutcome:
    return process_file(Path(path), ctx, Path(read_from) if read_from else None)


class DaskRunner:
    """The same work on a dask.distributed cluster (``tcp://host:port``) or ``local:N``.

    Workers must see SRC and DST at the same paths (a shared file system) and have medanon
    installed. The context (recipe, key, plan) is scattered to every worker once.
    """

    def __init__(self, ctx: RunContext, address: str) -> None:
        try:
            distributed: Any = importlib.import_module("distributed")
        except ImportError:
            raise ConfigurationError(
                "--cluster needs dask.distributed: pip install 'medanon[cluster]'") from None
        self._cluster: Any = None
        if address.startswith("local:"):
            try:
                workers = int(address.split(":", 1)[1])
            except ValueError:
                raise ConfigurationError(f"--cluster {address}: expected local:N") from None
            self._cluster = distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=40)
            self._client = distributed.Client(self._cluster)
        else:
            try:
                self._client = distributed.Client(address, timeout="30s")
            except (OSError, TimeoutError) as exc:
                raise ConfigurationError(f"cannot reach the Dask scheduler at {address}: "
                                         f"{exc}") from None
        self._as_completed = distributed.as_completed
        workers_now = max(1, len(self._client.scheduler_info().get("workers", {})))
        self._limit = workers_now * IN_FLIGHT_PER_WORKER
        self._ctx = self._client.scatter(ctx, broadcast=True, hash=False)

    def run(self, tasks: Iterator[Task], on_finished: TaskCallback | None = None
            ) -> Iterator[tuple[Task, FileOutcome]]:
        """Submit tasks to the cluster, a bounded number at a time."""
        pending = self._as_completed()
        by_key: dict[str, Task] = {}
        for number, task in enumerate(tasks):
            while len(by_key) >= self._limit:
                yield self._next(pending, by_key)
            future = self._client.submit(
                _dask_work, str(task.path), str(task.read_from) if task.read_from else None,
                self._ctx, pure=False, key=f"medanon-file-{number}-{task.stamp.source_id}")
            by_key[str(future.key)] = task
            if on_finished is not None:
                future.add_done_callback(functools.partial(_call_with_task, on_finished, task))
            pending.add(future)
        while by_key:
            yield self._next(pending, by_key)

    @staticmethod
    def _next(pending: Any, by_key: dict[str, Task]) -> tuple[Task, FileOutcome]:
        future = next(pending)
        task = by_key.pop(str(future.key))
        return task, future.result()

    def close(self) -> None:
        """Disconnect (and stop a local cluster medanon started)."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(ctx: RunContext, workers: int, cluster: str | None) -> Executor:
    """Choose the executor: Dask when a cluster is named, else a pool, else this process."""
    if cluster:
        return DaskRunner(ctx, cluster)
    if workers <= 0:
        workers = os.cpu_count() or 1
    if workers == 1:
        return InProcessExecutor(ctx)
    return ProcessPoolRunner(ctx, workers)
