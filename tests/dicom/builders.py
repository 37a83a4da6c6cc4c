"""Small builders for the DICOM tests: datasets, Part 10 files, rulesets.

Every value here is synthetic. Datasets are CT images unless a test says otherwise,
so the burned-in text check only fires where a test wants it to.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian

from medanon.custody.keys import SecretKey
from medanon.dicom.quiet import quiet_pydicom
from medanon.dicom.transform import Transformed, deidentify
from medanon.profile.model import Option, Ruleset
from medanon.profile.recipe import parse_recipe
from medanon.profile.ruleset import build_ruleset

CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
US_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.6.1"
ENCAPSULATED_PDF = "1.2.840.10008.5.1.4.1.1.104.1"
ROOT = "1.2.826.0.1.3680043.10.999"


def uid(*parts: int | str) -> str:
    """A valid test UID under a fixed root."""
    return ".".join([ROOT, *(str(p) for p in parts)])


def ct_dataset(patient_id: str = "PID0001", name: str = "DOE^JOHN", *, study: int = 1,
               series: int = 1, instance: int = 1, sop_class: str = CT_IMAGE_STORAGE,
               modality: str = "CT") -> Dataset:
    """A CT image header with the usual identifying attributes (no pixel data)."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = uid(study, series, instance)
    ds.StudyDate = "20190304"
    ds.SeriesDate = "20190304"
    ds.StudyTime = "101500"
    ds.AccessionNumber = "ACC778899"
    ds.Modality = modality
    ds.Manufacturer = "ACME"
    ds.InstitutionName = "SAINT ELSEWHERE HOSPITAL"
    ds.ReferringPhysicianName = "HOUSE^GREGORY"
    ds.StudyDescription = "CT CHEST DOE"
    ds.PatientName = name
    ds.PatientID = patient_id
    ds.PatientBirthDate = "19700215"
    ds.PatientSex = "M"
    ds.PatientAge = "049Y"
    ds.StudyInstanceUID = uid(study)
    ds.SeriesInstanceUID = uid(study, series)
    ds.StudyID = "S1"
    ds.SeriesNumber = series
    ds.InstanceNumber = instance
    ds.FrameOfReferenceUID = uid(study, 9999)
    return ds


def add_pixels(ds: Dataset, rows: int = 4, columns: int = 4, seed: int = 0) -> Dataset:
    """Add small uncompressed MONOCHROME2 pixel data."""
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = rows, columns
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    pixels = (np.arange(rows * columns, dtype=np.uint16) * 7 + seed) % 4096
    ds.PixelData = pixels.tobytes()
    return ds


def write_part10(path: Path, ds: Dataset, transfer_syntax: str = ExplicitVRLittleEndian) -> Path:
    """Write ``ds`` as a DICOM Part 10 file (preamble, file meta) and return the path."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = UID(transfer_syntax)
    meta.ImplementationClassUID = UID(uid(0, 1))
    meta.SourceApplicationEntityTitle = "SRC_AE_DOE"
    ds.file_meta = meta
    path.parent.mkdir(parents=True, exist_ok=True)
    pydicom.dcmwrite(path, ds, enforce_file_format=True)
    return path


def recipe_text(options: Iterable[Option | str] = (), *, allow_burned_in: bool = False,
                extra: str = "") -> str:
    names = ", ".join(f'"{Option(o).value}"' for o in options)
    text = f"options = [{names}]\n"
    if allow_burned_in:
        text += "allow_unchecked_burned_in = true\n"
    return text + extra


def ruleset(options: Iterable[Option | str] = (), *, allow_burned_in: bool = False,
            extra: str = "") -> Ruleset:
    """The ruleset of a recipe with these options (``extra`` is appended TOML)."""
    return build_ruleset(parse_recipe(recipe_text(options, allow_burned_in=allow_burned_in,
                                                  extra=extra)))


def transform(ds: Dataset, rules: Ruleset, key: SecretKey) -> Transformed:
    """``deidentify`` as the runners call it: with pydicom kept quiet."""
    with quiet_pydicom():
        return deidentify(ds, rules, key)


#: Deflated Image Frame Compression: in the standard since 2024, unknown to pydicom 3.0.
DEFLATED_FRAMES = "1.2.840.10008.1.2.8.1"
_STAND_IN = "1.2.840.10008.1.2.4.90"  # JPEG 2000 lossless: as long as the newer one padded


def write_in_deflated_frames(path: Path, ds: Dataset) -> Path:
    """Write ``ds`` (encapsulated pixel data) under Deflated Image Frame Compression.

    pydicom refuses to write a syntax it does not know: the file is written with one of
    the same length (22 bytes with its padding), which is then replaced in the file meta.
    """
    ds.file_meta.TransferSyntaxUID = UID(_STAND_IN)
    ds.save_as(path, enforce_file_format=True)
    data = path.read_bytes()
    assert data.count(_STAND_IN.encode()) == 1
    path.write_bytes(data.replace(_STAND_IN.encode(), DEFLATED_FRAMES.encode() + b"\x00"))
    return path
