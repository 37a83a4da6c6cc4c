"""Bare data sets (no preamble, no file meta) are named as such, and read when asked."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest

from medanon.dicom.quiet import quiet_pydicom
from medanon.dicom.read import NO_PIXEL_DATA, read_instance
from medanon.errors import InputError
from tests.dicom.builders import add_pixels, ct_dataset, write_part10


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
