"""Sequences decoded from raw bytes have the values and bytes pydicom's decoding gives."""

from __future__ import annotations

import io
from pathlib import Path

import pydicom
import pytest
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

from medanon.dicom.backend.encode import encode_dataset
from medanon.dicom.backend.sequences import decode_sequence
from medanon.dicom.quiet import quiet_pydicom
from medanon.dicom.read import read_instance
from medanon.errors import InputError
from medanon.sample import generate_sample
from tests.dicom.test_fastread import PYDICOM_FILES


def _values(dataset: Dataset) -> list[tuple[object, ...]]:
    """Every element at every depth, as pydicom's public API shows it."""
    return [(element.tag, element.VR, None if element.VR == "SQ" else element.value)
            for element in dataset.iterall()]


def _written(dataset: Dataset) -> bytes:
    out = io.BytesIO()
    pydicom.dcmwrite(out, dataset, implicit_vr=False, little_endian=True)
    return out.getvalue()


def _sources(tmp_path: Path) -> list[Path]:
    collection = generate_sample(tmp_path / "sample")
    sources = [p for p in sorted(PYDICOM_FILES.iterdir()) if p.suffix == ".dcm"]
    return sources + [collection.root / f for f in collection.files]


def _read(path: Path) -> Dataset | None:
    try:
        return read_instance(path).dataset
    except InputError:
        return None


def _decode_all(ours: Dataset, theirs: Dataset, decoded: list[int]) -> None:
    """Decode every raw sequence of ``ours`` ourselves, and of ``theirs`` by pydicom."""
    for tag in list(ours.keys()):
        raw = ours.get_item(tag)
        if not isinstance(raw, RawDataElement) or raw.VR not in ("SQ", None):
            continue
        element = decode_sequence(raw, ours)
        if element is None:
            continue
        decoded.append(tag)
        for mine, other in zip(element.value, theirs[tag].value, strict=True):
            _decode_all(mine, other, decoded)


def test_sequences_decode_as_pydicom_decodes(tmp_path: Path) -> None:
    decoded: list[int] = []
    with quiet_pydicom():
        for path in _sources(tmp_path):
            ours, theirs = _read(path), _read(path)
            if ours is None or theirs is None:
                continue
            _decode_all(ours, theirs, decoded)
            assert _values(ours) == _values(theirs), path.name
            try:
                expected: bytes | type[Exception] = _written(theirs)
            except Exception as exc:  # a value pydicom cannot write: ours must fail too
                expected = type(exc)
            if isinstance(expected, bytes):
                assert _written(ours) == expected, path.name
    assert len(decoded) >= 100


@pytest.mark.parametrize("value", [b"\xfe\xff\x00\xe0\x10\x00\x00\x00",  # runs past the end
                                   b"\x08\x00\x50\x00SH\x02\x00AB",  # not an item
                                   b"\xfe\xff\x00\xe0\x08\x00\x00\x00\x08\x00\x05\x00CS\x00\x00"])
def test_what_pydicom_must_judge_is_left_to_it(value: bytes) -> None:
    parent = Dataset()
    raw = RawDataElement(BaseTag(0x00081140), "SQ", len(value), value, 0, False,
                         True)
    parent[0x00081140] = raw
    before = encode_dataset(parent, implicit_vr=False, little_endian=True)
    assert decode_sequence(raw, parent) is None
    assert encode_dataset(parent, implicit_vr=False, little_endian=True) == before
