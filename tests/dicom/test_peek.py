"""Values read off raw bytes agree with pydicom, and only where leaving them raw is safe."""

from __future__ import annotations

import pytest
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

from medanon.dicom.peek import stored_uid

SOP_INSTANCE = BaseTag(0x00080018)


def _with(value: bytes, vr: str | None = "UI") -> Dataset:
    dataset = Dataset()
    dataset[SOP_INSTANCE] = RawDataElement(SOP_INSTANCE, vr, len(value), value, 0, vr is None,
                                           True)
    return dataset


@pytest.mark.parametrize("value", [b"1.2.3\x00", b"1.2.34", b""])
def test_canonical_uids_are_read_raw_and_stay_raw(value: bytes) -> None:
    dataset = _with(value)
    assert stored_uid(dataset, "SOPInstanceUID") == str(_with(value).SOPInstanceUID)
    assert isinstance(dataset.get_item(SOP_INSTANCE), RawDataElement)


@pytest.mark.parametrize("value", [b"1.2.3 ", b"1.2\\3.4\x00", b"1.22\x00\x00", b"1.2.\xe93"])
def test_anything_pydicom_would_rewrite_is_left_to_it(value: bytes) -> None:
    assert stored_uid(_with(value), "SOPInstanceUID") is None


def test_other_forms_are_left_to_pydicom() -> None:
    assert stored_uid(_with(b"1.2.3\x00", "UN"), "SOPInstanceUID") is None
    assert stored_uid(Dataset(), "SOPInstanceUID") is None
    decoded = Dataset()
    decoded.SOPInstanceUID = "1.2.3"
    assert stored_uid(decoded, "SOPInstanceUID") is None
