"""Decoded US and CS elements are encoded exactly as pydicom's writer encodes them."""

from __future__ import annotations

import pytest
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_data_element
from pydicom.multival import MultiValue

from medanon.dicom.backend.encode import encode_dataset


@pytest.mark.parametrize("implicit_vr", [True, False])
@pytest.mark.parametrize("little_endian", [True, False])
@pytest.mark.parametrize(("tag", "vr", "value"), [
    (0x00280103, "US", 1), (0x00280103, "US", 0), (0x00280103, "US", 65535),
    (0x00280010, "US", MultiValue(int, [1, 2])), (0x00280010, "US", None),
    (0x00080005, "CS", "ISO_IR 100"), (0x00080005, "CS", "ISO_IR 6X"), (0x00080060, "CS", ""),
    (0x00080008, "CS", MultiValue(str, ["ORIGINAL", "PRIMARY"])), (0x00080060, "CS", "A\\B"),
])
def test_simple_elements_match_pydicom(tag: int, vr: str, value: object, implicit_vr: bool,
                                       little_endian: bool) -> None:
    element = DataElement(tag, vr, value)
    reference = DicomBytesIO()
    reference.is_implicit_VR, reference.is_little_endian = implicit_vr, little_endian
    write_data_element(reference, element)
    dataset = Dataset()
    dataset[tag] = element
    assert encode_dataset(dataset, implicit_vr=implicit_vr,
                          little_endian=little_endian) == reference.getvalue()
