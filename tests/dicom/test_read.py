"""Reading one input file: headers, the pixel data's place, and every way a file can be bad."""

from __future__ import annotations

import os
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.sequence import Sequence
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ImplicitVRLittleEndian,
    JPEGBaseline8Bit,
)

from medanon.dicom.quiet import quiet_pydicom
from medanon.dicom.read import SourceInstance, read_instance
from medanon.errors import InputError
from tests.dicom.builders import add_pixels, ct_dataset, write_part10

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"


def read(path: Path) -> SourceInstance:
    with quiet_pydicom():
        return read_instance(path)


def refused(path: Path, *words: str) -> str:
    with pytest.raises(InputError) as info:
        read(path)
    message = str(info.value)
    for word in words:
        assert word in message, message
    assert "DOE" not in message, "messages never quote the file's content"
    return message


@pytest.fixture
def image_file(tmp_path: Path) -> Path:
    ds = add_pixels(ct_dataset(), rows=16, columns=16)
    ds.ReferencedImageSequence = Sequence([Dataset()])
    ds.ReferencedImageSequence[0].ReferencedSOPInstanceUID = "1.2.3.4"
    ds.ReferencedImageSequence[0].ReferencedSOPClassUID = ds.SOPClassUID
    return write_part10(tmp_path / "image.dcm", ds)


def test_header_and_pixel_span(image_file: Path) -> None:
    instance = read(image_file)
    assert instance.dataset.PatientName == "DOE^JOHN"
    assert "PixelData" not in instance.dataset, "pixel data is located, not loaded"
    assert instance.has_pixel_data and instance.pixels is not None
    assert not instance.pixels.encapsulated
    raw = image_file.read_bytes()
    assert instance.pixels.end == len(raw)
    assert raw[instance.pixels.start:instance.pixels.start + 4] == b"\xe0\x7f\x10\x00"
    assert not instance.is_dicomdir


@pytest.mark.parametrize("syntax", [ImplicitVRLittleEndian, ExplicitVRBigEndian],
                         ids=["implicit", "big-endian"])
def test_other_transfer_syntaxes(tmp_path: Path, syntax: str) -> None:
    ds = add_pixels(ct_dataset())
    path = write_part10(tmp_path / "x.dcm", ds, syntax)
    instance = read(path)
    assert instance.transfer_syntax == syntax
    assert instance.has_pixel_data and instance.dataset.PatientID == "PID0001"


def test_encapsulated_pixel_span(tmp_path: Path) -> None:
    ds = ct_dataset()
    ds.Rows = ds.Columns = 8
    ds.PixelData = encapsulate([b"\xff\xd8\xff\xd9", b"\xff\xd8\xff\xd9"], has_bot=True)
    ds["PixelData"].VR = "OB"
    ds.NumberOfFrames = 2
    path = write_part10(tmp_path / "jpeg.dcm", ds, JPEGBaseline8Bit)
    instance = read(path)
    assert instance.pixels is not None and instance.pixels.encapsulated
    assert instance.pixels.end == path.stat().st_size


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.dcm"
    path.write_bytes(b"")
    refused(path, "empty")


def test_junk_file(tmp_path: Path) -> None:
    path = tmp_path / "junk.dcm"
    path.write_bytes(os.urandom(3000) + b"DOE")
    refused(path, "not a DICOM file")


def test_text_file_named_dcm(tmp_path: Path) -> None:
    path = tmp_path / "notes.dcm"
    path.write_text("Patient DOE^JOHN was scanned on 2019-03-04.\n" * 20, encoding="utf-8")
    refused(path, "not a DICOM file")


def test_preamble_and_prefix_only(tmp_path: Path) -> None:
    path = tmp_path / "prefix.dcm"
    path.write_bytes(bytes(128) + b"DICM")
    refused(path)


def test_truncated_in_the_file_meta(image_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "cut.dcm"
    path.write_bytes(image_file.read_bytes()[:170])
    refused(path)


def test_truncated_in_the_header(image_file: Path, tmp_path: Path) -> None:
    """pydicom stops quietly at the cut; the reader must notice the missing bytes."""
    raw = image_file.read_bytes()
    cut = raw.index(b"DOE^JOHN") + 4  # inside the Patient's Name value
    path = tmp_path / "cut.dcm"
    path.write_bytes(raw[:cut])
    refused(path, "truncated")


def test_truncated_inside_a_sequence(image_file: Path, tmp_path: Path) -> None:
    raw = image_file.read_bytes()
    cut = raw.index(b"1.2.3.4") + 3  # inside the referenced SOP instance UID of the item
    path = tmp_path / "cut.dcm"
    path.write_bytes(raw[:cut])
    refused(path, "truncated")


def test_truncated_pixel_data(image_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "cut.dcm"
    path.write_bytes(image_file.read_bytes()[:-10])
    refused(path, "truncated")


def test_truncated_encapsulated_pixel_data(tmp_path: Path) -> None:
    ds = ct_dataset()
    ds.Rows = ds.Columns = 8
    ds.PixelData = encapsulate([b"\xff\xd8" + bytes(200) + b"\xff\xd9"], has_bot=False)
    ds["PixelData"].VR = "OB"
    path = write_part10(tmp_path / "jpeg.dcm", ds, JPEGBaseline8Bit)
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(path.read_bytes()[:-60])
    refused(cut, "truncated")


def test_pixel_data_header_alone(image_file: Path, tmp_path: Path) -> None:
    raw = image_file.read_bytes()
    start = read(image_file).pixels
    assert start is not None
    path = tmp_path / "cut.dcm"
    path.write_bytes(raw[:start.start + 6])
    refused(path, "truncated")


def test_dicomdir_is_recognised() -> None:
    instance = read(PYDICOM_FILES / "dicomdirtests" / "DICOMDIR")
    assert instance.is_dicomdir


def test_deflated_file_is_read_whole() -> None:
    source = PYDICOM_FILES / "image_dfl.dcm"
    with quiet_pydicom():
        meta = pydicom.dcmread(source, stop_before_pixels=True).file_meta
    assert meta.TransferSyntaxUID == DeflatedExplicitVRLittleEndian
    instance = read(source)
    assert instance.pixels is None, "deflated bytes cannot be copied: read whole"
    assert instance.has_pixel_data and "PixelData" in instance.dataset
    with quiet_pydicom():
        whole = pydicom.dcmread(source)
    assert instance.dataset.PixelData == whole.PixelData


def test_elements_after_the_pixel_data_force_a_whole_read(image_file: Path,
                                                          tmp_path: Path) -> None:
    raw = image_file.read_bytes()
    # An element after Pixel Data that is not trailing padding: (7F01,0010), LO "ABCD".
    trailing = b"\x01\x7f\x10\x00LO\x04\x00ABCD"
    path = tmp_path / "after.dcm"
    path.write_bytes(raw + trailing)
    instance = read(path)
    assert instance.pixels is None and instance.has_pixel_data
    assert "PixelData" in instance.dataset


def test_trailing_padding_keeps_the_streaming_read(image_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "padded.dcm"
    path.write_bytes(image_file.read_bytes() + b"\xfc\xff\xfc\xff" + b"OB\x00\x00"
                     + (4).to_bytes(4, "little") + bytes(4))
    instance = read(path)
    assert instance.pixels is not None


def test_missing_file(tmp_path: Path) -> None:
    refused(tmp_path / "absent.dcm", "cannot read")
