"""The run report counts what the burned-in text step did: JSON, screen and HTML agree."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pydicom
import pytest

from medanon.pixels import ocr_rapid
from medanon.pixels.step import CLEAN_PIXEL_DATA_CODE
from medanon.runner.pixel_log import read_pixel_records
from medanon.sample import SampleCollection
from tests.pixels.conftest import _missing


@pytest.fixture(autouse=True)
def _engine() -> None:
    if not ocr_rapid.is_available():
        _missing("the OCR engine (pip install 'medanon[ocr]')")


def _with_code(out: Path) -> int:
    """Output files carrying the Clean Pixel Data code, counted as the demo counts them."""
    count = 0
    for path in out.rglob("*.dcm"):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        codes = [str(i.get("CodeValue", "")) for i in
                 ds.get("DeidentificationMethodCodeSequence") or []]
        count += CLEAN_PIXEL_DATA_CODE[0] in codes
    return count


def test_counts_match_the_record_the_outputs_and_the_screen(
        run_output: tuple[Path, str], report_sample: SampleCollection) -> None:
    out, printed = run_output
    pixels = json.loads((out / ".medanon" / "report.json").read_text())["pixels"]
    records = read_pixel_records(out)
    burned = [e for e in report_sample.expected if e.kind.value == "burned-in"]
    assert burned and pixels["files_cleaned"] >= len(burned)
    assert pixels["files_cleaned"] == sum(r.clean_pixel_data for r in records.values())
    assert pixels["files_cleaned"] == _with_code(out)
    assert pixels["boxes_blanked"] == sum(len(r.boxes) for r in records.values()) > 0
    assert pixels["frames_searched"] == sum(r.frames_searched for r in records.values())
    assert pixels["frames_searched"] >= pixels["files_cleaned"]
    assert (f"burned-in text: {pixels['files_cleaned']} files cleaned,"
            f" {pixels['boxes_blanked']} boxes blanked,"
            f" {pixels['frames_searched']} frames searched") in printed
    html = (out / ".medanon" / "report.html").read_text(encoding="utf-8")
    row = re.search(r"Burned-in text: files cleaned / boxes blanked / frames searched</th>"
                    r"<td class=\"num\">(\d+) / (\d+) / (\d+)</td>", html)
    assert row is not None
    assert tuple(map(int, row.groups())) == (
        pixels["files_cleaned"], pixels["boxes_blanked"], pixels["frames_searched"])
