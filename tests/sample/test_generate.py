from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset, FileDataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import JPEGBaseline8Bit, MediaStorageDirectoryStorage

from medanon.errors import ConfigurationError
from medanon.sample import FileKind, SampleCollection, generate_sample
from medanon.sample.derive import IMPLEMENTATION_CLASS_UID


def _all_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_byte_identical_files(sample: SampleCollection, tmp_path: Path) -> None:
    again = generate_sample(tmp_path / "again", seed=0, cohort=True)
    assert again.files == sample.files
    assert again.planted_values == sample.planted_values
    assert _all_bytes(again.root) == _all_bytes(sample.root)


def test_another_seed_changes_people_and_uids(sample: SampleCollection, tmp_path: Path) -> None:
    other = generate_sample(tmp_path / "other", seed=1, cohort=True)
    assert other.counts == sample.counts
    assert set(other.planted_of("uid")).isdisjoint(sample.planted_of("uid"))
    assert set(other.planted_of("patient-id")).isdisjoint(sample.planted_of("patient-id"))


def test_files_on_disk_are_exactly_the_listed_ones(sample: SampleCollection) -> None:
    assert sorted(_all_bytes(sample.root)) == list(sample.files)
    assert [f.path for f in sample.expected] == list(sample.files)


def test_shape_and_expected_counts(sample: SampleCollection) -> None:
    assert (sample.patients, sample.studies, sample.series) == (65, 91, 96)
    counts = sample.counts
    assert (counts.written, counts.withheld, counts.failed, counts.excluded) == (119, 0, 2, 1)
    assert sample.paths_of(FileKind.DICOMDIR) == ("DICOMDIR",)
    assert set(sample.paths_of(FileKind.NOT_DICOM)) == {
        "README.TXT", next(p for p in sample.files if p.endswith("REPORT.dcm"))}
    total = sum(p.stat().st_size for p in sample.root.rglob("*") if p.is_file())
    assert total < 5_000_000
    for path in sample.paths_of(FileKind.NOT_DICOM):
        with pytest.raises(InvalidDicomError):
            pydicom.dcmread(sample.root / path)


def test_each_dicom_file_is_what_it_claims(
    sample: SampleCollection, datasets: dict[str, FileDataset],
    cohort_datasets: dict[str, FileDataset]
) -> None:
    datasets = {**datasets, **cohort_datasets}
    for expected in sample.dicom_files:
        ds = datasets[expected.path]
        meta = ds.file_meta
        assert ds.preamble == b"\x00" * 128
        assert meta.MediaStorageSOPClassUID == expected.sop_class_uid == ds.SOPClassUID
        assert meta.MediaStorageSOPInstanceUID == expected.sop_instance_uid == ds.SOPInstanceUID
        assert meta.ImplementationClassUID == IMPLEMENTATION_CLASS_UID
        assert meta.TransferSyntaxUID == expected.transfer_syntax
        assert ds.Modality == expected.modality
        charset = ds.SpecificCharacterSet
        assert tuple([charset] if isinstance(charset, str) else charset) == expected.character_set
        for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "ImageType", "Rows", "Columns",
                        "BitsAllocated", "PhotometricInterpretation", "SamplesPerPixel"):
            assert keyword in ds and ds[keyword].value not in (None, ""), keyword
        pixels = ds.pixel_array
        assert pixels.shape == (ds.Rows, ds.Columns)
        assert pixels.std() > 0


def test_modalities_and_sop_classes(sample: SampleCollection) -> None:
    modalities = {f.modality for f in sample.dicom_files}
    assert {"CT", "MR", "US", "OT"} <= modalities
    classes = {f.sop_class_uid for f in sample.dicom_files}
    assert {"1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.4",
            "1.2.840.10008.5.1.4.1.1.6.1", "1.2.840.10008.5.1.4.1.1.7"} == classes
    syntaxes = {f.transfer_syntax for f in sample.dicom_files}
    assert syntaxes == {"1.2.840.10008.1.2.1", JPEGBaseline8Bit}


def test_character_sets_and_names_round_trip(
    sample: SampleCollection, datasets: dict[str, FileDataset],
    cohort_datasets: dict[str, FileDataset]
) -> None:
    datasets = {**datasets, **cohort_datasets}
    charsets = {f.character_set for f in sample.dicom_files}
    assert charsets == {("ISO_IR 100",), ("ISO_IR 192",), ("", "ISO 2022 IR 87")}
    names = set(sample.planted_of("patient-name"))
    for expected in sample.dicom_files:
        name = datasets[expected.path].PatientName
        assert name.alphabetic in names
        if expected.character_set == ("", "ISO 2022 IR 87"):
            assert name.ideographic in names and name.phonetic in names
            assert len(name.ideographic) >= 6
        if expected.character_set == ("ISO_IR 100",):
            assert any(ord(c) > 127 for c in name.alphabetic)


def test_burned_in_annotation_cases(
    sample: SampleCollection, datasets: dict[str, FileDataset]
) -> None:
    withheld = {p: datasets[p] for p in sample.paths_of(FileKind.BURNED_IN)}
    assert sorted((ds.Modality, ds.get("BurnedInAnnotation")) for ds in withheld.values()) == [
        ("CT", None), ("US", "YES")]
    assert {ds.SOPClassUID.name for ds in withheld.values()} == {
        "Secondary Capture Image Storage", "Ultrasound Image Storage"}
    written = [datasets[f.path] for f in sample.dicom_files if f.kind is FileKind.IMAGE
               and f.path in datasets]
    declared_no = [ds for ds in written if ds.get("BurnedInAnnotation") == "NO"]
    assert {ds.Modality for ds in declared_no} == {"US", "OT"}
    assert all(ds.Modality in ("CT", "MR") or ds.get("BurnedInAnnotation") == "NO"
               for ds in written)


def test_nested_sequences_carry_personal_data(
    sample: SampleCollection, datasets: dict[str, FileDataset]
) -> None:
    planted = set(sample.planted)
    for ds in datasets.values():
        request = ds.RequestAttributesSequence[0]
        assert request.AccessionNumber in planted
        assert request.RequestedProcedureID in planted
        assert str(request.RequestingPhysician) in planted
        assert ds.ReferencedPatientSequence[0].ReferencedSOPInstanceUID in planted
        assert ds.OtherPatientIDsSequence[0].PatientID in planted
        assert ds.ProcedureCodeSequence[0].CodeValue
        region = ds.AnatomicRegionSequence[0]
        assert region.CodingSchemeDesignator == "SCT"
        assert not {str(region[k].value) for k in region.keys()} & planted


def test_real_world_value_mapping_and_localizer_geometry(
    sample: SampleCollection, datasets: dict[str, FileDataset]
) -> None:
    rwv = [datasets[f.path] for f in sample.dicom_files if "real-world-value" in f.features]
    assert rwv and all(ds.RealWorldValueMappingSequence[0].LUTLabel == "SI" for ds in rwv)
    axial = [ds for ds in datasets.values()
             if ds.Modality == "CT" and list(ds.ImageType)[2:3] == ["AXIAL"]]
    by_series: dict[str, list[Dataset]] = {}
    for ds in axial:
        by_series.setdefault(ds.SeriesInstanceUID, []).append(ds)
    for series in by_series.values():
        series.sort(key=lambda ds: int(ds.InstanceNumber))
        z = [float(ds.ImagePositionPatient[2]) for ds in series]
        assert z == [float(ds.SliceLocation) for ds in series]
        steps = {round(b - a, 3) for a, b in zip(z, z[1:], strict=False)}
        assert steps == {-float(series[0].SliceThickness)}
        assert len({ds.FrameOfReferenceUID for ds in series}) == 1


def _references(ds: Dataset, keyword: str) -> list[Dataset]:
    found: list[Dataset] = []
    for element in ds:
        if element.VR != "SQ":
            continue
        for item in element.value:
            if element.keyword == keyword:
                found.append(item)
            found += _references(item, keyword)
    return found


def test_references_resolve_within_the_collection(
    sample: SampleCollection, datasets: dict[str, FileDataset]
) -> None:
    instances = {ds.SOPInstanceUID: ds for ds in datasets.values()}
    studies = {ds.StudyInstanceUID: ds.PatientID for ds in datasets.values()}
    image_refs = 0
    for ds in datasets.values():
        for keyword in ("ReferencedImageSequence", "SourceImageSequence"):
            for item in _references(ds, keyword):
                target = instances[item.ReferencedSOPInstanceUID]
                assert target.SOPClassUID == item.ReferencedSOPClassUID
                assert target.StudyInstanceUID == ds.StudyInstanceUID
                image_refs += 1
        for item in _references(ds, "ReferencedStudySequence"):
            prior = item.ReferencedSOPInstanceUID
            assert studies[prior] == ds.PatientID and prior != ds.StudyInstanceUID
    assert image_refs >= 5 + 2 * 5


def test_dicomdir_is_a_real_file_set_over_the_cd_part(sample: SampleCollection) -> None:
    ds = pydicom.dcmread(sample.root / "DICOMDIR")
    assert ds.file_meta.MediaStorageSOPClassUID == MediaStorageDirectoryStorage
    records = ds.DirectoryRecordSequence
    types = [r.DirectoryRecordType for r in records]
    assert types.count("PATIENT") == 1 and types.count("STUDY") == 2
    referenced = {"/".join(r.ReferencedFileID): r.ReferencedSOPInstanceUIDInFile
                  for r in records if r.DirectoryRecordType == "IMAGE"}
    assert len(referenced) == 5
    claimed = {f.path: f.sop_instance_uid for f in sample.dicom_files}
    for relative, uid in referenced.items():
        assert claimed[relative] == uid
        assert pydicom.dcmread(sample.root / relative).SOPInstanceUID == uid
    names = {str(r.PatientName) for r in records if "PatientName" in r}
    assert names and names <= set(sample.planted)


def test_private_blocks_of_every_kind(
    sample: SampleCollection, datasets: dict[str, FileDataset]
) -> None:
    planted = set(sample.planted)
    ct = datasets[next(f.path for f in sample.dicom_files if "private-orphan" in f.features)]
    assert ct.get_private_item(0x0019, 0x23, "GEMS_ACQU_01").value == "1.375"
    assert ct.get_private_item(0x0033, 0x10, "WXRIS ARCHIVE 2.1").value in planted
    assert ct[0x00410010].value == "WXRIS RESERVED 1.0"
    assert not [e for e in ct if e.tag.group == 0x0041 and e.tag.element > 0xFF]
    assert 0x00430010 not in ct and ct[0x00431050].value in planted
    mr = datasets[next(f.path for f in sample.dicom_files if "private-sequence" in f.features)]
    assert mr.get_private_item(0x0029, 0x18, "SIEMENS CSA HEADER").value in planted
    item = mr.get_private_item(0x0071, 0x01, "WXRIS IMPORT SQ").value[0]
    assert item.get_private_item(0x0071, 0x02, "WXRIS IMPORT SQ").value in planted


def test_overlay_and_curve(sample: SampleCollection, datasets: dict[str, FileDataset]) -> None:
    names = sample.planted_of("patient-name")
    overlay = [datasets[f.path] for f in sample.dicom_files if "overlay" in f.features]
    assert len(overlay) == 1
    assert overlay[0].overlay_array(0x6000).sum() > 0
    assert any(n in overlay[0][0x60004000].value for n in names)
    curve = [datasets[f.path] for f in sample.dicom_files if "curve" in f.features]
    assert len(curve) == 1
    ds = curve[0]
    assert len(ds[0x50003000].value) == 2 * 2 * ds[0x50000010].value
    assert any(n in ds[0x50000022].value for n in names)


def test_free_text_mentions_people(
    sample: SampleCollection, datasets: dict[str, FileDataset]
) -> None:
    names = sample.planted_of("patient-name")
    for ds in datasets.values():
        assert any(n in ds.AdditionalPatientHistory for n in names)
        if "ImageComments" in ds:
            assert ds.PatientID in ds.ImageComments
    described = [ds.StudyDescription for ds in datasets.values()]
    assert sum(any(n in d for n in names) for d in described) >= 5


def test_patient_age_matches_birth_and_study_dates(datasets: dict[str, FileDataset]) -> None:
    for ds in datasets.values():
        birth, study = ds.PatientBirthDate, ds.StudyDate
        years = int(study[:4]) - int(birth[:4]) - (study[4:] < birth[4:])
        assert ds.PatientAge == f"{years:03d}Y"
        assert ds.PatientSex in ("F", "M") and float(ds.PatientWeight) > 0


def test_layout_carries_personal_data_in_names(sample: SampleCollection) -> None:
    paths = "\n".join(sample.files)
    for kind in ("patient-id", "study-date", "accession-number", "uid"):
        assert any(v in paths for v in sample.planted_of(kind)), kind
    assert any(v in paths for v in sample.planted_of("patient-name"))
    suffixes = {Path(p).suffix for p in sample.files}
    assert {"", ".dcm", ".DCM", ".TXT"} <= suffixes


def test_refuses_a_non_empty_or_non_folder_destination(tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("x")
    with pytest.raises(ConfigurationError, match="not empty"):
        generate_sample(tmp_path / "full")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigurationError, match="not a folder"):
        generate_sample(tmp_path / "file")
    assert sorted(p.name for p in (tmp_path / "full").iterdir()) == ["keep.txt"]


def test_summary_names_no_planted_value(sample: SampleCollection) -> None:
    text = sample.describe()
    assert "writes 119" in text and "2 of them with text burned into the pixels" in text
    assert not [v for v in sample.planted if v in text]
