"""Verify a finished output, never one a run is still writing.

A run in progress adds and replaces files under OUT: checking it then would report
inputs as missing and outputs as unpaired that the run has simply not reached yet. When
OUT carries a medanon state folder, verify holds its lock (the run's own, re-entrant in
one process, so the report a run writes for itself can verify under it) and is refused
while another process holds it. A copy on read-only media cannot take the lock, and
nothing can be writing it either.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from medanon.errors import ConfigurationError
from medanon.runner.lock import StateFolderInUseError, StateLock
from medanon.runner.walk import STATE_DIR_NAME


@contextlib.contextmanager
def output_at_rest(out: Path) -> Iterator[None]:
    """Hold OUT's state folder while verifying it; refuse while a run is using it."""
    state = out / STATE_DIR_NAME
    lock = None
    if state.is_dir():
        try:
            lock = StateLock.acquire(state, str(out))
        except StateFolderInUseError:
            raise ConfigurationError("a medanon run is still writing OUT: verify it once the "
                                     "run has ended") from None
        except OSError:
            lock = None  # read-only media: no run can be writing it
    try:
        yield
    finally:
        if lock is not None:
            lock.release()
