"""Personal data planted in one place each, in a clean medanon output: verify finds each.

Every case starts from a copy of a clean output of the sample (which passes, exit 0),
plants one source value in one place, and expects a finding there with exit code 1.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset, FileDataset
from pydicom.encaps import encapsulate, generate_frames
from pydicom.sequence import Sequence

from medanon.custody.keys import SecretKey
from medanon.sample import FileKind, SampleCollection
from medanon.verify import Finding, VerifyOptions, verify_folder

SourceOf = Callable[[Path], FileDataset]


def _verify(out: Path, collection: SampleCollection, key: SecretKey | None) -> list[Finding]:
    result = verify_folder(out, VerifyOptions(against=collection.root, key=key, workers=1,
                                              dciodvfy="off"))
    assert result.exit_code == (1 if result.findings else 0)
    return result.findings


def _first_output(out: Path, modality: str = "CT") -> Path:
    for path in sorted(out.rglob("*.dcm")):
        if pydicom.dcmread(path, stop_before_pixels=True).Modality == modality:
            return path
    raise AssertionError(f"no {modality} output")


def _where(findings: list[Finding], category: str) -> set[tuple[str, str]]:
    return {(f.file, f.location) for f in findings if f.category == category}


def test_clean_output_passes(clean_output: Path, collection: SampleCollection,
                             key: SecretKey) -> None:
    result = verify_folder(clean_output, VerifyOptions(against=collection.root, key=key,
                                                       workers=1, dciodvfy="off"))
    assert result.findings == []
    assert result.exit_code == 0
    counts = collection.counts
    assert result.summary["accounting"] == {
        "paired": counts.written, "missing": 0,
        "reported": counts.withheld + counts.failed + counts.excluded}


def test_name_in_nested_sequence(output_copy: Path, collection: SampleCollection,
                                 key: SecretKey, source_of: SourceOf) -> None:
    path = _first_output(output_copy)
    ds = pydicom.dcmread(path)
    family = str(source_of(path).PatientName.family_name)
    inner = Dataset()
    inner.AccessionNumber = family[:16]
    outer = Dataset()
    outer.RequestAttributesSequence = Sequence([inner])
    ds.ScheduledStepAttributesSequence = Sequence([outer])  # (0040,0270)
    ds.save_as(path)
    findings = _verify(output_copy, collection, key)
    relative = path.relative_to(output_copy).as_posix()
    assert (relative, "(0040,0270)[0].(0040,0275)[0].(0008,0050)") in _where(findings, "name")


def test_id_in_private_element(output_copy: Path, collection: SampleCollection,
                               key: SecretKey, source_of: SourceOf) -> None:
    path = _first_output(output_copy, "MR")
    ds = pydicom.dcmread(path)
    block = ds.private_block(0x0045, "SOME VENDOR", create=True)
    block.add_new(0x20, "LO", str(source_of(path).PatientID))
    ds.save_as(path)
    findings = _verify(output_copy, collection, key)
    relative = path.relative_to(output_copy).as_posix()
    assert (relative, "(0045,1020)") in _where(findings, "id")
    assert (relative, "(0045,1020)") in _where(findings, "private")


def test_name_in_preamble(output_copy: Path, collection: SampleCollection, key: SecretKey,
                          source_of: SourceOf) -> None:
    path = _first_output(output_copy)
    name = str(source_of(path).PatientName).encode("utf-8")
    data = bytearray(path.read_bytes())
    data[4:4 + len(name)] = name
    path.write_bytes(bytes(data))
    findings = _verify(output_copy, collection, key)
    assert (path.relative_to(output_copy).as_posix(), "preamble") in _where(findings, "name")


def test_name_in_jpeg_comment(output_copy: Path, collection: SampleCollection,
                              key: SecretKey, source_of: SourceOf) -> None:
    path = next(p for p in sorted(output_copy.rglob("*.dcm"))
                if pydicom.dcmread(p, stop_before_pixels=True).file_meta
                .TransferSyntaxUID.is_compressed)
    ds = pydicom.dcmread(path)
    text = f"Key image of {source_of(path).PatientName.family_name}".encode("latin-1")
    frame = next(generate_frames(ds.PixelData, number_of_frames=1))
    comment = b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text
    ds.PixelData = encapsulate([frame[:2] + comment + frame[2:]])
    ds.save_as(path)
    findings = _verify(output_copy, collection, key)
    assert (path.relative_to(output_copy).as_posix(), "pixel-data") in _where(findings, "name")


def test_id_in_path_component(output_copy: Path, collection: SampleCollection,
                              key: SecretKey, source_of: SourceOf) -> None:
    path = _first_output(output_copy)
    patient_id = str(source_of(path).PatientID)
    renamed = path.parent.parent / f"series of {patient_id}"
    path.parent.rename(renamed)
    findings = _verify(output_copy, collection, key)
    assert (renamed / path.name).relative_to(output_copy).as_posix() in {
        file for file, location in _where(findings, "id") if location == "path"}


@pytest.mark.parametrize(("keyword", "tag", "category"), [
    ("StudyDate", "(0008,0020)", "date"),  # an unshifted date
    ("SeriesInstanceUID", "(0020,000E)", "uid"),  # an original UID, not remapped
])
def test_original_value_put_back(output_copy: Path, collection: SampleCollection,
                                 key: SecretKey, source_of: SourceOf, keyword: str, tag: str,
                                 category: str) -> None:
    path = _first_output(output_copy)
    ds = pydicom.dcmread(path)
    setattr(ds, keyword, getattr(source_of(path), keyword))
    ds.save_as(path)
    findings = _verify(output_copy, collection, key)
    assert (path.relative_to(output_copy).as_posix(), tag) in _where(findings, category)


def test_kept_overlay(output_copy: Path, collection: SampleCollection, key: SecretKey) -> None:
    path = _first_output(output_copy, "MR")
    ds = pydicom.dcmread(path)
    ds.add_new(0x60000010, "US", int(ds.Rows))
    ds.add_new(0x60000011, "US", int(ds.Columns))
    ds.add_new(0x60003000, "OW", bytes(int(ds.Rows) * int(ds.Columns) // 8))
    ds.save_as(path)
    findings = _verify(output_copy, collection, key)
    assert (path.relative_to(output_copy).as_posix(), "(6000,3000)") in _where(findings,
                                                                              "overlay")


def test_vanished_input_is_missing(output_copy: Path, collection: SampleCollection,
                                   key: SecretKey) -> None:
    path = _first_output(output_copy)
    path.unlink()
    findings = _verify(output_copy, collection, key)
    missing = [f for f in findings if f.category == "missing"]
    assert len(missing) == 1 and len(missing[0].file) == 20


@pytest.mark.parametrize("keyed", [True, False])
def test_every_planted_value_of_a_plain_copy_is_found(
        collection: SampleCollection, key: SecretKey, tmp_path: Path, keyed: bool) -> None:
    import shutil

    from medanon.verify.text import variants

    copy = tmp_path / "copy"
    shutil.copytree(collection.root, copy)
    findings = _verify(copy, collection, key if keyed else None)
    found: set[str] = set()
    for finding in findings:
        for value in finding.values:
            found |= variants(value)
    missed = []
    for planted in collection.planted_values:
        spellings = variants(planted.value)
        # Found as written, or through a part of it (a name component, a phrase of it).
        if not spellings & found and not any(len(f) >= 3 and f in s
                                             for f in found for s in spellings):
            missed.append(planted.kind)
    assert not missed, f"{len(missed)} planted values not found: kinds {sorted(set(missed))}"
    assert {f.category for f in findings} >= {"name", "id", "date", "address", "phone",
                                              "institution", "device", "physician", "uid",
                                              "private", "overlay", "burned-in"}


def test_symbolic_link_into_the_source(output_copy: Path, collection: SampleCollection,
                                       key: SecretKey) -> None:
    target = collection.root / collection.paths_of(FileKind.BURNED_IN)[0]
    link = output_copy / "extra.dcm"
    link.symlink_to(target)
    findings = _verify(output_copy, collection, key)
    assert ("extra.dcm", "file") in _where(findings, "structure")
    assert ("extra.dcm", "(0010,0010)") in _where(findings, "name")
