"""File names that are not valid UTF-8 are de-identified like any other."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import medanon
from medanon.runner.run import RunOptions
from tests.dicom.builders import add_pixels, ct_dataset, write_part10

KEY = medanon.SecretKey(b"path-bytes-key".ljust(32, b"."))


def test_a_latin1_file_name_is_written_and_never_reported(
        tmp_path: Path) -> None:
    src = tmp_path / "src"
    good = write_part10(src / "plain.dcm", add_pixels(ct_dataset(instance=1), 8, 8))
    latin1 = os.fsdecode(os.fsencode(str(src)) + b"/M\xfcller.dcm")  # not valid UTF-8
    shutil.copy(write_part10(tmp_path / "other.dcm", add_pixels(ct_dataset(instance=2), 8, 8)),
                latin1)
    result = medanon.deidentify_folder(src, tmp_path / "out", KEY,
                                       options=RunOptions(workers=1))
    assert result.report.counts["written"] == 2
    assert len(list((tmp_path / "out").rglob("*.dcm"))) == 2
    assert good.exists()
    text = result.report_path.read_bytes()
    assert b"M\xfcller" not in text and b"ller" not in text
