"""Where the PP-OCR reader is: inside the installed ``rapidocr`` wheel, never fetched.

The reader looks for the first of its known model names in the wheel's ``models`` folder
(the detector ships with medanon, :mod:`medanon.pixels.ocr_rapid`); a machine without
them cannot search, and files that must be searched are then withheld
(:mod:`medanon.pixels.ocr`).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def installed_model(names: tuple[str, ...]) -> Path | None:
    """The first of ``names`` found in the installed rapidocr package's models, or None."""
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        for name in names:
            candidate = Path(root) / "models" / name
            if candidate.is_file():
                return candidate
    return None
