"""One run per state folder: an advisory lock that the kernel releases when the holder dies.

Two runs into the same output would each take the other's fresh outputs for leftovers of
an interrupted run and remove them, and each would claim files the other wrote. The lock
is ``flock(2)`` on a file in the state folder, not a marker file: it lasts exactly as long
as the process that holds it, so a run stopped by ``kill -9`` or a power cut never leaves
a stale lock behind, and a later run (or ``medanon status``) can tell an interrupted run
from one that is still going.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

from medanon.errors import ConfigurationError

LOCK_NAME = "lock"


class StateFolderInUseError(ConfigurationError):
    """Another medanon process holds the state folder's lock."""


class StateLock:
    """The exclusive lock on one state folder, held from :meth:`acquire` to :meth:`release`."""

    def __init__(self, descriptor: int) -> None:
        self._descriptor: int | None = descriptor

    @classmethod
    def acquire(cls, state_dir: Path, label: str) -> StateLock:
        """Take the lock at once or raise :class:`StateFolderInUseError` (never wait).

        ``label`` names what is locked in the error (the output folder, as the user gave
        it). The state folder is created if needed; nothing else is touched, so a run that
        is refused changes nothing. OSError propagates when the folder cannot be written.
        """
        state_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(state_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise StateFolderInUseError(
                f"another medanon run is using {label}: wait for it to end, or stop it "
                "(then rerun the same command to resume)") from None
        except BaseException:
            os.close(descriptor)
            raise
        return cls(descriptor)

    def release(self) -> None:
        """Release the lock (closing the file releases it; calling twice is harmless)."""
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None

    def __enter__(self) -> StateLock:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release()


def is_locked(state_dir: Path) -> bool:
    """True while some process holds ``state_dir``'s lock (a run, scan or verify is going).

    Asks without creating anything: a state folder without a lock file has no holder.
    """
    try:
        descriptor = os.open(state_dir / LOCK_NAME, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        with contextlib.suppress(OSError):
            os.close(descriptor)
    return False
