"""Run the independent sub-problems of a pass on a Dask cluster.

The top levels of the partition tree run here, until there are enough open
partitions to keep every worker busy; each open partition is then a pure work item
(its encoded records and the shared context) solved by :func:`run_pass` on a worker.
A partition's fate depends only on its own records, so the leaves are exactly those
of the local run, and so are the published classes (numbered by first row).

The cluster is reached as every medanon part reaches one (:class:`medanon.cluster.Cluster`):
``local:N`` starts N local workers, ``tcp://host:port`` connects to a running scheduler.
"""

from __future__ import annotations

from types import TracebackType

from medanon.cluster import Cluster
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
        self._connection = Cluster(address, processes=processes)
        self._client = self._connection.client
        self.min_records = min_records
        self.tasks_per_worker = tasks_per_worker
        self.shipped = 0  # sub-problems sent to workers so far

    @property
    def workers(self) -> int:
        """Number of workers currently known to the scheduler."""
        return self._connection.workers

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
        self._connection.close()

    def __enter__(self) -> DaskRunner:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
