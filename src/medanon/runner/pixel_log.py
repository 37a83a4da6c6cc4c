"""The pixel step's per-file record, kept in the run manifest beside the file's row.

Shape, in ``<state>/manifest.sqlite`` (``<output>/.medanon`` unless ``--state`` moved it):

* ``pixel_files(source_id, frames_searched, clean_pixel_data)``: one row per input whose
  pixels the burned-in text step decoded and cleaned;
* ``pixel_boxes(source_id, plane, frame, x0, y0, x1, y1)``: one row per rectangle blanked,
  margin included (x0, y0 inclusive, x1, y1 exclusive); ``plane`` 0 is the image, an
  overlay's box has its group (0x6000 to 0x601E); ``frame`` counts from 0.

Coordinates only, never text or pixel values. Rows are written in the same transaction
as the file's own row (:meth:`medanon.runner.manifest.Manifest.commit`), so a resumed run
keeps them true, and a file's earlier rows are replaced when it is done again. Read back
with :func:`read_pixel_records` (per output file) or :func:`pixel_totals` (the report).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from medanon.pixels.record import BlankedBox, PixelRecord
from medanon.runner.outcome import FileOutcome, Status
from medanon.runner.walk import STATE_DIR_NAME

SCHEMA = """
CREATE TABLE IF NOT EXISTS pixel_files (
    source_id TEXT PRIMARY KEY,
    frames_searched INTEGER NOT NULL,
    clean_pixel_data INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pixel_boxes (
    source_id TEXT NOT NULL,
    plane INTEGER NOT NULL,
    frame INTEGER NOT NULL,
    x0 INTEGER NOT NULL,
    y0 INTEGER NOT NULL,
    x1 INTEGER NOT NULL,
    y1 INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS pixel_boxes_source ON pixel_boxes(source_id);
"""

_WRITTEN = (Status.WRITTEN.value, Status.DUPLICATE.value)


def store(db: sqlite3.Connection, outcomes: Sequence[FileOutcome]) -> None:
    """Replace the pixel rows of ``outcomes``' inputs (inside the caller's transaction)."""
    ids = [(o.source_id,) for o in outcomes]
    db.executemany("DELETE FROM pixel_files WHERE source_id = ?", ids)
    db.executemany("DELETE FROM pixel_boxes WHERE source_id = ?", ids)
    db.executemany(
        "INSERT INTO pixel_files(source_id, frames_searched, clean_pixel_data) VALUES (?, ?, ?)",
        [(o.source_id, o.pixels.frames_searched, int(o.pixels.clean_pixel_data))
         for o in outcomes if o.pixels is not None])
    db.executemany(
        "INSERT INTO pixel_boxes(source_id, plane, frame, x0, y0, x1, y1)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(o.source_id, b.plane, b.frame, b.x0, b.y0, b.x1, b.y1)
         for o in outcomes if o.pixels is not None for b in o.pixels.boxes])


def pixel_totals(db: sqlite3.Connection) -> dict[str, int]:
    """Files cleaned, boxes blanked and frames searched over the files the run wrote.

    ``files_cleaned`` counts files whose image was cleaned (the Clean Pixel Data code);
    boxes and frames count every file the pixel step ran on (overlay planes included).
    """
    files, cleaned, frames = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(p.clean_pixel_data), 0),"
        " COALESCE(SUM(p.frames_searched), 0) FROM pixel_files p"
        " JOIN files f ON f.source_id = p.source_id AND f.status IN (?, ?)",
        _WRITTEN).fetchone()
    boxes = db.execute(
        "SELECT COUNT(*) FROM pixel_boxes b"
        " JOIN files f ON f.source_id = b.source_id AND f.status IN (?, ?)",
        _WRITTEN).fetchone()[0]
    return {"files_cleaned": int(cleaned), "boxes_blanked": int(boxes),
            "frames_searched": int(frames), "files_with_pixel_step": int(files)}


def read_pixel_records(output: Path, state_dir: Path | None = None) -> dict[str, PixelRecord]:
    """Per output file (its path relative to ``output``, with ``/``), what the step did.

    ``state_dir`` is the run's state folder when it is not ``output/.medanon``. Only files
    the run wrote are listed (a withheld file has no output); a folder with no manifest,
    or one from before this record existed, gives an empty mapping. Read only: safe while
    a run is going (it then shows the files recorded so far).
    """
    from medanon.runner.manifest import MANIFEST_NAME  # the manifest imports this module

    path = (state_dir or output / STATE_DIR_NAME) / MANIFEST_NAME
    if not path.is_file():
        return {}
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        files = db.execute(
            "SELECT f.output, p.source_id, p.frames_searched, p.clean_pixel_data"
            " FROM pixel_files p JOIN files f ON f.source_id = p.source_id"
            " WHERE f.status = ? AND f.output IS NOT NULL", (Status.WRITTEN.value,)).fetchall()
        boxes: dict[str, list[BlankedBox]] = {}
        for source_id, plane, frame, x0, y0, x1, y1 in db.execute(
                "SELECT b.source_id, b.plane, b.frame, b.x0, b.y0, b.x1, b.y1"
                " FROM pixel_boxes b JOIN files f ON f.source_id = b.source_id"
                " WHERE f.status = ? ORDER BY b.rowid", (Status.WRITTEN.value,)):
            boxes.setdefault(source_id, []).append(BlankedBox(frame, x0, y0, x1, y1, plane))
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return {}
        raise
    finally:
        db.close()
    return {str(relpath): PixelRecord(int(frames), tuple(boxes.get(source_id, ())),
                                      bool(clean))
            for relpath, source_id, frames, clean in files}
