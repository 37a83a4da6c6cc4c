"""Datasets from the fast builder behave as the datasets pydicom's constructor makes."""

from __future__ import annotations

import io

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.tag import BaseTag

from medanon.dicom.backend.datasets import new_dataset, new_file_meta


def _elements(name: bytes = b"\xc9COLE ") -> dict[BaseTag, RawDataElement]:
    modality, patient = BaseTag(0x00080060), BaseTag(0x00100010)
    return {modality: RawDataElement(modality, "CS", 2, b"CT", 0, False, True),
            patient: RawDataElement(patient, "PN", len(name), name, 0, False, True)}


def _written(dataset: Dataset) -> bytes:
    out = io.BytesIO()
    pydicom.dcmwrite(out, dataset, implicit_vr=False, little_endian=True)
    return out.getvalue()


def _public_state(dataset: Dataset) -> tuple[object, ...]:
    return (dataset.original_encoding, dataset.original_character_set,
            dataset.is_undefined_length_sequence_item,
            [(element.tag, element.VR, element.value) for element in dataset])


def test_values_encoding_and_bytes_match_the_constructor() -> None:
    reference = Dataset(_elements())
    reference.set_original_encoding(False, True, ["iso8859"])
    ours = new_dataset(_elements(), implicit_vr=False, little_endian=True,
                       character_set=["iso8859"])
    assert _public_state(ours) == _public_state(reference)
    assert str(ours.PatientName) == "\xc9COLE"
    assert _written(ours) == _written(reference)
    assert _public_state(new_dataset({})) == _public_state(Dataset({}))


def test_parent_encoding_as_the_reader_passes_it() -> None:
    reference = Dataset(_elements(b"DOE^JO"), parent_encoding=["iso_ir_126"])
    ours = new_dataset(_elements(b"DOE^JO"), parent_encoding=["iso_ir_126"])
    assert _public_state(ours) == _public_state(reference)
    assert _written(ours) == _written(reference)


def test_datasets_share_nothing() -> None:
    first, second = new_dataset(_elements()), new_dataset({})
    first.PatientID = "X"  # goes into first only
    first.private_block(0x0009, "SITE", create=True).add_new(0x01, "LO", "v")
    assert "PatientID" not in second and len(second) == 0
    assert second.private_creators(0x0009) == []
    assert new_dataset({}).private_creators(0x0009) == []


def test_file_meta_matches_the_constructor() -> None:
    tag = BaseTag(0x00020010)

    def elements() -> dict[BaseTag, RawDataElement]:
        return {tag: RawDataElement(tag, "UI", 4, b"1.2\x00", 0, False, True)}

    ours, reference = new_file_meta(elements()), FileMetaDataset(elements())
    assert type(ours) is FileMetaDataset
    assert _public_state(ours) == _public_state(reference)
    assert ours.TransferSyntaxUID == "1.2"
    ours.ImplementationVersionName = "X"
    assert "ImplementationVersionName" not in new_file_meta({})
