"""The verifier's one walk: every element visited, text as pydicom converts it.

The walk converts only text and remembers conversions by raw bytes; these tests hold
it to a full pydicom conversion of the same files, element by element.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pydicom
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from medanon.custody.keys import SecretKey
from medanon.sample import SampleCollection
from medanon.verify import VerifyOptions, verify_folder
from medanon.verify.elements import BLOB_VRS, PIXEL_TAGS, TEXT_VRS, Memo, walk
from medanon.verify.findings import tag_text


def _expected(ds: Dataset, prefix: str = "") -> list[tuple[str, str, tuple[str, ...]]]:
    """(path, VR, texts) of every element, from pydicom converting all of them."""
    out = []
    for element in ds:
        path = prefix + tag_text(int(element.tag))
        value, texts = element.value, ()
        if int(element.tag) in PIXEL_TAGS or element.VR == "SQ" or value is None:
            pass
        elif element.VR in TEXT_VRS:
            items = list(value) if isinstance(value, MultiValue | list | tuple) else [value]
            texts = tuple(str(v) for v in items)
        elif element.VR in BLOB_VRS and isinstance(value, bytes) and not (
                element.tag.group & 0xFF00 == 0x6000 and element.tag.element == 0x3000):
            texts = (value.decode("latin-1"), value.decode("utf-8", errors="ignore"))
        out.append((path, element.VR, texts))
        if element.VR == "SQ":
            for number, item in enumerate(value or []):
                out += _expected(item, f"{path}[{number}].")
    return out


def _walked(ds: Dataset, memo: Memo) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(p.path, p.vr, p.texts) for p in walk(ds, memo)]


def test_walk_matches_a_full_conversion_of_the_sample(collection: SampleCollection) -> None:
    memo = Memo()
    paths = [collection.root / item.path for item in collection.dicom_files]
    for _round in range(2):  # the second round answers from the memo
        for path in paths:
            expected = _expected(pydicom.dcmread(path))
            assert _walked(pydicom.dcmread(path), memo) == expected, path
    assert memo.entries


def _file(charset: str, name: bytes, syntax: str = ExplicitVRLittleEndian) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = syntax
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = "2.25.1"
    ds.SpecificCharacterSet = charset
    ds.add(DataElement(0x00100010, "PN", name))
    ds.add_new(0x00280010, "US", 4)
    item = Dataset()
    item.add(DataElement(0x00081050, "PN", name))
    ds.ReferencedStudySequence = Sequence([item])
    return ds


def test_same_bytes_under_another_character_set_are_converted_again(tmp_path: Path) -> None:
    memo = Memo()
    name = "Müller^Jörg".encode()
    texts = {}
    for charset in ("ISO_IR 192", "ISO_IR 100"):
        path = tmp_path / f"{charset}.dcm"
        _file(charset, name).save_as(path, enforce_file_format=True)
        places = {p.path: p.texts for p in walk(pydicom.dcmread(path), memo)}
        texts[charset] = places
        # The item inherits its parent's character set, as pydicom decodes it.
        assert places["(0008,1110)[0].(0008,1050)"] == places["(0010,0010)"]
    assert texts["ISO_IR 192"]["(0010,0010)"] == ("Müller^Jörg",)
    assert texts["ISO_IR 100"]["(0010,0010)"] == (name.decode("latin-1"),)


def test_numbers_are_visited_but_not_converted(tmp_path: Path) -> None:
    path = tmp_path / "f.dcm"
    _file("ISO_IR 192", b"A^B").save_as(path, enforce_file_format=True)
    ds = pydicom.dcmread(path)
    places = {p.path: p for p in walk(ds, Memo())}
    assert places["(0028,0010)"].vr == "US" and places["(0028,0010)"].texts == ()
    assert isinstance(ds.get_item(0x00280010), RawDataElement)
    assert ds.Rows == 4


def test_implicit_vr_text_is_converted(tmp_path: Path) -> None:
    path = tmp_path / "implicit.dcm"
    _file("ISO_IR 192", "Jörg".encode(), ImplicitVRLittleEndian).save_as(
        path, enforce_file_format=True)
    ds = pydicom.dcmread(path)
    assert _walked(ds, Memo()) == _expected(pydicom.dcmread(path))
    assert {p.path: p.vr for p in walk(ds, Memo())}["(0028,0010)"] == "US"


def test_element_after_the_pixel_data_is_checked(
        clean_output: Path, collection: SampleCollection, key: SecretKey,
        tmp_path: Path, source_of: Callable[[Path], FileDataset]) -> None:
    out = tmp_path / "out"
    shutil.copytree(clean_output, out)
    path = next(p for p in sorted(out.rglob("*.dcm"))
                if "PixelData" in (d := pydicom.dcmread(p))
                and not d.file_meta.TransferSyntaxUID.is_compressed)
    ds = pydicom.dcmread(path)
    patient_id = str(source_of(path).PatientID)
    block = ds.private_block(0x7FE1, "AFTER PIXELS", create=True)
    block.add_new(0x10, "LO", patient_id)
    ds.save_as(path)
    result = verify_folder(out, VerifyOptions(against=collection.root, key=key, workers=1,
                                              dciodvfy="off"))
    relative = path.relative_to(out).as_posix()
    where = {(f.category, f.location) for f in result.findings if f.file == relative}
    assert ("id", "(7FE1,1010)") in where and ("private", "(7FE1,1010)") in where
    # Without the source only the header is read, the pixel data skipped on disk: the
    # element after it is still checked.
    alone = verify_folder(out, VerifyOptions(workers=1, dciodvfy="off"))
    assert ("private", "(7FE1,1010)") in {(f.category, f.location) for f in alone.findings
                                          if f.file == relative}
    assert alone.summary["bytes_read"] == sum(p.stat().st_size for p in out.rglob("*")
                                              if p.is_file() and ".medanon" not in p.parts
                                              and "medanon-release" not in p.parts)
