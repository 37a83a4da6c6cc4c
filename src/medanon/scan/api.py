"""``scan_folder``: the inventory of a collection, before anything is written.

walk (streaming) → read each header up to the pixel data → describe it
(:func:`medanon.scan.inspect.scan_file`) → fold into batch tallies in the workers →
merge. Nothing is written and nothing is printed: the caller decides what to keep.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from medanon.collection.patients import CANDIDATE_KEYWORDS
from medanon.custody.keys import SecretKey
from medanon.errors import ConfigurationError
from medanon.runner.lock import StateLock
from medanon.runner.manifest import InputStamp
from medanon.runner.walk import walk_files
from medanon.scan.pool import BATCH_FILES, scan_batches
from medanon.scan.record import ScanSettings
from medanon.scan.result import ScanResult
from medanon.scan.state import ScanState
from medanon.scan.tally import CollectionTally

ScanProgress = Callable[[CollectionTally], None]
CHECKPOINT_SECONDS = 5.0


def scan_folder(src: Path, key: SecretKey, *, workers: int = 0, collect_values: bool = False,
                on_progress: ScanProgress | None = None, batch_files: int = BATCH_FILES,
                state: Path | None = None, restart: bool = False,
                keywords: Sequence[str] = CANDIDATE_KEYWORDS,
                accept_no_meta: bool = False, census: bool = True) -> ScanResult:
    """Scan every file under ``src``: counts, formats, the attribute census, the patients.

    Parameters
    ----------
    src
        The collection's folder (searched recursively; medanon's own state folders skipped).
    key
        Names patients by the pseudonym ``medanon run`` with this key gives them.
    workers
        Worker processes; 0 means one per core, 1 scans in this process.
    collect_values
        Also keep every attribute's distinct decoded values (for ``--values``): personal
        data, held in memory until the caller writes it where a reviewer asked.
    on_progress
        Called with the tally so far after each batch of files.
    batch_files
        Files per batch sent to a worker (and between two progress calls).
    state
        A folder to keep the scan's state in, so that an interrupted scan resumes where it
        stopped (see :mod:`medanon.scan.state`); None keeps nothing.
    restart
        Forget the state an earlier scan left in ``state``.
    keywords
        The DICOM attributes of the patient table besides ``age`` and
        ``first_study_year`` (the candidate quasi-identifiers by default).
    accept_no_meta
        Read bare data sets (no preamble, no file meta) too, as ``medanon run
        --accept-no-meta`` does.
    census
        Take the attribute census; False keeps only the counts and the patient table (what
        a privacy run's first pass needs, at the cost of reading the headers alone).

    Raises
    ------
    ConfigurationError
        ``src`` is missing or not a folder (the message does not repeat the path), or the
        state belongs to another key, source or kind of scan, or a file counted in it has
        changed since.
    """
    if not src.exists():
        raise ConfigurationError("the source folder (SRC) does not exist")
    if not src.is_dir():
        raise ConfigurationError("the source (SRC) is not a folder")
    root = Path(os.path.realpath(src))
    workers = workers if workers > 0 else (os.cpu_count() or 1)
    settings = ScanSettings(root, key, collect_values, tuple(keywords), accept_no_meta, census)
    # A state folder is one process's at a time: a run or another scan using it is
    # refused, as a second run into the same output is.
    lock = None if state is None else _lock(state)
    try:
        store = None if state is None else ScanState(state, pinned_settings(settings),
                                                     restart=restart)
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    try:
        tally = (store.load() if store is not None else None) or CollectionTally()
        resumed = tally.files_done
        started = time.perf_counter()
        paths = walk_files(root, exclude=() if state is None else (state,))
        stamps: dict[str, InputStamp] = {}
        if store is not None:
            paths = _not_done(paths, settings, store, stamps)
        done: list[InputStamp] = []
        last_checkpoint = time.monotonic()
        try:
            for batch_paths, batch in scan_batches(paths, settings, workers,
                                                   batch_files=batch_files):
                tally.merge(batch)
                if store is not None:
                    done.extend(stamps.pop(p) for p in batch_paths)
                    if time.monotonic() - last_checkpoint > CHECKPOINT_SECONDS:
                        store.checkpoint(done, tally)
                        done, last_checkpoint = [], time.monotonic()
                if on_progress is not None:
                    on_progress(tally)
        finally:
            if store is not None and (done or tally.files_done == resumed == 0):
                store.checkpoint(done, tally)  # also when interrupted: what was merged
        return ScanResult(tally, time.perf_counter() - started, workers, key.fingerprint,
                          collect_values, resumed_files=resumed)
    finally:
        if store is not None:
            store.close()
        if lock is not None:
            lock.release()


def _lock(state: Path) -> StateLock:
    try:
        return StateLock.acquire(state, str(state))
    except OSError as exc:
        raise ConfigurationError(
            f"cannot write the scan's state folder ({exc.strerror or exc})") from None


def pinned_settings(settings: ScanSettings) -> dict[str, str]:
    """What a resumed scan must share with the first session (fingerprints only)."""
    key = settings.key
    return {"key_fingerprint": key.fingerprint,
            "source_folder_fingerprint": key.digest("source-root",
                                                    str(settings.src_root)).hex()[:16],
            "values_collected": str(settings.collect_values).lower(),
            "patient_keywords": ",".join(settings.keywords),
            "accept_no_meta": str(settings.accept_no_meta).lower(),
            "attribute_census": str(settings.census).lower()}


def source_id(key: SecretKey, root: Path, path: Path) -> str:
    """The keyed hash of a file's relative path: the same as the run's manifest uses."""
    relative = os.fsencode(os.path.relpath(path, root))
    return key.digest("source-path", relative).hex()[:20]


def _not_done(paths: Iterator[Path], settings: ScanSettings, store: ScanState,
              stamps: dict[str, InputStamp]) -> Iterator[Path]:
    """The paths an earlier session did not count; each one's stamp kept until it is."""
    for path in paths:
        try:
            info = path.stat()
        except OSError:
            info = None
        stamp = InputStamp(source_id(settings.key, settings.src_root, path),
                           info.st_size if info else -1, info.st_mtime_ns if info else -1)
        if not store.is_done(stamp):
            stamps[str(path)] = stamp
            yield path
