"""What the default pixel step does to real files: the share of each image it blanks.

    PYTHONPATH=src python bench/pixels/real_files.py [FOLDER ...]

The generator of this folder knows its true boxes; real files do not come with them. So
this measures the other side on every real image at hand: of each file the default
recipe searches (a modality or SOP class where burned-in text is common), the share of
pixels the step changed. On an image without text every changed pixel is a false blank;
on a screen with text, the text itself is a few per cent. Read with the images: pydicom's
own test files (in its wheel), the two vendor screens of tests/pixels/data, and any
FOLDER given (for example a checkout of pydicom's test data repository).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import warnings
from pathlib import Path

import numpy as np
import pydicom
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from medanon import SecretKey, deidentify_dataset
from medanon.errors import DeidentificationError
from medanon.pixels.likely import is_likely

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FOLDERS = (Path(pydicom.__file__).parent / "data" / "test_files",
                   ROOT / "tests" / "pixels" / "data")
PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")


def _image(dataset: Dataset) -> NDArray[np.generic]:
    return np.asarray(dataset.pixel_array)


def changed_share(before: NDArray[np.generic], after: NDArray[np.generic],
                  colour: bool) -> float:
    """The share of pixels (all samples of a colour pixel as one) that differ."""
    changed = before != after
    if colour:
        changed = changed.any(axis=-1)
    return float(changed.mean())


def measure(path: Path, key: SecretKey) -> tuple[str, str] | None:
    """(label, result) for one file the default recipe searches, None for the others."""
    try:
        source = pydicom.dcmread(path)
        if not is_likely(source) or not any(k in source for k in PIXEL_KEYWORDS):
            return None
        before = _image(source)
    except Exception:  # noqa: BLE001 - not an image pydicom can show: not measured
        return None
    label = f"{path.name} ({source.get('Modality', '?')}, {source.Rows}x{source.Columns})"
    try:
        after = _image(deidentify_dataset(source, key))
    except DeidentificationError as exc:
        return label, f"withheld: {exc}"
    if before.shape != after.shape:
        return label, f"shape changed {before.shape} -> {after.shape}"
    colour = int(source.get("SamplesPerPixel", 1)) > 1
    return label, f"{changed_share(before, after, colour):.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    key = SecretKey(b"real files".ljust(32))
    shares: list[float] = []
    for folder in (*DEFAULT_FOLDERS, *args.folders):
        for path in sorted(folder.glob("*.dcm")):
            found = measure(path, key)
            if found is None:
                continue
            label, result = found
            print(f"{label:60s} {result}")
            if result[0].isdigit():
                shares.append(float(result))
    if shares:
        print(f"files measured: {len(shares)}; changed share median "
              f"{statistics.median(shares):.3f}, largest {max(shares):.3f}; "
              f"over 0.10: {sum(s > 0.10 for s in shares)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
