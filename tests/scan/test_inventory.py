"""The scan's counts on the sample collection, against what the generator says it wrote."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pydicom
import pytest

from medanon.custody.keys import SecretKey
from medanon.dicom.pseudonyms import patient_pseudonym
from medanon.sample import SampleCollection
from medanon.sample.collection import FileKind
from medanon.scan import FileStatus, ScanResult, scan_file, scan_folder
from medanon.scan.record import ScanSettings


def test_file_counts_match_the_sample(sample: SampleCollection, scanned: ScanResult) -> None:
    files = scanned.summary()["files"]
    assert files["total"] == len(sample.files)
    assert files["dicom"] == len(sample.dicom_files)
    assert files["dicomdir"] == len(sample.paths_of(FileKind.DICOMDIR)) == 1
    assert files["not-dicom"] == len(sample.paths_of(FileKind.NOT_DICOM)) == 2
    assert files["unreadable"] == 0
    total = sum((sample.root / p).stat().st_size for p in sample.files)
    assert scanned.summary()["bytes"]["total"] == total


def test_patients_studies_series_instances(sample: SampleCollection,
                                           scanned: ScanResult) -> None:
    summary = scanned.summary()
    assert summary["patients"] == sample.patients
    assert summary["studies"] == sample.studies
    assert summary["series"] == sample.series
    assert summary["instances"] == len({f.sop_instance_uid for f in sample.dicom_files})


def test_formats_and_equipment(sample: SampleCollection, scanned: ScanResult) -> None:
    summary = scanned.summary()
    assert summary["modalities"] == dict(Counter(f.modality for f in sample.dicom_files))
    assert {s["uid"]: s["files"] for s in summary["sop_classes"]} == \
        dict(Counter(f.sop_class_uid for f in sample.dicom_files))
    assert {s["uid"]: s["files"] for s in summary["transfer_syntaxes"]} == \
        dict(Counter(f.transfer_syntax for f in sample.dicom_files))
    equipment = Counter()
    for f in sample.dicom_files:
        ds = pydicom.dcmread(sample.root / f.path, stop_before_pixels=True)
        equipment[(str(ds.get("Manufacturer", "")), str(ds.get("ManufacturerModelName", "")))] += 1
    assert {(e["manufacturer"], e["model"]): e["files"] for e in summary["equipment"]} == \
        dict(equipment)


def test_bad_files_are_counted_never_fatal(sample: SampleCollection, scan_key: SecretKey,
                                           tmp_path: Path) -> None:
    root = tmp_path / "with-bad-files"
    shutil.copytree(sample.root, root)
    good = root / sample.dicom_files[0].path
    data = good.read_bytes()
    (root / "truncated.dcm").write_bytes(data[:len(data) // 2])
    (root / "empty.dcm").write_bytes(b"")
    (root / "noise.bin").write_bytes(bytes(range(256)) * 8)
    (root / "cut-header.dcm").write_bytes(data[:200])
    result = scan_folder(root, scan_key, workers=1)
    files = result.summary()["files"]
    assert files["total"] == len(sample.files) + 4
    assert files["dicom"] == len(sample.dicom_files)
    assert files["not-dicom"] == 2 + 2  # the sample's two, the empty file and the noise
    assert files["unreadable"] == 2
    problems = result.summary()["problems"]
    assert problems["empty file"] == 1
    assert sum(n for reason, n in problems.items() if reason.startswith("truncated")) >= 1
    assert sum(problems.values()) == 2 + 4, problems


def test_workers_give_the_same_result(sample: SampleCollection, scan_key: SecretKey,
                                      scanned: ScanResult) -> None:
    pooled = scan_folder(sample.root, scan_key, workers=2, batch_files=3)
    assert pooled.census_rows() == scanned.census_rows()
    assert pooled.patient_rows() == scanned.patient_rows()
    one, two = scanned.summary(), pooled.summary()
    del one["scan"], two["scan"]
    assert one == two


def test_scan_file_is_pure(sample: SampleCollection, scan_key: SecretKey) -> None:
    path = sample.root / sample.dicom_files[0].path
    before = path.read_bytes(), path.stat().st_mtime_ns
    settings = ScanSettings(sample.root, scan_key)
    first, second = scan_file(path, settings), scan_file(path, settings)
    assert first == second
    assert first.status is FileStatus.DICOM
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_patients_are_named_as_the_run_names_them(sample: SampleCollection,
                                                  scanned: ScanResult,
                                                  scan_key: SecretKey) -> None:
    ids = {str(pydicom.dcmread(sample.root / f.path, stop_before_pixels=True).PatientID)
           for f in sample.dicom_files}
    rows = scanned.patient_rows()
    assert {r.patient for r in rows} == {patient_pseudonym(scan_key, "id:" + i) for i in ids}
    assert sum(r.files for r in rows) == len(sample.dicom_files)
    assert sum(r.studies for r in rows) == sample.studies


def test_missing_source_is_one_clear_error(tmp_path: Path, scan_key: SecretKey) -> None:
    from medanon.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="does not exist"):
        scan_folder(tmp_path / "nowhere", scan_key)
