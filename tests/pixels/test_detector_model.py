"""The detector medanon ships is the file its README records."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from medanon.pixels import ocr_rapid

README = ocr_rapid.DETECTOR.parent / "README.md"


def recorded_digest() -> str:
    match = re.search(r"\*\*Result:\*\* sha256 `([0-9a-f]{64})`", README.read_text())
    assert match, "the models README records the detector's sha256"
    return match.group(1)


def test_the_detector_is_the_shipped_file() -> None:
    assert ocr_rapid.model_path() == ocr_rapid.DETECTOR
    assert ocr_rapid.DETECTOR.is_relative_to(Path(ocr_rapid.__file__).parent)


def test_the_shipped_detector_is_the_one_its_readme_describes() -> None:
    digest = hashlib.sha256(ocr_rapid.DETECTOR.read_bytes()).hexdigest()
    assert digest == recorded_digest()


def test_the_licence_ships_beside_it() -> None:
    assert "Apache License" in (ocr_rapid.DETECTOR.parent / "LICENSE").read_text()


def test_a_missing_detector_means_no_search(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(ocr_rapid, "DETECTOR", tmp_path / "absent.onnx")
    assert ocr_rapid.model_path() is None
    assert not ocr_rapid.is_available()
