"""The "pydicom floor": read every file with pydicom and write it back unchanged to a new tree.

This is what any pydicom-based de-identifier pays at the least (a full parse and a full
write, pixels included) before it changes a single element, so the benchmark reports every
tool's speed relative to it. One process, files in sorted order, folder layout kept.

Usage: python bench/dicom/pydicom_floor.py SRC DST
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pydicom


def copy_tree(source: Path, target: Path) -> int:
    """Read and rewrite every file under ``source`` into ``target``; returns the file count."""
    count = 0
    for folder, dirs, files in os.walk(source):
        dirs.sort()
        relative = Path(folder).relative_to(source)
        out_folder = target / relative
        out_folder.mkdir(parents=True, exist_ok=True)
        for name in sorted(files):
            dataset = pydicom.dcmread(Path(folder) / name)
            pydicom.dcmwrite(out_folder / name, dataset)
            count += 1
    return count


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: pydicom_floor.py SRC DST", file=sys.stderr)
        return 2
    count = copy_tree(Path(argv[0]), Path(argv[1]))
    print(f"pydicom read+write: {count} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
