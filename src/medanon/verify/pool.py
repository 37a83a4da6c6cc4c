"""Run the verifier's per-file work on worker processes, in batches, with progress.

The scan context (the source index, which can be large) is handed to each worker once,
at start; batches of paths go out and results come back in any order. One worker runs
in this process, without a pool.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, TypeVar

from medanon.verify.quiet import quiet_pydicom

Item = TypeVar("Item")
Result = TypeVar("Result")
BATCH = 16

_state: dict[str, Any] = {}  # the one worker-side slot: the context given at start


def _start_worker(context: Any) -> None:
    _state["context"] = context


def _run_batch(work: Callable[[Any, Any], Any], batch: list[Any]) -> list[Any]:
    with quiet_pydicom():
        return [work(item, _state["context"]) for item in batch]


def worker_count(requested: int) -> int:
    """0 means one per core."""
    return requested if requested > 0 else max(1, os.cpu_count() or 1)


def run_parallel(work: Callable[[Item, Any], Result], items: Iterable[Item], context: Any,
                 workers: int, on_result: Callable[[Result], None] | None = None
                 ) -> Iterator[Result]:
    """``work(item, context)`` for every item; results as they come."""
    count = worker_count(workers)
    if count == 1:
        for item in items:
            with quiet_pydicom():
                result = work(item, context)
            if on_result is not None:
                on_result(result)
            yield result
        return
    with ProcessPoolExecutor(max_workers=count, initializer=_start_worker,
                             initargs=(context,)) as pool:
        pending: set[Future[list[Result]]] = set()
        batch: list[Item] = []
        source = iter(items)
        exhausted = False
        while not exhausted or pending:
            while not exhausted and len(pending) < 4 * count:
                try:
                    batch.append(next(source))
                except StopIteration:
                    exhausted = True
                if len(batch) >= BATCH or (exhausted and batch):
                    pending.add(pool.submit(_run_batch, work, batch))
                    batch = []
            if not pending:
                break
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                for result in future.result():
                    if on_result is not None:
                        on_result(result)
                    yield result
