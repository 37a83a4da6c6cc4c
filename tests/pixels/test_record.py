"""The run's per-file record of the pixel step: frames searched and boxes, read back."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import ModuleType

import numpy as np
import pydicom
import pytest

from medanon.custody.keys import SecretKey
from medanon.pixels.record import IMAGE_PLANE
from medanon.profile.recipe import default_recipe
from medanon.runner.pixel_log import read_pixel_records
from medanon.runner.run import RunOptions, run_folder

KEY = SecretKey(bytes(range(32)))
FRAMES, TEXT_FRAME = 4, 2
pytestmark = pytest.mark.usefixtures("ocr_engine")


def _inside(inner: tuple[int, int, int, int], outer: tuple[int, int, int, int]) -> bool:
    return (outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2]
            and inner[3] <= outer[3])


@pytest.fixture(scope="module")
def cleaned_run(generate: ModuleType, tmp_path_factory: pytest.TempPathFactory
                ) -> tuple[Path, Path, list[tuple[int, int, int, int]]]:
    """A run over a multi-frame US with text on one frame, and a CT that is not searched."""
    src = tmp_path_factory.mktemp("record") / "src"
    src.mkdir()
    item = generate.sample(42, kind="rgb", rows=240, columns=320, frames=FRAMES,
                           text_frames=(TEXT_FRAME,), sizes=(14, 16), lines=2)
    generate.dataset_of(item, burned_in="NO").save_as(src / "us.dcm", enforce_file_format=True)
    ct = pydicom.dcmread(pydicom.data.get_testdata_file("CT_small.dcm"))
    ct.save_as(src / "ct.dcm")
    dst = src.parent / "out"
    result = run_folder(src, dst, default_recipe(), KEY, options=RunOptions(workers=1))
    assert result.report.counts["written"] == 2
    return src, dst, item.boxes[TEXT_FRAME]


def test_the_record_names_frames_searched_and_the_boxes_blanked(
        cleaned_run: tuple[Path, Path, list[tuple[int, int, int, int]]]) -> None:
    _src, dst, truth = cleaned_run
    records = read_pixel_records(dst)
    assert len(records) == 1  # the CT was not decoded: no record
    (relpath, record), = records.items()
    assert record.frames_searched == FRAMES and record.clean_pixel_data
    assert record.boxes and {box.frame for box in record.boxes} == {TEXT_FRAME}
    assert {box.plane for box in record.boxes} == {IMAGE_PLANE}
    recorded = [(b.x0, b.y0, b.x1, b.y1) for b in record.boxes]
    assert truth and all(any(_inside(t, r) for r in recorded) for t in truth)
    after = pydicom.dcmread(dst / relpath).pixel_array
    for box in record.boxes:  # every recorded box is blank in the output, on its frame
        assert not after[box.frame, box.y0:box.y1, box.x0:box.x1].any()
    blank = np.zeros(after.shape[1:], bool)
    for x0, y0, x1, y1 in recorded:
        blank[y0:y1, x0:x1] = True
    assert not blank.all()


def test_the_record_holds_coordinates_only_and_survives_a_rerun(
        cleaned_run: tuple[Path, Path, list[tuple[int, int, int, int]]]) -> None:
    src, dst, _truth = cleaned_run
    before = read_pixel_records(dst)
    with sqlite3.connect(dst / ".medanon" / "manifest.sqlite") as db:
        for table in ("pixel_files", "pixel_boxes"):
            types = {t for row in db.execute(f"SELECT * FROM {table}") for t in
                     (type(v) for v in row[1:])}
            assert types == {int}, table  # after the keyed hash: numbers only
    run_folder(src, dst, default_recipe(), KEY, options=RunOptions(workers=1))
    assert read_pixel_records(dst) == before
    run_folder(src, dst, default_recipe(), KEY, options=RunOptions(workers=1, restart=True))
    assert read_pixel_records(dst) == before


def test_a_folder_without_a_run_has_no_records(tmp_path: Path) -> None:
    assert read_pixel_records(tmp_path) == {}
