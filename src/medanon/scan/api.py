"""``scan_folder``: the inventory of a collection, before anything is written.

walk (streaming) → read each header up to the pixel data → describe it
(:func:`medanon.scan.inspect.scan_file`) → fold into batch tallies in the workers →
merge. Nothing is written and nothing is printed: the caller decides what to keep.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from medanon.custody.keys import SecretKey
from medanon.errors import ConfigurationError
from medanon.runner.walk import walk_files
from medanon.scan.pool import BATCH_FILES, scan_batches
from medanon.scan.record import ScanSettings
from medanon.scan.result import ScanResult
from medanon.scan.tally import CollectionTally

ScanProgress = Callable[[CollectionTally], None]


def scan_folder(src: Path, key: SecretKey, *, workers: int = 0, collect_values: bool = False,
                on_progress: ScanProgress | None = None,
                batch_files: int = BATCH_FILES) -> ScanResult:
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

    Raises
    ------
    ConfigurationError
        ``src`` is missing or not a folder (the message does not repeat the path).
    """
    if not src.exists():
        raise ConfigurationError("the source folder (SRC) does not exist")
    if not src.is_dir():
        raise ConfigurationError("the source (SRC) is not a folder")
    root = Path(os.path.realpath(src))
    workers = workers if workers > 0 else (os.cpu_count() or 1)
    settings = ScanSettings(root, key, collect_values)
    tally = CollectionTally()
    started = time.perf_counter()
    for batch in scan_batches(walk_files(root), settings, workers, batch_files=batch_files):
        tally.merge(batch)
        if on_progress is not None:
            on_progress(tally)
    return ScanResult(tally, time.perf_counter() - started, workers, key.fingerprint,
                      collect_values)
