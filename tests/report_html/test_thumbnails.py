"""Thumbnails of the files whose pixels were cleaned: after images only in the run's own
report (inside OUT), before/after pairs in a verify report written outside OUT."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pydicom.dataset import Dataset

from medanon.pixels import ocr_rapid
from medanon.pixels.record import BlankedBox
from medanon.report import thumbnails as thumbs
from medanon.report.data import build_report_data
from medanon.report.render import render_html
from medanon.runner.pixel_log import read_pixel_records
from medanon.sample import SampleCollection
from medanon.verify import VerifyResult
from tests.pixels.conftest import _missing
from tests.report_html.conftest import medanon

IMAGES = re.compile(r'<img class="(before|after)" src="data:image/png;base64,([^"]+)"')


def _images(html: str) -> dict[str, list[np.ndarray]]:
    found: dict[str, list[np.ndarray]] = {"before": [], "after": []}
    for kind, data in IMAGES.findall(html):
        found[kind].append(np.asarray(Image.open(io.BytesIO(base64.b64decode(data)))))
    return found


@pytest.fixture()
def cleaned(run_output: tuple[Path, str]) -> int:
    """How many output files of the sample run had boxes blanked in the image."""
    if not ocr_rapid.is_available():
        _missing("the OCR engine (pip install 'medanon[ocr]')")
    count = len(thumbs.cleaned_files(read_pixel_records(run_output[0])))
    assert count >= 2
    return count


def test_the_run_report_shows_after_images_only(run_output: tuple[Path, str],
                                                cleaned: int) -> None:
    html = (run_output[0] / ".medanon" / "report.html").read_text(encoding="utf-8")
    images = _images(html)
    assert len(images["after"]) == min(cleaned, thumbs.THUMBNAILS_SHOWN)
    assert images["before"] == []
    assert "own report holds no source pixel" in html
    assert f"{cleaned} output files had boxes blanked in the image" in html
    for picture in images["after"]:
        assert max(picture.shape[:2]) <= thumbs.THUMBNAIL_SIDE
        assert (picture[..., :3] == thumbs.OUTLINE).all(axis=-1).any()  # boxes outlined


def test_a_verify_report_outside_out_pairs_before_and_after(
        run_output: tuple[Path, str], cleaned: int, report_sample: SampleCollection,
        report_key: Path, tmp_path: Path) -> None:
    out = run_output[0]
    target = tmp_path / "site-side.html"
    run = medanon("verify", out, "--against", report_sample.root, "--key", report_key,
                  "--report", target, "--dciodvfy", "off", "-q", "--workers", "1")
    assert run.returncode == 0, run.stdout + run.stderr
    html = target.read_text(encoding="utf-8")
    images = _images(html)
    assert len(images["before"]) == len(images["after"]) == min(cleaned,
                                                                 thumbs.THUMBNAILS_SHOWN)
    assert "keep it on the site" in html
    # The before image is the source's: it differs from the cleaned output's.
    assert any(b.shape == a.shape and not np.array_equal(b, a)
               for b, a in zip(images["before"], images["after"], strict=True))


def test_a_verify_report_inside_out_leaves_before_images_out(
        run_output: tuple[Path, str], cleaned: int, report_sample: SampleCollection,
        report_key: Path) -> None:
    out = run_output[0]
    target = out / "inside-report.html"
    try:
        run = medanon("verify", out, "--against", report_sample.root, "--key", report_key,
                      "--report", target, "--dciodvfy", "off", "-q", "--workers", "1")
        html = target.read_text(encoding="utf-8")
    finally:
        target.unlink(missing_ok=True)
    assert run.returncode in (0, 1), run.stderr
    images = _images(html)
    assert images["before"] == [] and len(images["after"]) == min(cleaned,
                                                                  thumbs.THUMBNAILS_SHOWN)
    assert "before images left out: this report is written inside OUT" in html


def test_the_count_is_capped_and_the_rest_said(run_output: tuple[Path, str], cleaned: int,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(thumbs, "THUMBNAILS_SHOWN", 1)
    verified = VerifyResult([], [], {"outputs": 0, "files_with_findings": 0,
                                     "by_category": {}, "against": False, "dciodvfy": "off",
                                     "timings": {}, "outputs_per_second": 0})
    html = render_html(build_report_data(run_output[0], None, verified, title="t"))
    assert len(_images(html)["after"]) == 1
    assert f"The first 1 by output path are shown; {cleaned - 1} more are left out." in html


def test_windowing_and_outlines() -> None:
    ds = Dataset()
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
    ds.WindowCenter, ds.WindowWidth = 40, 400
    frame = np.array([[0, 1024 - 160, 1024 + 40, 1024 + 240, 4095]], dtype=np.uint16)
    assert thumbs.to_rgb(frame, ds, None)[0, :, 0].tolist() == [0, 0, 127, 255, 255]
    del ds.WindowCenter, ds.WindowWidth  # the 1st to 99th percentile instead
    ramp = np.arange(1000, dtype=np.uint16).reshape(10, 100)
    grey = thumbs.to_rgb(ramp, ds, None)[..., 0]
    assert grey[0, 0] == 0 and grey[-1, -1] == 255 and 100 < grey[5, 0] < 160
    ds.PhotometricInterpretation = "MONOCHROME1"
    assert thumbs.to_rgb(ramp, ds, None)[0, 0, 0] == 255
    picture = np.zeros((320, 200, 3), dtype=np.uint8)  # scaled by one half
    uri = thumbs.png_uri(picture, [BlankedBox(0, 20, 40, 60, 100)])
    small = np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))
    assert small.shape[:2] == (160, 100)
    red = (small == thumbs.OUTLINE).all(axis=-1)
    assert red[20, 10:30].all() and red[49, 10:30].all() and red[20:50, 10].all()
    assert not red[30, 20] and red.sum() == 2 * 20 + 2 * 30 - 4
