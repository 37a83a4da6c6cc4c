"""Private creators are read off their raw bytes only where that changes no output byte."""

from __future__ import annotations

import pytest
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

from medanon.dicom.private import _creator_text

CREATOR = BaseTag(0x00090010)


def _with(value: bytes, vr: str | None = "LO") -> Dataset:
    dataset = Dataset()
    dataset[CREATOR] = RawDataElement(CREATOR, vr, len(value), value, 0, vr is None, True)
    return dataset


@pytest.mark.parametrize("value", [b"GEMS_ACQU_01", b"SIEMENS CSA ", b"ODD ", b""])
def test_canonical_creators_stay_raw(value: bytes) -> None:
    dataset = _with(value)
    assert _creator_text(dataset, CREATOR) == str(_with(value)[CREATOR].value).strip(" \x00")
    assert isinstance(dataset._dict[CREATOR], RawDataElement)


@pytest.mark.parametrize("value", [b"SIEMENS   ", b"ODD", b"GEMS\x00\x00", b"A\\B ", b"\xc9COLE "])
def test_others_are_decoded_as_before(value: bytes) -> None:
    dataset = _with(value)
    expected = _with(value)[CREATOR].value
    expected = expected.decode("latin-1") if isinstance(expected, bytes) else expected
    assert _creator_text(dataset, CREATOR) == str(expected).strip(" \x00")
    assert isinstance(dataset._dict[CREATOR], DataElement)
