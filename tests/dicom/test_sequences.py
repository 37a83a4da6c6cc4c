"""Sequences decoded from raw bytes come out exactly as pydicom decodes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

from medanon.dicom.quiet import quiet_pydicom
from medanon.dicom.read import read_instance
from medanon.dicom.sequences import decode_sequence
from medanon.errors import InputError
from medanon.sample import generate_sample
from tests.dicom.test_fastread import PYDICOM_FILES


def _same_element(ours: Any, theirs: Any, where: str) -> None:
    assert type(ours) is type(theirs), where
    if isinstance(ours, RawDataElement):
        assert ours == theirs, where
        return
    assert isinstance(ours, DataElement)
    assert (ours.tag, ours.VR, ours.file_tell, ours.is_undefined_length) == (
        theirs.tag, theirs.VR, theirs.file_tell, theirs.is_undefined_length), where
    if ours.VR != "SQ":
        assert ours.value == theirs.value, where
        return
    assert ours.value.is_undefined_length == theirs.value.is_undefined_length, where
    assert len(ours.value) == len(theirs.value), where
    for index, (mine, other) in enumerate(zip(ours.value, theirs.value, strict=True)):
        _same_dataset(mine, other, f"{where}[{index}]")


def _same_dataset(ours: Dataset, theirs: Dataset, where: str) -> None:
    mine, other = dict(vars(ours)), dict(vars(theirs))
    elements, their_elements = mine.pop("_dict"), other.pop("_dict")
    assert mine == other, where
    assert list(elements) == list(their_elements), where
    for tag, element in elements.items():
        _same_element(element, their_elements[tag], f"{where}/{tag}")


def _sources(tmp_path: Path) -> list[Path]:
    collection = generate_sample(tmp_path / "sample")
    sources = [p for p in sorted(PYDICOM_FILES.iterdir()) if p.suffix == ".dcm"]
    return sources + [collection.root / f for f in collection.files]


def _read(path: Path) -> Dataset | None:
    try:
        return read_instance(path).dataset
    except InputError:
        return None


def _decoded_tags(dataset: Dataset) -> set[BaseTag]:
    return {tag for tag, element in dataset._dict.items() if isinstance(element, DataElement)}


def _compare(ours: Dataset, theirs: Dataset, decoded: list[int], where: str) -> None:
    """Decode every raw sequence of ``ours`` ourselves and of ``theirs`` by pydicom.

    The same elements end up decoded in both (the sequences, and what pydicom decodes on
    the way: private creators, the pixel representation), with the same values.
    """
    ours_before, theirs_before = _decoded_tags(ours), _decoded_tags(theirs)
    for tag in list(ours.keys()):
        raw = ours._dict[tag]
        if not isinstance(raw, RawDataElement) or raw.VR not in ("SQ", None):
            continue
        element = decode_sequence(raw, ours)
        if element is None:
            continue
        reference = theirs[tag]
        _same_element(element, reference, f"{where}/{tag}")
        decoded.append(tag)
        for mine, other in zip(element.value, reference.value, strict=True):
            _compare(mine, other, decoded, where)
    changed = _decoded_tags(ours) - ours_before
    assert changed == _decoded_tags(theirs) - theirs_before, where
    for key in changed:
        _same_element(ours._dict[key], theirs._dict[key], f"{where}/{key}")
    mine, other = dict(vars(ours)), dict(vars(theirs))
    assert mine.pop("_dict").keys() == other.pop("_dict").keys(), where
    assert mine == other, where


def test_sequences_decode_as_pydicom_decodes(tmp_path: Path) -> None:
    decoded: list[int] = []
    with quiet_pydicom():
        for path in _sources(tmp_path):
            ours, theirs = _read(path), _read(path)
            if ours is None or theirs is None:
                continue
            _compare(ours, theirs, decoded, path.name)
    assert len(decoded) >= 100


@pytest.mark.parametrize("value", [b"\xfe\xff\x00\xe0\x10\x00\x00\x00",  # runs past the end
                                   b"\x08\x00\x50\x00SH\x02\x00AB",  # not an item
                                   b"\xfe\xff\x00\xe0\x08\x00\x00\x00\x08\x00\x05\x00CS\x00\x00"])
def test_what_pydicom_must_judge_is_left_to_it(value: bytes) -> None:
    parent = Dataset()
    raw = RawDataElement(BaseTag(0x00081140), "SQ", len(value), value, 0, False,
                         True)
    parent[0x00081140] = raw
    assert decode_sequence(raw, parent) is None
    assert parent._dict[BaseTag(0x00081140)] is raw
