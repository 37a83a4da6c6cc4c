"""``medanon verify --against`` reads sources in transfer syntaxes newer than pydicom."""

from __future__ import annotations

from pathlib import Path

import pydicom
from pydicom.uid import UID

from tests.dicom.builders import DEFLATED_FRAMES, write_in_deflated_frames
from tests.verify.test_cli import _medanon

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"


def test_a_source_in_a_syntax_pydicom_does_not_know_is_paired(tmp_path: Path,
                                                              key_file: Path) -> None:
    """Its pixel data is encapsulated (undefined length), which is all the pairing needs."""
    assert not UID(DEFLATED_FRAMES).is_transfer_syntax  # the case: pydicom cannot tell
    (tmp_path / "src").mkdir()
    source = write_in_deflated_frames(tmp_path / "src" / "frames.dcm",
                                      pydicom.dcmread(PYDICOM_FILES / "rtdose_rle_1frame.dcm"))
    assert pydicom.dcmread(source).file_meta.TransferSyntaxUID == DEFLATED_FRAMES
    run = _medanon("run", tmp_path / "src", tmp_path / "out", "--key", key_file,
                   "--workers", "1", "--no-report", "-q")
    assert run.returncode == 0, run.stderr
    # Without the key, outputs are paired with sources by their pixel data's hash.
    check = _medanon("verify", tmp_path / "out", "--against", tmp_path / "src",
                     "--workers", "1", "--dciodvfy", "off")
    assert "Traceback" not in check.stderr, check.stderr
    # The dose's referenced plan is not in OUT (a structure finding): exit 1, not 2.
    assert check.returncode == 1, check.stdout + check.stderr
    assert "0 unaccounted for" in check.stdout  # read, and paired with its output
    assert "referenced instance is not in OUT" in check.stdout
