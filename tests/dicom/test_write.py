"""Writing one instance: rebuilt file meta, zero preamble, atomic and deterministic publishing."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import UID

from medanon.custody.keys import SecretKey
from medanon.dicom.quiet import quiet_pydicom
from medanon.dicom.read import PixelSpan
from medanon.dicom.tempfiles import TEMP_PREFIX, remove_stale_temporaries
from medanon.dicom.uids import medanon_uid
from medanon.dicom.write import (
    IMPLEMENTATION_CLASS_UID,
    Published,
    SourceReadError,
    build_file_meta,
    file_digest,
    output_relpath,
    publish,
    write_temporary,
)
from medanon.errors import DeidentificationError
from medanon.runner.outcome import Status
from medanon.runner.process import RunContext, process_file
from tests.dicom.builders import add_pixels, ct_dataset, ruleset, uid, write_part10

KEY = SecretKey(b"k" * 32)
EXPLICIT_LITTLE = "1.2.840.10008.1.2.1"


def output_dataset(instance: int = 1, description: str = "A") -> Dataset:
    ds = ct_dataset(instance=instance)
    ds.StudyDescription = description
    return ds


def test_file_meta_is_rebuilt_from_the_dataset() -> None:
    ds = output_dataset()
    meta = build_file_meta(ds, EXPLICIT_LITTLE)
    assert meta.MediaStorageSOPClassUID == ds.SOPClassUID
    assert meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert meta.TransferSyntaxUID == EXPLICIT_LITTLE
    assert meta.ImplementationClassUID == IMPLEMENTATION_CLASS_UID
    assert medanon_uid("implementation-class") == IMPLEMENTATION_CLASS_UID
    assert str(meta.ImplementationVersionName).startswith("MEDANON")
    for keyword in ("SourceApplicationEntityTitle", "SendingApplicationEntityTitle",
                    "PrivateInformationCreatorUID", "PrivateInformation"):
        assert keyword not in meta


def test_processed_file_carries_nothing_of_the_source_meta(tmp_path: Path) -> None:
    ds = add_pixels(ct_dataset())
    source = write_part10(tmp_path / "src" / "a.dcm", ds)
    # Add source identifiers to the meta the way a PACS would, then rewrite the file.
    with quiet_pydicom():
        original = pydicom.dcmread(source)
    original.file_meta.PrivateInformationCreatorUID = UID(uid(4, 4))
    original.file_meta.PrivateInformation = b"DOE!"
    original.file_meta.SourceApplicationEntityTitle = "PACS_DOE"
    original.save_as(source, enforce_file_format=True)

    ctx = RunContext(source.parent, tmp_path / "out", ruleset(), KEY, durable=False)
    outcome = process_file(source, ctx)
    assert outcome.status is Status.WRITTEN and outcome.output is not None
    written = tmp_path / "out" / outcome.output
    raw = written.read_bytes()
    assert raw[:128] == bytes(128) and raw[128:132] == b"DICM"
    assert b"DOE" not in raw and b"PACS" not in raw and b"SRC_AE" not in raw
    with quiet_pydicom():
        out = pydicom.dcmread(written)
    meta = out.file_meta
    assert "SourceApplicationEntityTitle" not in meta and "PrivateInformation" not in meta
    assert "PrivateInformationCreatorUID" not in meta
    assert meta.ImplementationClassUID == IMPLEMENTATION_CLASS_UID
    assert meta.MediaStorageSOPInstanceUID == out.SOPInstanceUID
    assert out.PixelData == ds.PixelData, "pixel data is copied byte for byte"


def test_output_relpath_uses_only_new_identifiers() -> None:
    ds = output_dataset()
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID = "2.25.1", "2.25.2", "2.25.3"
    assert output_relpath("MAABCDEF234567", ds) == Path(
        "MAABCDEF234567", "2.25.1", "2.25.2", "2.25.3.dcm")


@pytest.mark.parametrize(("keyword", "value"), [
    ("StudyInstanceUID", "../../etc"), ("SeriesInstanceUID", "DOE^JOHN"),
    ("SOPInstanceUID", ""), ("SOPInstanceUID", "1" * 65)])
def test_output_relpath_refuses_anything_but_a_uid(keyword: str, value: str) -> None:
    ds = output_dataset()
    with quiet_pydicom():
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID = "2.25.1", "2.25.2", "2.25.3"
        setattr(ds, keyword, value)
    with pytest.raises(DeidentificationError):
        output_relpath("MAABCDEF234567", ds)


@pytest.mark.parametrize("pseudonym", ["../x", "MA/ABC", "", "ma-lower"])
def test_output_relpath_refuses_unsafe_pseudonyms(pseudonym: str) -> None:
    ds = output_dataset()
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID = "2.25.1", "2.25.2", "2.25.3"
    with pytest.raises(DeidentificationError):
        output_relpath(pseudonym, ds)


def temporary(target: Path, description: str) -> Path:
    with quiet_pydicom():
        return write_temporary(target, output_dataset(description=description), EXPLICIT_LITTLE,
                               durable=False)


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX)]


def test_publish_created_then_identical(tmp_path: Path) -> None:
    target = tmp_path / "a" / "x.dcm"
    first = temporary(target, "A")
    assert first.name.startswith(TEMP_PREFIX) and first.parent == target.parent
    assert not target.exists(), "nothing is visible before publishing"
    assert publish(first, target) == (Published.CREATED, None)
    content = target.read_bytes()
    assert publish(temporary(target, "A"), target) == (Published.IDENTICAL, None)
    assert target.read_bytes() == content
    assert leftovers(target.parent) == []


def test_publish_settles_a_clash_the_same_way_in_any_order(tmp_path: Path) -> None:
    outcomes = {}
    for order in (("A", "B"), ("B", "A")):
        target = tmp_path / "".join(order) / "x.dcm"
        digests = {}
        for description in order:
            temp = temporary(target, description)
            digests[description] = file_digest(temp)
            result, digest = publish(temp, target)
            if result is not Published.CREATED:
                assert result in (Published.REPLACED, Published.LOST)
                assert digest == digests[description]
        winner = min(digests, key=digests.__getitem__)
        assert file_digest(target) == digests[winner], "the smaller digest wins"
        outcomes[order] = target.read_bytes()
        assert leftovers(target.parent) == []
    assert outcomes[("A", "B")] == outcomes[("B", "A")]


def test_write_temporary_needs_sop_identifiers(tmp_path: Path) -> None:
    ds = output_dataset()
    del ds.SOPInstanceUID
    with pytest.raises(DeidentificationError):
        write_temporary(tmp_path / "x.dcm", ds, EXPLICIT_LITTLE, durable=False)
    assert leftovers(tmp_path) == []


def test_a_failed_write_leaves_no_temporary(tmp_path: Path) -> None:
    ds = output_dataset()
    with quiet_pydicom():
        ds.add_new(0x00181030, "LO", object())  # a value pydicom cannot encode
    # The header is encoded before anything is written: the input's fault, said as such.
    with quiet_pydicom(), pytest.raises(DeidentificationError, match=r"\(TypeError\)"):
        write_temporary(tmp_path / "x.dcm", ds, EXPLICIT_LITTLE, durable=False)
    assert leftovers(tmp_path) == []


def test_a_source_that_cannot_be_read_is_the_inputs_error(tmp_path: Path) -> None:
    ds = output_dataset()
    gone = tmp_path / "gone.dcm"  # removed between reading its header and copying its pixels
    span = PixelSpan(start=0, end=8, encapsulated=False)
    with quiet_pydicom(), pytest.raises(SourceReadError, match="cannot read the file"):
        write_temporary(tmp_path / "x.dcm", ds, EXPLICIT_LITTLE, source=gone, span=span,
                        durable=False)
    assert leftovers(tmp_path) == []


def test_stale_temporaries_are_removed(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / f"{TEMP_PREFIX}123-x.dcm").write_bytes(b"half")
    (tmp_path / "a" / "keep.dcm").write_bytes(b"whole")
    assert remove_stale_temporaries(tmp_path) == 1
    assert (tmp_path / "a" / "keep.dcm").exists()
    assert not (tmp_path / "a" / "b" / f"{TEMP_PREFIX}123-x.dcm").exists()
