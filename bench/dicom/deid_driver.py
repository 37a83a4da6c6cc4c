"""Run deid (pydicom/deid) with its default recipe over a folder tree, the way its docs show.

deid's documented workflow is ``get_identifiers`` over all files, then ``replace_identifiers``
with those identifiers and ``save=True``. Its ``output_folder`` is flat (it keeps only each
file's base name), and export trees repeat base names (``IM0001`` in every series), so the
replace step is called once per source folder with the mirrored output folder; otherwise
files would overwrite one another. The get step stays one call over every file, as
documented: that call is what holds every file's fields in memory.

Runs inside the peers' virtual environment (``bench/work/venv-peers``), never medanon's: deid
is imported by name at run time so this file type-checks without deid installed.

Usage: venv-peers/bin/python bench/dicom/deid_driver.py SRC DST
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: deid_driver.py SRC DST", file=sys.stderr)
        return 2
    source, target = Path(argv[0]), Path(argv[1])
    deid_dicom = importlib.import_module("deid.dicom")
    by_folder: dict[Path, list[str]] = {}
    for folder, dirs, files in os.walk(source):
        dirs.sort()
        if files:
            by_folder[Path(folder)] = [str(Path(folder) / name) for name in sorted(files)]
    every_file = [path for paths in by_folder.values() for path in paths]
    ids = deid_dicom.get_identifiers(every_file)
    written = 0
    for leaf, paths in by_folder.items():
        out_folder = target / leaf.relative_to(source)
        out_folder.mkdir(parents=True, exist_ok=True)
        updated = deid_dicom.replace_identifiers(
            dicom_files=paths, ids=ids, save=True, output_folder=str(out_folder)
        )
        written += len(updated)
    print(f"deid: {written} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
