"""Fixtures of the pixel tests: the generator of bench/pixels, and the OCR engine gate."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from medanon.pixels import ocr_rapid
from medanon.pixels.blank import grow
from medanon.pixels.settings import DEFAULT_PIXELS

GENERATOR = Path(__file__).resolve().parents[2] / "bench" / "pixels" / "generate.py"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("medanon_bench_generate", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def generate() -> ModuleType:
    """bench/pixels/generate.py: images with burned-in text and their true boxes."""
    if not all(path.is_file() for path in _load_generator().FONTS.values()):
        _missing("fonts-dejavu-core and fonts-liberation")
    return _load_generator()


def _missing(what: str) -> None:
    message = f"{what} not installed"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI must install it: scripts/test)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def ocr_engine() -> None:
    """The OCR engine of medanon[ocr]: a test that needs it fails under CI when it is missing."""
    if not ocr_rapid.is_available():
        _missing("the OCR engine (pip install 'medanon[ocr]')")


def region_rule(modality: str, box: tuple[int, int, int, int]) -> str:
    """A recipe that blanks one box of every ``modality`` image, OCR off, no margin."""
    return ('[pixels]\nocr = "off"\nmargin = 0\n[[pixels.regions]]\n'
            f'Modality = "{modality}"\nboxes = [{list(box)}]\n')


def blanked(image: np.ndarray) -> np.ndarray:
    """Where the detector's boxes, grown by the default margin, blank ``image``."""
    mask = np.zeros(image.shape[:2], bool)
    for box in ocr_rapid.detect_text(image):
        area = grow(box, DEFAULT_PIXELS.margin, *image.shape[:2])
        if area is not None:
            mask[area[1]:area[3], area[0]:area[2]] = True
    return mask
