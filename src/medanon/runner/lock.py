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
    """The exclusive lock on one state folder, held from :meth:`acquire` to :meth:`release`.

    Re-entrant within one process: a privacy run holds its state folder through both
    passes and the release, and the folder run inside it takes the same lock again; the
    descriptor is closed (and the kernel lock released) when the outermost holder
    releases. Another process is refused at once.
    """

    _held: dict[str, list[int]] = {}  # real path of the lock file -> [descriptor, holders]

    def __init__(self, lock_path: str) -> None:
        self._lock_path: str | None = lock_path

    @classmethod
    def acquire(cls, state_dir: Path, label: str) -> StateLock:
        """Take the lock at once or raise :class:`StateFolderInUseError` (never wait).

        ``label`` names what is locked in the error (the output folder, as the user gave
        it). The state folder is created if needed; nothing else is touched, so a run that
        is refused changes nothing. OSError propagates when the folder cannot be written.
        """
        state_dir.mkdir(parents=True, exist_ok=True)
        lock_path = os.path.realpath(state_dir / LOCK_NAME)
        held = cls._held.get(lock_path)
        if held is not None:
            held[1] += 1
            return cls(lock_path)
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
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
        cls._held[lock_path] = [descriptor, 1]
        return cls(lock_path)

    def release(self) -> None:
        """Release this hold (the last one closes the file; calling twice is harmless)."""
        if self._lock_path is None:
            return
        held = self._held.get(self._lock_path)
        if held is not None:
            held[1] -= 1
            if held[1] == 0:
                del self._held[self._lock_path]
                os.close(held[0])
        self._lock_path = None

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
