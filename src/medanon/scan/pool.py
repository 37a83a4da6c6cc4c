"""Scan files on every core: batches of paths out, sealed tallies back, a bounded few at once.

The run's pool (``runner/executors.py``) is built around ``process_file`` and one
outcome per file; a scan wants the opposite shape, a tally per batch folded in the
worker so that only counts and digests cross the pipe. So this is a plain
``ProcessPoolExecutor`` fed from the streaming walk, with at most ``IN_FLIGHT_PER_WORKER``
batches per worker waiting: memory stays flat however many files the tree holds.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from medanon.errors import MedanonError
from medanon.scan.record import ScanSettings
from medanon.scan.tally import BatchTally, SealedBatch

BATCH_FILES = 64
IN_FLIGHT_PER_WORKER = 3
WORKER_MODULE = "medanon.scan.inspect"


class ScanWorkerLostError(MedanonError):
    """A scan worker stopped without finishing its files (killed, out of memory)."""


def scan_batch(paths: list[str], settings: ScanSettings) -> SealedBatch:
    """Scan a batch of files into one sealed tally (what a worker runs)."""
    from medanon.scan.inspect import scan_file

    tally = BatchTally()
    for path in paths:
        tally.add(scan_file(Path(path), settings))
    return tally.seal()


def _finished(pending: dict[Future[SealedBatch], list[str]]) -> Iterator[Done]:
    """Wait for at least one batch; yield every finished one, forgetting it."""
    done, _ = wait(pending, return_when=FIRST_COMPLETED)
    for future in done:
        yield pending.pop(future), future.result()


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator decides when to stop


def _batches(paths: Iterator[Path], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for path in paths:
        batch.append(str(path))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


Done = tuple[list[str], SealedBatch]  # a batch's paths, and their sealed tally


def scan_batches(paths: Iterator[Path], settings: ScanSettings, workers: int, *,
                 batch_files: int = BATCH_FILES) -> Iterator[Done]:
    """Scan every path, yielding each batch's paths and tally as it finishes (any order)."""
    if workers <= 1:
        for batch in _batches(paths, batch_files):
            yield batch, scan_batch(batch, settings)
        return
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() \
        else "spawn"
    context: Any = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload([WORKER_MODULE])  # loaded once, not per worker
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_ignore_interrupts)
    pending: dict[Future[SealedBatch], list[str]] = {}
    try:
        for batch in _batches(paths, batch_files):
            while len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                yield from _finished(pending)
            pending[pool.submit(scan_batch, batch, settings)] = batch
        while pending:
            yield from _finished(pending)
    except BrokenProcessPool:
        raise ScanWorkerLostError("a scan worker process stopped unexpectedly; "
                                  "rerun the scan") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
