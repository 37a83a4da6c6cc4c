"""``medanon verify --against`` reads sources in transfer syntaxes newer than pydicom."""

from __future__ import annotations

from pathlib import Path

import pydicom
from pydicom.uid import UID

from tests.verify.test_cli import _medanon

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
#: Deflated Image Frame Compression: in the standard since 2024, unknown to pydicom 3.0.
DEFLATED_FRAMES = "1.2.840.10008.1.2.8.1"
STAND_IN = "1.2.840.10008.1.2.4.90"  # JPEG 2000 lossless, as long as the newer one padded


def test_a_source_in_a_syntax_pydicom_does_not_know_is_paired(tmp_path: Path,
                                                              key_file: Path) -> None:
    """Its pixel data is encapsulated (undefined length), which is all the pairing needs."""
    assert not UID(DEFLATED_FRAMES).is_transfer_syntax  # the case: pydicom cannot tell
    ds = pydicom.dcmread(PYDICOM_FILES / "rtdose_rle_1frame.dcm")
    # pydicom refuses to write a syntax it does not know: write one of the same length
    # (22 bytes with its padding), then put the newer one in its place.
    ds.file_meta.TransferSyntaxUID = UID(STAND_IN)
    (tmp_path / "src").mkdir()
    source = tmp_path / "src" / "frames.dcm"
    ds.save_as(source, enforce_file_format=True)
    data = source.read_bytes()
    assert data.count(STAND_IN.encode()) == 1
    source.write_bytes(data.replace(STAND_IN.encode(), DEFLATED_FRAMES.encode() + b"\x00"))
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
