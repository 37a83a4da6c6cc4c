"""Bare data sets (no preamble, no file meta) are named as such, and read when asked."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pydicom
import pytest

from medanon.dicom.quiet import quiet_pydicom
from medanon.dicom.read import NO_PIXEL_DATA, read_instance
from medanon.errors import InputError
from tests.dicom.builders import (
    DEFLATED_FRAMES,
    add_pixels,
    ct_dataset,
    write_in_deflated_frames,
    write_part10,
)
from tests.dicom.test_fastread import _outputs

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"


@pytest.mark.parametrize("implicit", [True, False], ids=["implicit", "explicit"])
def test_a_bare_data_set_is_named_and_read_on_request(tmp_path: Path, implicit: bool) -> None:
    ds = add_pixels(ct_dataset(), 8, 8)
    path = tmp_path / "bare.dcm"
    with quiet_pydicom():
        pydicom.dcmwrite(path, ds, implicit_vr=implicit, little_endian=True)
    assert path.read_bytes()[128:132] != b"DICM"
    with pytest.raises(InputError, match="DICOM without file meta.*--accept-no-meta") as info:
        read_instance(path)
    assert "DOE" not in str(info.value)
    with quiet_pydicom():
        instance = read_instance(path, accept_no_meta=True)
    expected = "1.2.840.10008.1.2" if implicit else "1.2.840.10008.1.2.1"
    assert instance.transfer_syntax == expected
    assert instance.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert instance.has_pixel_data and instance.dataset.PatientID == ds.PatientID


def test_junk_is_still_not_dicom_with_the_option(tmp_path: Path) -> None:
    path = tmp_path / "notes.dcm"
    path.write_text("Patient scanned on 2019-03-04.\n" * 20, encoding="utf-8")
    for accept in (False, True):
        with pytest.raises(InputError, match="not a DICOM file"):
            read_instance(path, accept_no_meta=accept)


def test_an_image_header_without_pixel_data_is_not_called_truncated(tmp_path: Path) -> None:
    ds = ct_dataset()
    ds.Rows = ds.Columns = 8
    path = write_part10(tmp_path / "header-only.dcm", ds)
    with pytest.raises(InputError) as info:
        read_instance(path)
    assert str(info.value) == NO_PIXEL_DATA and "truncated" not in str(info.value)


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small_jpeg_ls_lossless.dcm"])
def test_file_meta_without_preamble_is_named_and_read_on_request(tmp_path: Path,
                                                                 name: str) -> None:
    """The file meta starts the file (no preamble, no DICM): its transfer syntax is known."""
    original = PYDICOM_FILES / name
    path = tmp_path / "no-preamble.dcm"
    path.write_bytes(original.read_bytes()[132:])
    with pytest.raises(InputError, match="DICOM without preamble.*--accept-no-meta"):
        read_instance(path)
    with quiet_pydicom():
        instance = read_instance(path, accept_no_meta=True)
        expected = pydicom.dcmread(original)
    assert instance.transfer_syntax == expected.file_meta.TransferSyntaxUID
    assert instance.has_pixel_data
    assert instance.dataset.PixelData == expected.PixelData
    assert instance.dataset.SOPInstanceUID == expected.SOPInstanceUID


def test_deflated_image_frames_keep_their_syntax(tmp_path: Path) -> None:
    """Only the frames are deflated: the data set is read as it is and the frames copied."""
    source = write_in_deflated_frames(tmp_path / "frames.dcm",
                                      pydicom.dcmread(PYDICOM_FILES / "MR_small_RLE.dcm"))
    with quiet_pydicom():
        instance = read_instance(source)
    assert instance.transfer_syntax == DEFLATED_FRAMES
    assert instance.has_pixel_data
    (_status, data), = _outputs([source], tmp_path, tmp_path / "out").values()
    written = pydicom.dcmread(BytesIO(data))
    assert written.file_meta.TransferSyntaxUID == DEFLATED_FRAMES  # not relabelled native
    assert written.PixelData == pydicom.dcmread(source).PixelData
