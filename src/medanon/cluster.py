"""One way to reach a Dask cluster, for every part of medanon that runs on one.

``local:N`` starts a :class:`distributed.LocalCluster` of N single-threaded worker
processes; any other address (``tcp://host:port``) connects to a running scheduler. The
DICOM runner (:class:`medanon.runner.executors.DaskRunner`) and the table engine
(:class:`medanon.privacy.cluster.DaskRunner`) both hold a :class:`Cluster` and differ
only in what they send to it.
"""

from __future__ import annotations

import importlib
from typing import Any

from medanon.errors import ConfigurationError


class Cluster:
    """A client of a Dask scheduler, and the local cluster behind it when medanon started it."""

    def __init__(self, address: str, *, processes: bool = True) -> None:
        try:
            self.distributed: Any = importlib.import_module("distributed")
        except ImportError:  # pragma: no cover - dask is an optional extra
            raise ConfigurationError(
                "--cluster needs dask.distributed: pip install 'medanon[cluster]'") from None
        self._local: Any = None
        if address.startswith("local:"):
            try:
                workers = int(address.split(":", 1)[1])
            except ValueError:
                raise ConfigurationError(
                    f"--cluster {address!r}: expected local:N with N workers") from None
            if workers < 1:
                raise ConfigurationError("--cluster local:N needs at least one worker")
            self._local = self.distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=processes,
                dashboard_address=None, silence_logs=40)
            self.client: Any = self.distributed.Client(self._local)
        else:
            try:
                self.client = self.distributed.Client(address, timeout="30s")
            except (OSError, TimeoutError) as exc:
                raise ConfigurationError(
                    f"cannot reach the Dask scheduler at {address}: {exc}") from None

    @property
    def workers(self) -> int:
        """Number of workers the scheduler knows now (at least 1)."""
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def close(self) -> None:
        """Disconnect, and stop the local cluster if medanon started it."""
        self.client.close()
        if self._local is not None:
            self._local.close()
