"""Every entry point goes through the same core and gives the same bytes.

The Python API, a 1-worker run, the process pool and a Dask cluster must agree byte for
byte (all of them call :func:`medanon.dicom.core.deidentify_instance`), including
the pixel step that removes names from JPEG comment segments: an entry point that
skipped it would leak the name inside Pixel Data.
"""

from __future__ import annotations

import copy
import io
from pathlib import Path

import pydicom
import pytest
from pydicom.encaps import encapsulate
from pydicom.uid import JPEGBaseline8Bit

import medanon
from medanon.runner.run import RunOptions
from tests.dicom.builders import ct_dataset, write_part10
from tests.dicom.test_jpeg_segments import NAME, jpeg, with_name

KEY = medanon.SecretKey(b"entry-point-key".ljust(32, b"."))


def jpeg_ct(tmp_path: Path, instance: int) -> Path:
    """A JPEG-baseline CT slice whose frame carries the patient's name in COM and APP1."""
    ds = ct_dataset(instance=instance)
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows = ds.Columns = 32
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = encapsulate([with_name(jpeg(instance))], has_bot=False)
    ds["PixelData"].VR = "OB"
    return write_part10(tmp_path / "src" / f"slice{instance}.dcm", ds, JPEGBaseline8Bit)


def api_bytes(path: Path) -> bytes:
    result = medanon.deidentify_dataset(pydicom.dcmread(path), KEY)
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, result, enforce_file_format=True)
    return buffer.getvalue()


def run_outputs(src: Path, dst: Path, workers: int, cluster: str | None = None
                ) -> dict[str, bytes]:
    result = medanon.deidentify_folder(src, dst, KEY,
                                       options=RunOptions(workers=workers, cluster=cluster))
    assert result.report.counts["written"] == 3
    return {p.name: p.read_bytes() for p in dst.rglob("*.dcm")}


def test_api_and_runs_give_the_same_bytes_and_no_name(tmp_path: Path) -> None:
    sources = [jpeg_ct(tmp_path, instance) for instance in (1, 2, 3)]
    assert all(NAME in p.read_bytes() for p in sources)
    one = run_outputs(tmp_path / "src", tmp_path / "one", workers=1)
    pool = run_outputs(tmp_path / "src", tmp_path / "pool", workers=2)
    dask = run_outputs(tmp_path / "src", tmp_path / "dask", workers=0, cluster="local:1")
    assert one == pool == dask
    from_api = {}
    for path in sources:
        data = api_bytes(path)
        from_api[pydicom.dcmread(io.BytesIO(data)).SOPInstanceUID + ".dcm"] = data
    for name, data in one.items():
        assert NAME not in data and b"Exif" not in data
        assert from_api[name] == data, f"the API and the runner disagree on {name}"


def test_the_api_leaves_its_input_as_it_was(tmp_path: Path) -> None:
    path = jpeg_ct(tmp_path, 1)
    ds = pydicom.dcmread(path)
    ds.add_new(0x00091010, "LO", "GEMS")  # a private creator and its block
    ds.add_new(0x00091001, "LO", "DOE^JOHN private")
    ds.OtherPatientIDsSequence = [pydicom.Dataset()]
    ds.OtherPatientIDsSequence[0].PatientID = "OTHER-ID"
    ds.ReferencedImageSequence = [pydicom.Dataset()]  # kept, its UIDs remapped inside
    ds.ReferencedImageSequence[0].ReferencedSOPClassUID = ds.SOPClassUID
    ds.ReferencedImageSequence[0].ReferencedSOPInstanceUID = "1.2.3.4.5"
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    ds = pydicom.dcmread(io.BytesIO(buffer.getvalue()))  # every element raw again
    before = {tag: ds.get_item(tag) for tag in ds.keys()}
    pristine = copy.deepcopy(ds)
    medanon.deidentify_dataset(ds, KEY)
    assert {tag: ds.get_item(tag) for tag in ds.keys()} == before
    assert all(ds.get_item(tag) is before[tag] for tag in ds.keys()), "elements converted"
    assert ds == pristine


def test_pixel_data_cannot_be_removed_by_a_recipe() -> None:
    with pytest.raises(medanon.MedanonError, match="PixelData"):
        medanon.parse_recipe('[attributes]\nPixelData = "remove"\n')
