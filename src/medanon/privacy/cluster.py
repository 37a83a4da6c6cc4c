"""Run the independent sub-problems of a pass on a Dask cluster.

The top levels of the partition tree run here, until there are enough open
partitions to keep every worker busy; each open partition is then a pure work item
(its encoded records and the shared context) solved by :func:`run_pass` on a worker.
A partition's fate depends only on its own records, so the leaves are exactly those
of the local run, and so are the published classes (numbered by first row).

``local:N`` starts a :class:`distributed.LocalCluster` of N worker processes;
``tcp://host:port`` (or any Dask scheduler address) connects to a running cluster.
"""

from __future__ import annotations

import importlib
from types import TracebackType
from typing import Any

from medanon.errors import ConfigurationError
from medanon.privacy.partition import Context, PassOutput, SubProblem, run_pass

# Passes smaller than this run in-process: shipping them would cost more than solving.
DEFAULT_MIN_RECORDS = 200_000


def _solve(problem: SubProblem, ctx: Context) -> PassOutput:
    output, _ = run_pass(problem, ctx)
    return output


class DaskRunner:
    """A pass runner that farms the sub-problems below the top levels out to Dask.

    Use as a context manager; a cluster it started is closed on exit.
    """

    def __init__(self, address: str, *, min_records: int = DEFAULT_MIN_RECORDS,
                 processes: bool = True, tasks_per_worker: int = 4) -> None:
        try:
            distributed: Any = importlib.import_module("distributed")
        except ImportError:  # pragma: no cover - dask is an optional extra
            raise ConfigurationError(
                "--cluster needs Dask: install medanon[cluster]") from None
        self._cluster: Any = None
        if address.startswith("local:"):
            try:
                workers = int(address.split(":", 1)[1])
            except ValueError:
                raise ConfigurationError(
                    f"--cluster {address!r}: expected local:N with N workers") from None
            if workers < 1:
                raise ConfigurationError("--cluster local:N needs at least one worker")
            self._cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                         processes=processes, dashboard_address=None)
            self._client: Any = distributed.Client(self._cluster)
        else:
            try:
                self._client = distributed.Client(address, timeout="10s")
            except OSError as exc:
                raise ConfigurationError(
                    f"cannot reach the Dask scheduler at {address}: {exc}") from None
        self.min_records = min_records
        self.tasks_per_worker = tasks_per_worker
        self.shipped = 0  # sub-problems sent to workers so far

    @property
    def workers(self) -> int:
        """Number of workers currently known to the scheduler."""
        return max(1, len(self._client.scheduler_info().get("workers", {})))

    def __call__(self, problem: SubProblem, ctx: Context) -> PassOutput:
        """Run one pass: top levels here, independent partitions on the cluster."""
        if problem.size < self.min_records:
            return _solve(problem, ctx)
        target = max(2, self.tasks_per_worker * self.workers)
        top, pending = run_pass(problem, ctx, split_until=target)
        if not pending:
            return top
        self.shipped += len(pending)
        shared = self._client.scatter(ctx, broadcast=True)
        problems = self._client.scatter(pending)  # data go to workers, not into the graph
        futures = self._client.map(_solve, problems, ctx=shared, pure=False)
        results: list[PassOutput] = self._client.gather(futures)
        return PassOutput.combine([top, *results])

    def close(self) -> None:
        """Disconnect, and stop a cluster this runner started."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self) -> DaskRunner:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
