"""``medanon verify --against`` reads sources in transfer syntaxes newer than pydicom."""

from __future__ import annotations

from pathlib import Path

import pydicom

from medanon.dicom.quiet import quiet_pydicom
from tests.dicom.builders import DEFLATED_FRAMES, write_in_deflated_frames
from tests.verify.test_cli import _medanon

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"


def test_a_source_in_a_syntax_pydicom_does_not_know_is_paired(tmp_path: Path,
                                                              key_file: Path) -> None:
    """Its pixel data is encapsulated (undefined length), which is all the pairing needs.

    pydicom 3.0 does not know the syntax (unless something in the process registered it),
    so it cannot say whether it is compressed.
    """
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


def test_a_source_without_the_part10_header_is_paired(tmp_path: Path, key_file: Path) -> None:
    """What ``medanon run --accept-no-meta`` reads and writes, verify reads as a source too."""
    (tmp_path / "src").mkdir()
    data = (PYDICOM_FILES / "CT_small.dcm").read_bytes()
    (tmp_path / "src" / "no-preamble.dcm").write_bytes(data[132:])  # file meta first
    bare = pydicom.dcmread(PYDICOM_FILES / "MR_small.dcm")
    with quiet_pydicom():  # pydicom warns that it writes no file meta
        pydicom.dcmwrite(tmp_path / "src" / "bare.dcm", bare, implicit_vr=False,
                         little_endian=True)
    run = _medanon("run", tmp_path / "src", tmp_path / "out", "--key", key_file,
                   "--workers", "1", "--no-report", "--accept-no-meta", "-q")
    assert run.returncode == 0, run.stderr
    check = _medanon("verify", tmp_path / "out", "--against", tmp_path / "src", "--key",
                     key_file, "--workers", "1", "--dciodvfy", "off")
    assert "Traceback" not in check.stderr, check.stderr
    assert "inputs: 2 in OUT, 0 listed in the run report, 0 unaccounted for" in check.stdout
