"""Pass 1 of a privacy run: read every header (never pixels) into per-file rows.

The patient table needs every patient before any file is written, so this pass walks
the whole source first. It reads headers only (:func:`medanon.dicom.read.read_instance`
stops before Pixel Data) on every worker; files that cannot be read are counted, never
fatal (pass 2 lists them with their reason, as any run does).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medanon.collection.patients import FileRow, file_row
from medanon.custody.keys import SecretKey

CHUNK_FILES = 128


@dataclass(frozen=True)
class HeaderScan:
    """Rows of the readable instances, and how many files were not (or were not instances)."""

    rows: tuple[FileRow, ...]
    files: int
    unreadable: int


def read_rows(paths: Sequence[str], key: SecretKey, keywords: Sequence[str],
              accept_no_meta: bool = False) -> tuple[list[FileRow], int]:
    """The rows of ``paths`` and the number of files that are not readable instances."""
    from medanon.dicom.quiet import quiet_pydicom
    from medanon.dicom.read import read_instance
    from medanon.errors import InputError

    rows: list[FileRow] = []
    unreadable = 0
    with quiet_pydicom():
        for path in paths:
            try:
                instance = read_instance(Path(path), accept_no_meta=accept_no_meta)
            except InputError:
                unreadable += 1
                continue
            if instance.is_dicomdir:
                unreadable += 1
                continue
            rows.append(file_row(instance.dataset, key, keywords))
    return rows, unreadable


def _chunks(paths: Iterator[Path]) -> Iterator[list[str]]:
    chunk: list[str] = []
    for path in paths:
        chunk.append(str(path))
        if len(chunk) == CHUNK_FILES:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def scan_headers(src: Path, exclude: tuple[Path, ...], key: SecretKey,
                 keywords: Sequence[str], workers: int = 0, *, accept_no_meta: bool = False
                 ) -> HeaderScan:
    """Read every header under ``src`` (``workers`` processes; 0: one per core).

    ``accept_no_meta`` reads bare data sets too, as the run's pass 2 will.
    """
    from medanon.runner.walk import walk_files

    rows: list[FileRow] = []
    files = unreadable = 0
    chunks = _chunks(walk_files(src, exclude=exclude))
    for chunk_rows, bad in _results(chunks, key, tuple(keywords), workers or os.cpu_count() or 1,
                                    accept_no_meta):
        rows.extend(chunk_rows)
        files += len(chunk_rows) + bad
        unreadable += bad
    return HeaderScan(tuple(rows), files, unreadable)


def _results(chunks: Iterator[list[str]], key: SecretKey, keywords: tuple[str, ...],
             workers: int, accept_no_meta: bool) -> Iterator[tuple[list[FileRow], int]]:
    if workers == 1:
        for chunk in chunks:
            yield read_rows(chunk, key, keywords, accept_no_meta)
        return
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() \
        else "spawn"
    context: Any = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from pool.map(read_rows, chunks, itertools.repeat(key),
                            itertools.repeat(keywords), itertools.repeat(accept_no_meta))
