"""Values read off raw bytes agree with pydicom, and only where leaving them raw is safe."""

from __future__ import annotations

import pytest
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

from medanon.dicom.backend.encode import encode_dataset
from medanon.dicom.backend.peek import patient_name_text, peek, stored_charset, stored_uid

SOP_INSTANCE = BaseTag(0x00080018)


def _with(value: bytes, vr: str | None = "UI") -> Dataset:
    dataset = Dataset()
    dataset[SOP_INSTANCE] = RawDataElement(SOP_INSTANCE, vr, len(value), value, 0, vr is None,
                                           True)
    return dataset


@pytest.mark.parametrize("value", [b"1.2.3\x00", b"1.2.34", b""])
def test_canonical_uids_are_read_as_pydicom_reads_them_and_written_as_read(value: bytes
                                                                          ) -> None:
    dataset = _with(value)
    assert stored_uid(dataset, "SOPInstanceUID") == str(_with(value).SOPInstanceUID)
    header = b"\x08\x00\x18\x00UI" + len(value).to_bytes(2, "little")
    assert encode_dataset(dataset, implicit_vr=False, little_endian=True) == header + value


@pytest.mark.parametrize("value", [b"1.2.3 ", b"1.2\\3.4\x00", b"1.22\x00\x00", b"1.2.\xe93"])
def test_anything_pydicom_would_rewrite_is_left_to_it(value: bytes) -> None:
    assert stored_uid(_with(value), "SOPInstanceUID") is None


def test_other_forms_are_left_to_pydicom() -> None:
    assert stored_uid(_with(b"1.2.3\x00", "UN"), "SOPInstanceUID") is None
    assert stored_uid(Dataset(), "SOPInstanceUID") is None
    decoded = Dataset()
    decoded.SOPInstanceUID = "1.2.3"
    assert stored_uid(decoded, "SOPInstanceUID") is None


NAMES = [b"DOE^JOHN", b"DOE^JOHN ", b"A^^^", b" LEAD", b"A  B ", b"X^Y^^DR\x00", b"=", b"A^B=C^D",
         b"A\\B", b"", b"\xc9COLE^A"]
CHARSETS = [None, b"ISO_IR 100", b"ISO_IR 100  ", b"ISO_IR 192", b"ISO_IR 6", b"ISO 2022 IR 87",
            b"GB18030 ", b"\\ISO 2022 IR 100", b""]


def _named(name: bytes, charset: bytes | None) -> Dataset:
    dataset = Dataset()
    if charset is not None:
        tag = BaseTag(0x00080005)
        dataset[tag] = RawDataElement(tag, "CS", len(charset), charset, 0, False, True)
    tag = BaseTag(0x00100010)
    dataset[tag] = RawDataElement(tag, "PN", len(name), name, 0, False, True)
    return dataset


def _pydicom_way(dataset: Dataset) -> str | Exception:
    try:
        return str(peek(dataset, "PatientName", "") or "")
    except Exception as exc:  # pydicom fails on some names in some character sets
        return exc


@pytest.mark.parametrize("charset", CHARSETS)
@pytest.mark.parametrize("name", NAMES)
def test_patient_names_read_as_pydicom_reads_them(name: bytes, charset: bytes | None) -> None:
    ours, theirs = _named(name, charset), _named(name, charset)
    expected = _pydicom_way(theirs)
    if isinstance(expected, Exception):
        with pytest.raises(type(expected)):
            patient_name_text(ours)
        return
    assert patient_name_text(ours) == expected
    # Whatever pydicom decoded in place on the way, the bytes written are the same.
    assert encode_dataset(ours, implicit_vr=False, little_endian=True) == \
        encode_dataset(theirs, implicit_vr=False, little_endian=True)


@pytest.mark.parametrize("charset", CHARSETS)
def test_raw_character_sets_are_read_only_when_canonical(charset: bytes | None) -> None:
    dataset = _named(b"", charset)
    text = stored_charset(dataset)
    if text is not None:
        assert text == peek(dataset, "SpecificCharacterSet")
        assert charset == (text.encode() + b" " if len(text) % 2 else text.encode())
