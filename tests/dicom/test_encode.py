"""The fast encoder writes exactly what pydicom's own writer writes."""

from __future__ import annotations

import io
from pathlib import Path

import pydicom
import pytest
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_file_meta_info

from medanon.custody.keys import SecretKey
from medanon.dicom.backend.encode import encode_file_meta, write_part10
from medanon.dicom.quiet import quiet_pydicom
from medanon.dicom.read import EXPLICIT_BIG, IMPLICIT_LITTLE, read_instance
from medanon.dicom.transform import deidentify
from medanon.dicom.write import (
    IMPLEMENTATION_CLASS_UID,
    IMPLEMENTATION_VERSION,
    build_file_meta,
)
from medanon.profile.recipe import default_recipe, parse_recipe
from medanon.profile.ruleset import build_ruleset
from medanon.sample import SampleCollection, generate_sample


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> SampleCollection:
    return generate_sample(tmp_path_factory.mktemp("encode") / "sample", seed=3)


@pytest.mark.parametrize("syntax", ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1",
                                    "1.2.840.10008.1.2.4.50"])
@pytest.mark.parametrize("sop_instance", ["1.2.3", "2.25.1234567890123456789012345678901"])
def test_file_meta_matches_pydicom(syntax: str, sop_instance: str) -> None:
    ds = pydicom.Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.SOPInstanceUID = sop_instance
    meta = build_file_meta(ds, syntax)
    assert [element.keyword for element in meta] == [
        "FileMetaInformationVersion", "MediaStorageSOPClassUID", "MediaStorageSOPInstanceUID",
        "TransferSyntaxUID", "ImplementationClassUID", "ImplementationVersionName"]
    assert meta.MediaStorageSOPInstanceUID == sop_instance and meta.TransferSyntaxUID == syntax
    # pydicom writes the dataset the API returns as exactly the bytes the writer emits.
    reference = DicomBytesIO()
    write_file_meta_info(reference, meta, enforce_standard=True)
    assert encode_file_meta(ds.SOPClassUID, sop_instance, syntax, IMPLEMENTATION_CLASS_UID,
                            IMPLEMENTATION_VERSION) == reference.getvalue()


@pytest.mark.parametrize("options", ['["retain-longitudinal-modified-dates"]',
                                     '["clean-descriptors", "retain-safe-private"]'])
def test_data_sets_match_pydicom(collection: SampleCollection, options: str) -> None:
    recipe = parse_recipe(f"options = {options}\nallow_unchecked_burned_in = true\n")
    ruleset = build_ruleset(recipe if options else default_recipe())
    key = SecretKey(b"encode-test-key".ljust(32, b"."))
    compared = 0
    for item in collection.expected:
        if not item.sop_instance_uid:
            continue
        with quiet_pydicom():
            instance = read_instance(collection.root / item.path)
            ds = deidentify(instance.dataset, ruleset, key,
                            has_pixel_data=instance.has_pixel_data).dataset
            ds.file_meta = build_file_meta(ds, instance.transfer_syntax)
            reference = io.BytesIO()
            pydicom.dcmwrite(reference, ds, enforce_file_format=True)
            ours = io.BytesIO()
            meta = encode_file_meta(str(ds.SOPClassUID), str(ds.SOPInstanceUID),
                                    instance.transfer_syntax, IMPLEMENTATION_CLASS_UID,
                                    IMPLEMENTATION_VERSION)
            write_part10(ours, meta, ds,
                         implicit_vr=instance.transfer_syntax == IMPLICIT_LITTLE,
                         little_endian=instance.transfer_syntax != EXPLICIT_BIG)
        assert ours.getvalue() == reference.getvalue(), Path(item.path).name
        compared += 1
    assert compared >= 30
