"""Generate a deterministic synthetic CT corpus for the DICOM de-identification benchmark.

The corpus imitates what a hospital export of CT studies looks like to a de-identification
tool: per-patient folders named after the patient (``SURNAME_GIVEN_ID/STUDYDATE_DESC/SERIES/
IMxxxx``), uncompressed 16-bit slices in explicit VR little endian, and personal data where
real files carry it: the patient module, physicians, the institution, nested sequences
(RequestAttributesSequence, ReferencedImageSequence, ProcedureCodeSequence), a known-safe GE
private element (GEMS_ACQU_01 (0019,xx23), table speed), an unknown private creator holding
the patient's name and ID, and free-text descriptions that mention the patient.

Everything is derived from ``--seed``: names, dates and UIDs come from seeded generators and
hashes (no clock, no uuid4), so two runs with the same arguments write byte-identical files.
Patients are generated independently of one another, which is what lets ``--jobs`` run them in
parallel without changing a byte.

``--rows/--cols`` shrink the slices: the memory-flatness run of the benchmark (50,000 files)
uses small slices because what it tests is how memory scales with the number of files, not
with the pixel size, and small slices keep that corpus quick to make and small on disk.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import UID, ExplicitVRLittleEndian

CT_IMAGE_STORAGE = UID("1.2.840.10008.5.1.4.1.1.2")
IMPLEMENTATION_CLASS_UID = UID("1.2.826.0.1.3680043.10.1523.1")  # fixed, so files are reproducible
IMPLEMENTATION_VERSION = "MEDANON_BENCH_1"
MANIFEST_FORMAT = 1

SURNAMES = (
    "SMITH",
    "JOHNSON",
    "WILLIAMS",
    "BROWN",
    "JONES",
    "GARCIA",
    "MILLER",
    "DAVIS",
    "MARTIN",
    "LEFEBVRE",
    "MULLER",
    "SCHMIDT",
    "ROSSI",
    "RUSSO",
    "NOVAK",
    "KOWALSKI",
    "JANSEN",
    "DE VRIES",
    "NIELSEN",
    "HANSEN",
    "ANDERSSON",
    "VIRTANEN",
    "OBRIEN",
    "MURPHY",
    "SILVA",
    "SANTOS",
    "FERNANDEZ",
    "LOPEZ",
    "DUBOIS",
    "MOREAU",
    "WAGNER",
    "BECKER",
    "HOFFMANN",
    "KELLY",
    "WALSH",
    "PETERSEN",
    "LARSEN",
    "BERG",
    "HOLM",
    "KRAUSE",
    "FISCHER",
    "WEBER",
    "MEYER",
    "KOCH",
    "RICHTER",
)
GIVEN_NAMES = (
    "JOHN",
    "MARY",
    "JAMES",
    "ANNA",
    "PETER",
    "SOPHIE",
    "THOMAS",
    "EMMA",
    "LUCAS",
    "JULIA",
    "MARIE",
    "PAUL",
    "LAURA",
    "DAVID",
    "CLARA",
    "MARTIN",
    "ELENA",
    "SIMON",
    "NORA",
    "HUGO",
    "IDA",
    "OSCAR",
    "ALMA",
    "FELIX",
    "GRETA",
    "LEON",
    "MAJA",
    "NOAH",
    "ELLA",
    "ADAM",
)
STREETS = (
    "MAIN STREET",
    "CHURCH ROAD",
    "STATION ROAD",
    "HIGH STREET",
    "PARK AVENUE",
    "MILL LANE",
    "LINDENSTRASSE",
    "RUE DE LA PAIX",
    "VIA ROMA",
    "KERKSTRAAT",
    "BAKER STREET",
    "ELM DRIVE",
)
CITIES = (
    ("SPRINGFIELD", "4711"),
    ("RIVERTON", "2210"),
    ("LAKEWOOD", "8802"),
    ("FAIRVIEW", "3150"),
    ("GREENVILLE", "6021"),
    ("MILLBROOK", "1190"),
    ("OAKDALE", "5530"),
    ("CLAYTON", "7302"),
)
PHYSICIANS = (
    "HOUSE^GREGORY^^DR",
    "GREY^MEREDITH^^DR",
    "ROSS^DOUGLAS^^DR",
    "QUINN^MICHAELA^^DR",
    "KILDARE^JAMES^^DR",
    "WELBY^MARCUS^^DR",
    "CHRISTIANSEN^KARL^^DR",
    "BERGER^LISA^^DR",
)
OPERATORS = ("TECH^ANNA", "TECH^BORIS", "TECH^CARLA", "TECH^DENNIS")
INSTITUTIONS = (
    ("ST. MARY GENERAL HOSPITAL", "12 HOSPITAL ROAD, SPRINGFIELD 4711"),
    ("RIVERTON UNIVERSITY MEDICAL CENTER", "1 CAMPUS DRIVE, RIVERTON 2210"),
    ("LAKEWOOD CLINIC", "88 SHORE LANE, LAKEWOOD 8802"),
)
PROTOCOLS = (
    ("CT CHEST W/O CONTRAST", "CHEST", "71250", "CT THORAX WITHOUT CONTRAST"),
    ("CT ABDOMEN PELVIS W CONTRAST", "ABDOMEN", "74177", "CT ABDOMEN AND PELVIS WITH CONTRAST"),
    ("CT HEAD W/O CONTRAST", "HEAD", "70450", "CT HEAD WITHOUT CONTRAST"),
    ("CT CHEST ABDOMEN PELVIS", "CHEST", "71260", "CT CHEST WITH CONTRAST"),
)
KNOWN_SAFE_CREATOR = "GEMS_ACQU_01"  # (0019,xx23): table speed, mm/rotation
UNKNOWN_CREATOR = "NORTHSHORE_PACS_EXT 1.0"  # site-specific block that copies the patient name


@dataclass(frozen=True)
class CorpusSpec:
    """What to generate; also the content of the manifest that marks a corpus complete."""

    files: int
    patients: int
    rows: int
    cols: int
    seed: int

    def slices_for(self, patient: int) -> int:
        """Spread ``files`` over ``patients`` as evenly as possible (first ones get the rest)."""
        base, rest = divmod(self.files, self.patients)
        return base + (1 if patient < rest else 0)

    def as_dict(self) -> dict[str, int]:
        return {
            "format": MANIFEST_FORMAT,
            "files": self.files,
            "patients": self.patients,
            "rows": self.rows,
            "cols": self.cols,
            "seed": self.seed,
        }


def derived_uid(seed: int, *parts: object) -> UID:
    """A 2.25 UID (PS3.5 B.2) from a hash of the seed and the parts: stable and unique."""
    digest = hashlib.sha256("|".join(str(p) for p in (seed, *parts)).encode()).digest()
    return UID("2.25." + str(int.from_bytes(digest[:16], "big")))


def _date(rng: random.Random, first_year: int, last_year: int) -> str:
    return (
        f"{rng.randint(first_year, last_year):04d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    )


def _folder_part(text: str) -> str:
    return "".join(c if c.isalnum() or c in ".-" else "_" for c in text).strip("_")


def _private(ds: Dataset, group: int, creator: str, element: int, vr: str, value: object) -> None:
    ds.private_block(group, creator, create=True).add_new(element, vr, value)


def patient_template(spec: CorpusSpec, patient: int) -> tuple[Dataset, Path, float]:
    """The header shared by every slice of one patient, its folder, and the slice spacing."""
    rng = random.Random(f"{spec.seed}:patient:{patient}")
    surname = rng.choice(SURNAMES)
    given = rng.choice(GIVEN_NAMES)
    middle = rng.choice(GIVEN_NAMES)
    patient_id = f"MRN{patient + 1:04d}{rng.randint(100, 999)}"
    birth = _date(rng, 1930, 2005)
    sex = rng.choice(("M", "F"))
    study_date = _date(rng, 2015, 2023)
    study_time = f"{rng.randint(7, 19):02d}{rng.randint(0, 59):02d}{rng.randint(0, 59):02d}"
    accession = f"A{rng.randint(10_000_000, 99_999_999)}"
    city, postcode = rng.choice(CITIES)
    address = f"{rng.randint(1, 250)} {rng.choice(STREETS)}, {city} {postcode}"
    phone = f"+1-555-{rng.randint(1000000, 9999999)}"
    referring = rng.choice(PHYSICIANS)
    reading = rng.choice(PHYSICIANS)
    institution, institution_address = rng.choice(INSTITUTIONS)
    study_desc, body_part, cpt, procedure = rng.choice(PROTOCOLS)
    age = int(study_date[:4]) - int(birth[:4])
    series_number = rng.choice((2, 3, 4, 5))
    thickness = rng.choice(("0.625", "1.25", "2.5", "5"))

    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.InstanceCreationDate = study_date
    ds.InstanceCreationTime = study_time
    ds.SOPClassUID = CT_IMAGE_STORAGE
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = study_date
    ds.StudyTime = ds.SeriesTime = ds.AcquisitionTime = ds.ContentTime = study_time
    ds.AccessionNumber = accession
    ds.Modality = "CT"
    ds.Manufacturer = "GE MEDICAL SYSTEMS"
    ds.InstitutionName = institution
    ds.InstitutionAddress = institution_address
    ds.ReferringPhysicianName = referring
    ds.ReferringPhysicianTelephoneNumbers = f"+1-555-{rng.randint(1000000, 9999999)}"
    ds.StationName = f"CT{rng.randint(1, 4):02d}_{institution.split()[0].strip('.')}"
    ds.StudyDescription = study_desc
    ds.ProcedureCodeSequence = DicomSequence([_code(cpt, "C4", procedure)])
    ds.SeriesDescription = f"AXIAL {thickness}MM STANDARD"
    ds.InstitutionalDepartmentName = "RADIOLOGY"
    ds.PhysiciansOfRecord = referring
    ds.PerformingPhysicianName = reading
    ds.NameOfPhysiciansReadingStudy = reading
    ds.OperatorsName = rng.choice(OPERATORS)
    ds.AdmittingDiagnosesDescription = f"FOLLOW-UP, REFERRED BY {referring.split('^')[0]}"
    ds.ManufacturerModelName = "LightSpeed VCT"
    ds.ReferencedImageSequence = DicomSequence(
        [_reference(derived_uid(spec.seed, patient, "scout"))]
    )
    ds.PatientName = f"{surname}^{given}^{middle}"
    ds.PatientID = patient_id
    ds.IssuerOfPatientID = institution
    ds.PatientBirthDate = birth
    ds.PatientSex = sex
    ds.OtherPatientIDs = f"INS{rng.randint(100000000, 999999999)}"
    ds.OtherPatientNames = f"{surname}^{given}"
    ds.PatientAge = f"{age:03d}Y"
    ds.PatientSize = f"{rng.uniform(1.5, 1.95):.2f}"
    ds.PatientWeight = f"{rng.randint(45, 120)}"
    ds.PatientAddress = address
    ds.PatientTelephoneNumbers = phone
    ds.MilitaryRank = ""
    ds.AdditionalPatientHistory = f"{given.title()} {surname.title()}, born {birth}, smoker"
    ds.PatientComments = (
        f"Contact {phone}; next of kin {rng.choice(GIVEN_NAMES).title()} {surname.title()}"
    )
    ds.ContrastBolusAgent = "OMNIPAQUE 350" if "W " in study_desc + " " else ""
    ds.BodyPartExamined = body_part
    ds.SliceThickness = thickness
    ds.KVP = "120"
    ds.DataCollectionDiameter = "500"
    ds.DeviceSerialNumber = f"{rng.randint(100000, 999999)}CT"
    ds.SoftwareVersions = "LightSpeedverrel"
    ds.ProtocolName = f"{rng.randint(1, 9)}.{rng.randint(1, 9)} {study_desc}"
    ds.ReconstructionDiameter = "360"
    ds.DistanceSourceToDetector = "949.075012"
    ds.DistanceSourceToPatient = "541"
    ds.GantryDetectorTilt = "0"
    ds.TableHeight = f"{rng.randint(120, 180)}"
    ds.RotationDirection = "CW"
    ds.ExposureTime = "1000"
    ds.XRayTubeCurrent = f"{rng.randint(100, 400)}"
    ds.Exposure = "5"
    ds.FilterType = "BODY FILTER"
    ds.GeneratorPower = "48000"
    ds.FocalSpots = "0.7"
    ds.ConvolutionKernel = "STANDARD"
    ds.PatientPosition = "FFS"
    ds.StudyInstanceUID = derived_uid(spec.seed, patient, "study")
    ds.SeriesInstanceUID = derived_uid(spec.seed, patient, "series", series_number)
    ds.StudyID = f"{rng.randint(1000, 9999)}"
    ds.SeriesNumber = series_number
    ds.AcquisitionNumber = 1
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.FrameOfReferenceUID = derived_uid(spec.seed, patient, "frame")
    ds.PositionReferenceIndicator = "SN"
    ds.ImagesInAcquisition = spec.slices_for(patient)
    ds.ImageComments = (
        f"{surname} {given} ({patient_id}) - compare with prior, Dr {reading.split('^')[0]}"
    )
    ds.RequestAttributesSequence = DicomSequence(
        [_request(rng, accession, procedure, cpt, referring, patient_id)]
    )
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = spec.rows
    ds.Columns = spec.cols
    spacing = f"{360.0 / spec.cols:.6f}"
    ds.PixelSpacing = [spacing, spacing]
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.WindowCenter = "40"
    ds.WindowWidth = "400"
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    ds.RescaleType = "HU"
    ds.BurnedInAnnotation = "NO"
    ds.RequestedProcedureDescription = f"{procedure} (ordered by {referring.split('^')[0]})"
    ds.PerformedProcedureStepStartDate = study_date
    ds.PerformedProcedureStepDescription = study_desc
    # Known-safe GE private element (table speed) and an unknown private block with identity.
    _private(ds, 0x0019, KNOWN_SAFE_CREATOR, 0x23, "DS", rng.choice(("39.375", "55.0", "27.5")))
    _private(ds, 0x0019, KNOWN_SAFE_CREATOR, 0x27, "DS", "0.5")
    _private(ds, 0x0031, UNKNOWN_CREATOR, 0x01, "PN", f"{surname}^{given}")
    _private(ds, 0x0031, UNKNOWN_CREATOR, 0x02, "LO", f"{patient_id} {birth} {address}")
    _private(ds, 0x0031, UNKNOWN_CREATOR, 0x03, "LO", "EXPORTED FOR RESEARCH REVIEW")

    folder = (
        Path(f"{_folder_part(surname)}_{given}_{patient_id}")
        / f"{study_date}_{_folder_part(study_desc)}"
        / f"{series_number}_AXIAL_{thickness}MM"
    )
    return ds, folder, float(thickness)


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning
    return item


def _reference(sop_instance_uid: str) -> Dataset:
    item = Dataset()
    item.ReferencedSOPClassUID = CT_IMAGE_STORAGE
    item.ReferencedSOPInstanceUID = sop_instance_uid
    return item


def _request(
    rng: random.Random, accession: str, procedure: str, cpt: str, referring: str, patient_id: str
) -> Dataset:
    item = Dataset()
    item.AccessionNumber = accession
    item.RequestingPhysician = referring
    item.RequestedProcedureDescription = procedure
    item.RequestedProcedureCodeSequence = DicomSequence([_code(cpt, "C4", procedure)])
    item.ScheduledProcedureStepID = f"SPS{rng.randint(100000, 999999)}"
    item.RequestedProcedureID = f"RP{rng.randint(100000, 999999)}"
    item.ReasonForTheRequestedProcedure = f"Patient {patient_id}: persistent cough"
    return item


def _pixels(rng: np.random.Generator, rows: int, cols: int, z: float) -> bytes:
    """A cheap phantom slice: body ellipse, two lungs, spine, 12-bit noise (unsigned, HU+1024)."""
    y, x = np.ogrid[-1.0 : 1.0 : rows * 1j, -1.0 : 1.0 : cols * 1j]
    scale = 0.85 + 0.1 * np.sin(z / 40.0)
    body = (x / (0.9 * scale)) ** 2 + (y / (0.7 * scale)) ** 2 <= 1.0
    lungs = ((np.abs(x) - 0.38) / 0.25) ** 2 + (y / 0.45) ** 2 <= 1.0
    spine = x**2 + (y - 0.5) ** 2 <= 0.01
    image = np.where(body, 1064, 24).astype(np.uint16)
    image[lungs & body] = 200
    image[spine] = 1700
    image += rng.integers(0, 48, size=(rows, cols), dtype=np.uint16)
    return image.tobytes()


def write_patient(spec: CorpusSpec, patient: int, root: Path) -> int:
    """Write every slice of one patient; returns the number of files written."""
    template, folder, thickness = patient_template(spec, patient)
    count = spec.slices_for(patient)
    target = root / folder
    target.mkdir(parents=True, exist_ok=True)
    width = max(4, len(str(count)))
    noise = np.random.default_rng([spec.seed, patient])

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CT_IMAGE_STORAGE
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = IMPLEMENTATION_CLASS_UID
    meta.ImplementationVersionName = IMPLEMENTATION_VERSION
    template.file_meta = meta
    template.preamble = b"\0" * 128

    for index in range(count):
        sop_uid = derived_uid(spec.seed, patient, "image", index)
        z = -index * thickness
        meta.MediaStorageSOPInstanceUID = sop_uid
        template.SOPInstanceUID = sop_uid
        template.InstanceNumber = index + 1
        template.ImagePositionPatient = ["-180", "-180", f"{z:g}"]
        template.SliceLocation = f"{z:g}"
        template.PixelData = _pixels(noise, spec.rows, spec.cols, z)
        template["PixelData"].VR = "OW"
        pydicom.dcmwrite(target / f"IM{index + 1:0{width}d}", template, enforce_file_format=True)
    return count


def manifest_path(root: Path) -> Path:
    """The manifest sits next to the corpus, never inside it, so no tool sees it as input."""
    return root.with_name(root.name + ".json")


def corpus_is_complete(root: Path, spec: CorpusSpec) -> bool:
    """True when ``root`` holds a finished corpus made with exactly ``spec``."""
    manifest = manifest_path(root)
    if not root.is_dir() or not manifest.is_file():
        return False
    try:
        recorded = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return False
    return bool(recorded.get("spec") == spec.as_dict())


def make_corpus(spec: CorpusSpec, root: Path, jobs: int = 0) -> int:
    """(Re)create the corpus at ``root``; the manifest is written last to mark it complete."""
    if spec.files < 1 or spec.patients < 1 or spec.patients > spec.files:
        raise ValueError("need at least one file per patient and at least one patient")
    if spec.rows < 8 or spec.cols < 8:
        raise ValueError("slices must be at least 8x8")
    manifest = manifest_path(root)
    manifest.unlink(missing_ok=True)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    workers = jobs or os.cpu_count() or 1
    if workers == 1:
        written = sum(write_patient(spec, p, root) for p in range(spec.patients))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(write_patient, spec, p, root) for p in range(spec.patients)]
            written = sum(f.result() for f in futures)
    size = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    manifest.write_text(
        json.dumps({"spec": spec.as_dict(), "written": written, "bytes": size}, indent=2) + "\n"
    )
    return written


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="corpus folder to (re)create")
    parser.add_argument("--files", type=int, default=2000, help="number of slices (2000)")
    parser.add_argument("--patients", type=int, default=50, help="number of patients (50)")
    parser.add_argument("--rows", type=int, default=512, help="slice rows (512)")
    parser.add_argument("--cols", type=int, default=512, help="slice columns (512)")
    parser.add_argument("--seed", type=int, default=20240611, help="generator seed")
    parser.add_argument("--jobs", type=int, default=0, help="processes (0 = all cores)")
    parser.add_argument("--force", action="store_true", help="rebuild even if complete")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    spec = CorpusSpec(args.files, args.patients, args.rows, args.cols, args.seed)
    if not args.force and corpus_is_complete(args.out, spec):
        print(f"{args.out}: already complete ({spec.files} files)")
        return 0
    started = time.perf_counter()
    written = make_corpus(spec, args.out, args.jobs)
    print(f"{args.out}: {written} files in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
