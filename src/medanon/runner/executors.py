"""Where files are processed: in this process, in a local process pool, or on Dask.

Every executor runs the same pure per-file function, :func:`process_file`, with the same
frozen :class:`RunContext` (sent to each worker once, not per file), so the output is
byte for byte the same whichever one runs. Each executor takes a stream of tasks and
yields ``(task, outcome)`` as files finish, keeping only a bounded number in flight, so
memory stays flat however many files the source holds.

The coordinating process never loads the DICOM machinery when workers do the work: it
walks, keeps the manifest and reports, and that is all it should spend a core on.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import queue
import signal
import threading
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Protocol

from medanon.cluster import Cluster
from medanon.errors import MedanonError
from medanon.runner.context import RunContext
from medanon.runner.outcome import FileOutcome
from medanon.runner.tasks import Task

IN_FLIGHT_PER_WORKER = 4
BATCH_FILES = 16  # files per round trip to a pool worker
BATCHES_PER_WORKER = 2  # queued at each worker, so it never waits for its next batch
WORKER_MODULE = "medanon.runner.process"  # what a pool worker needs loaded

TaskCallback = Callable[[Task], None]


class WorkerLostError(MedanonError):
    """A worker process stopped without finishing its files (killed, out of memory)."""


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


def _process_file(path: str, ctx: RunContext, read_from: str | None) -> FileOutcome:
    from medanon.runner.process import process_file  # the DICOM machinery, where work runs

    return process_file(Path(path), ctx, Path(read_from) if read_from else None)


class InProcessExecutor:
    """One worker: the files are processed right here, in order, with no pool overhead."""

    def __init__(self, ctx: RunContext) -> None:
        from medanon.runner.process import process_file

        self._ctx = ctx
        self._process_file = process_file

    def run(self, tasks: Iterator[Task], on_finished: TaskCallback | None = None
            ) -> Iterator[tuple[Task, FileOutcome]]:
        """Process every task, one after the other."""
        for task in tasks:
            outcome = self._process_file(task.path, self._ctx, task.read_from)
            if on_finished is not None:
                on_finished(task)
            yield task, outcome

    def close(self) -> None:
        """Nothing to release."""


def _pool_worker(tasks: Connection, results: Connection, ctx: RunContext) -> None:
    """A pool worker's life: receive a batch, process it, send the outcomes back.

    An error of the run itself (the output disk is full) ends the batch early; the
    outcomes of the files finished before it are sent with the error, because those
    files are written and must be recorded.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator decides when to stop
    from medanon.runner.process import process_file

    while True:
        try:
            message = tasks.recv()
        except EOFError:
            return
        if message is None:
            return
        batch_number, items = message
        outcomes: list[FileOutcome] = []
        error: BaseException | None = None
        try:
            for path, read_from in items:
                outcomes.append(process_file(Path(path), ctx,
                                             Path(read_from) if read_from else None))
        except Exception as exc:  # handed to the coordinator, which stops the run
            error = exc if isinstance(exc, OSError) else MedanonError(
                f"a worker failed ({type(exc).__name__})")
        results.send((batch_number, outcomes, error))


class _Worker:
    """One pool process, the pipe that feeds it and the thread that hears back from it."""

    def __init__(self, process: BaseProcess, tasks: Connection, results: Connection) -> None:
        self.process = process
        self.tasks = tasks
        self.results = results
        self.batches = 0  # sent and not yet answered
        self.listener: threading.Thread | None = None

    def listen(self, replies: queue.SimpleQueue[tuple[_Worker, Any]],
               on_reply: Callable[[int], None]) -> None:
        """Forward every reply to the coordinator; a closed pipe means the worker died."""
        while True:
            try:
                reply = self.results.recv()
            except (EOFError, OSError):
                replies.put((self, None))
                return
            on_reply(reply[0])
            replies.put((self, reply))


def _lost(worker: _Worker) -> WorkerLostError:
    worker.process.join(timeout=1)  # its exit code, once it is reaped
    return WorkerLostError(
        f"a worker process stopped unexpectedly (exit code {worker.process.exitcode}); what "
        "was finished is recorded: rerun the same command to resume")


class ProcessPoolRunner:
    """N worker processes on this machine, each fed batches of files through a pipe.

    A batch costs the coordinator one round trip instead of one per file, and each worker
    holds a second batch while it works on the first, so it never waits for work. With
    staging, batches are single files: a staged file waiting in an unsent batch would hold
    budget that the files still to be staged need.
    """

    def __init__(self, ctx: RunContext, workers: int, batch_files: int = BATCH_FILES) -> None:
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() \
            else "spawn"
        context: Any = multiprocessing.get_context(method)
        if method == "forkserver":
            context.set_forkserver_preload([WORKER_MODULE])  # loaded once, not per worker
        self._batch_files = max(1, batch_files)
        self._replies: queue.SimpleQueue[tuple[_Worker, Any]] = queue.SimpleQueue()
        self._in_flight: dict[int, list[Task]] = {}
        self._on_finished: TaskCallback | None = None
        self._workers: list[_Worker] = []
        for number in range(workers):
            task_reader, task_writer = context.Pipe(duplex=False)
            result_reader, result_writer = context.Pipe(duplex=False)
            process = context.Process(target=_pool_worker, name=f"medanon-worker-{number}",
                                      args=(task_reader, result_writer, ctx), daemon=True)
            process.start()
            task_reader.close()
            result_writer.close()
            worker = _Worker(process, task_writer, result_reader)
            worker.listener = threading.Thread(
                target=worker.listen, args=(self._replies, self._finished),
                name=f"medanon-listen-{number}", daemon=True)
            worker.listener.start()
            self._workers.append(worker)

    def _finished(self, batch_number: int) -> None:
        """In a listener thread: free what each finished file holds (its staged copy)."""
        if self._on_finished is not None:
            for task in self._in_flight.get(batch_number, ()):
                self._on_finished(task)

    def run(self, tasks: Iterator[Task], on_finished: TaskCallback | None = None
            ) -> Iterator[tuple[Task, FileOutcome]]:
        """Send the tasks out in batches to the least busy worker; yield outcomes as they come."""
        self._on_finished = on_finished
        batch: list[Task] = []
        number = 0
        for task in tasks:
            batch.append(task)
            if len(batch) < self._batch_files:
                continue
            yield from self._send(number, batch)
            number, batch = number + 1, []
        if batch:
            yield from self._send(number, batch)
        while self._in_flight:
            yield from self._receive()

    def _send(self, number: int, batch: list[Task]) -> Iterator[tuple[Task, FileOutcome]]:
        while min(w.batches for w in self._workers) >= BATCHES_PER_WORKER:
            yield from self._receive()
        worker = min(self._workers, key=lambda w: w.batches)
        self._in_flight[number] = batch
        worker.batches += 1
        try:
            worker.tasks.send((number, [(str(t.path), str(t.read_from) if t.read_from else None)
                                        for t in batch]))
        except OSError:  # its end of the pipe is gone: the worker died
            raise _lost(worker) from None


    def _receive(self) -> Iterator[tuple[Task, FileOutcome]]:
        worker, reply = self._replies.get()
        if reply is None:
            raise _lost(worker)
        batch_number, outcomes, error = reply
        worker.batches -= 1
        tasks = self._in_flight.pop(batch_number)
        yield from zip(tasks, outcomes, strict=False)
        if error is not None:
            raise error

    def close(self) -> None:
        """Stop the workers: at once when the run is aborting, else once they are idle."""
        aborting = bool(self._in_flight)
        for worker in self._workers:
            if aborting:
                worker.process.terminate()
            else:
                try:
                    worker.tasks.send(None)
                except OSError:
                    worker.process.terminate()
        for worker in self._workers:
            worker.process.join()
            # The worker is gone, so its listener reads the end of the pipe and returns;
            # closing the pipe under a listener still reading would fail in its thread.
            if worker.listener is not None:
                worker.listener.join(timeout=5)
            worker.tasks.close()
            worker.results.close()


class DaskRunner:
    """The same work on a dask.distributed cluster (``tcp://host:port``) or ``local:N``.

    Workers must see SRC and DST at the same paths (a shared file system) and have medanon
    installed. The context (recipe, key, plan) is scattered to every worker once.
    """

    def __init__(self, ctx: RunContext, address: str) -> None:
        self._connection = Cluster(address)
        self._client = self._connection.client
        self._as_completed = self._connection.distributed.as_completed
        self._limit = self._connection.workers * IN_FLIGHT_PER_WORKER
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
                _process_file, str(task.path), self._ctx,
                str(task.read_from) if task.read_from else None, pure=False,
                key=f"medanon-file-{number}-{task.stamp.source_id}")
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
        self._connection.close()


def make_executor(ctx: RunContext, workers: int, cluster: str | None, *,
                  batch_files: int = BATCH_FILES) -> Executor:
    """Choose the executor: Dask when a cluster is named, else a pool, else this process."""
    if cluster:
        return DaskRunner(ctx, cluster)
    if workers <= 0:
        workers = os.cpu_count() or 1
    if workers == 1:
        return InProcessExecutor(ctx)
    return ProcessPoolRunner(ctx, workers, batch_files)
