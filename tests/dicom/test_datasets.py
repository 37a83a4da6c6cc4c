"""The fast dataset builder gives exactly the state pydicom's constructor gives."""

from __future__ import annotations

from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.tag import BaseTag

from medanon.dicom.datasets import new_dataset, new_file_meta


def _elements() -> dict[BaseTag, RawDataElement]:
    tag = BaseTag(0x00080060)
    return {tag: RawDataElement(tag, "CS", 2, b"CT", 0, False, True)}


def test_state_matches_the_constructor() -> None:
    elements = _elements()
    reference = Dataset(elements)
    reference.set_original_encoding(False, True, ["iso8859"])
    ours = new_dataset(elements, implicit_vr=False, little_endian=True,
                       character_set=["iso8859"])
    assert vars(ours) == vars(reference)
    assert ours._dict is elements  # used as it is, like Dataset(dict)
    assert vars(new_dataset({})) == vars(Dataset({}))


def test_parent_encoding_as_the_reader_passes_it() -> None:
    reference = Dataset({}, parent_encoding=["iso_ir_126"])
    assert vars(new_dataset({}, parent_encoding=["iso_ir_126"])) == vars(reference)


def test_no_mutable_member_is_shared() -> None:
    first, second = new_dataset(_elements()), new_dataset({})
    for name, value in vars(first).items():
        if isinstance(value, (dict, list, set)):
            assert value is not vars(second)[name], name
    first.PatientID = "X"  # goes into first only
    first._private_blocks[(9, "X")] = None  # type: ignore[index]
    assert "PatientID" not in second and not second._private_blocks


def test_file_meta_state_matches_the_constructor() -> None:
    tag = BaseTag(0x00020010)
    elements = {tag: RawDataElement(tag, "UI", 4, b"1.2\x00", 0, False, True)}
    ours = new_file_meta(elements)
    assert type(ours) is FileMetaDataset
    assert vars(ours) == vars(FileMetaDataset(dict(elements)))
    assert ours._private_blocks is not new_file_meta({})._private_blocks
