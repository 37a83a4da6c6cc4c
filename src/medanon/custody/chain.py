"""The audit log's hash chain: how an entry is encoded, sealed, appended and read back.

Each entry is one line of canonical JSON (sorted keys, no spaces, UTF-8). It carries its
line number ``n``, the hash of the entry before it (``prev``; 64 zeros for the first)
and its own ``hash``: SHA-256 of the entry's canonical JSON without ``hash`` and
``signature``. Changing one byte breaks that entry's own hash; deleting, inserting or
moving a line breaks the next entry's ``prev`` or ``n``. A chain alone can be rewritten
whole by whoever can write the folder, so the head (the last entry's hash) is also
printed, named in the report and, optionally, signed (:mod:`medanon.custody.signing`).

Appending is one ``write`` per entry on a file opened ``O_APPEND``; :meth:`ChainWriter.sync`
makes everything written so far durable (the runner calls it before the manifest records
the files those entries describe).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medanon.errors import ConfigurationError

GENESIS = "0" * 64
UNSEALED_FIELDS = ("hash", "signature")
TAIL_BYTES = 64 * 1024  # enough for the last entry: a run-start entry holds the recipe


def canonical(entry: dict[str, Any]) -> bytes:
    """The one byte form of an entry that hashes and lines are made of."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def entry_hash(entry: dict[str, Any]) -> str:
    """SHA-256 of the entry without its own hash and signature."""
    body = {name: value for name, value in entry.items() if name not in UNSEALED_FIELDS}
    return hashlib.sha256(canonical(body)).hexdigest()


@dataclass(frozen=True)
class ChainHead:
    """Where a chain ends: the next line number and the hash the next entry must carry."""

    next_line: int = 1
    hash: str = GENESIS


class ChainWriter:
    """Appends sealed entries to one log file; a single writer (the coordinator) owns it."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.dropped_tail = _drop_torn_tail(self._fd, path)
        self.head = read_head(path)

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Seal ``entry`` (line number, predecessor, own hash), write it; return it sealed."""
        return self.append_sealed(self.seal(entry))

    def append_sealed(self, sealed: dict[str, Any]) -> dict[str, Any]:
        """Write an entry already sealed by :meth:`seal` (and perhaps signed since)."""
        line = canonical(sealed) + b"\n"
        size = os.fstat(self._fd).st_size
        try:
            os.write(self._fd, line)
        finally:
            # Decided by what reached the file, not by what os.write returned: a Ctrl-C
            # can land between the two. A whole line joins the chain; part of one is cut.
            reached = os.fstat(self._fd).st_size - size
            if reached == len(line):
                self.head = ChainHead(self.head.next_line + 1, str(sealed["hash"]))
            elif reached:
                os.ftruncate(self._fd, size)
        if reached != len(line):  # a full disk mid-line
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return sealed

    def seal(self, entry: dict[str, Any]) -> dict[str, Any]:
        """The entry as :meth:`append` would write it next, without writing it."""
        sealed = {**entry, "n": self.head.next_line, "prev": self.head.hash}
        sealed["hash"] = entry_hash(sealed)
        return sealed

    def sync(self) -> None:
        """Make every entry written so far durable."""
        os.fsync(self._fd)

    def close(self) -> None:
        """Sync and close the file."""
        try:
            self.sync()
        finally:
            os.close(self._fd)


def _drop_torn_tail(fd: int, path: Path) -> int:
    """Cut a last line that a crash left half written; return how many bytes were cut.

    Such a line was never synced, so the manifest never recorded what it describes: the
    files are processed again and get whole entries. The cut is itself logged by the
    recorder (``recovered`` entry), so it is visible, not silent.
    """
    size = os.fstat(fd).st_size
    if size == 0:
        return 0
    with open(path, "rb") as handle:
        start = max(0, size - TAIL_BYTES)
        while True:
            handle.seek(start)
            tail = handle.read(size - start)
            if tail.endswith(b"\n"):
                return 0
            cut = tail.rfind(b"\n")
            if cut >= 0 or start == 0:
                keep = start + cut + 1
                break
            start = max(0, start - TAIL_BYTES)
    os.ftruncate(fd, keep)
    os.fsync(fd)
    return size - keep


def read_head(path: Path) -> ChainHead:
    """The head of the chain in ``path`` from its last line (without reading it all)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return ChainHead()
    if size == 0:
        return ChainHead()
    with open(path, "rb") as handle:
        start = max(0, size - TAIL_BYTES)
        while True:
            handle.seek(start)
            tail = handle.read(size - start).rstrip(b"\n")
            cut = tail.rfind(b"\n")
            if cut >= 0 or start == 0:
                last = tail[cut + 1:]
                break
            start = max(0, start - TAIL_BYTES)
    try:
        entry = json.loads(last)
        return ChainHead(int(entry["n"]) + 1, str(entry["hash"]))
    except (ValueError, KeyError, TypeError):
        raise ConfigurationError(
            f"the audit log {path} ends with an entry that is not valid; check it with "
            "'medanon audit verify' before running into this folder again") from None


def iter_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Every line of the log with its 1-based number (a torn last line included as read)."""
    with open(path, "rb") as handle:
        yield from enumerate(handle, start=1)
