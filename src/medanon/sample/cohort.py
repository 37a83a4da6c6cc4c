"""A screening cohort for the sample: many plain patients, so that k = 5 means something.

The five patients of the sample exercise every hard case of de-identification; they
are too few for collection-level k-anonymity. The cohort adds patients with one or two
small CT studies each (a 16 x 16 image, about 1 KiB per file), drawn like an adult
lung-screening population: ages 40-85 (more in the 55-75 band), an even mix of sex,
heights normal around 1.77 m (men) and 1.63 m (women), weights from a body-mass index
normal around 27. A third of the patients have a second study; about a third carry
PatientAge, the others only a birth date (age derived); one in twenty lacks a weight.
Every value comes from the seed; the shape (patients, studies, files) does not.

Names and identifiers are invented and long (``CH`` + eight digits; names built from
unusual syllables, one of them Latin-1), and are planted values of the answer key like any other.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

from medanon.sample.collection import ExpectedFile, FileKind, PlantedValue
from medanon.sample.derive import Deriver, age_string, dicom_date, dicom_time
from medanon.sample.modules import file_meta

COHORT_DIR = "cohort"
COHORT_PATIENTS = 60
IMAGE_SIZE = 16
_SYLLABLES = ("QUOR", "VELL", "ZEPH", "RIND", "OSKA", "MYRT", "BALD", "UVRA", "THEX",
              "NAKI", "PLOV", "GRUN", "SOLT", "WIXA", "DRAM", "KEOL")
#: Latin-1 syllables: every given name has one, as the ISO_IR 100 files of the sample do.
_ACCENTED = ("ÅSK", "MØR", "ÜVR", "ÉLO", "ÑAR", "ÞOR", "ÇEL", "ÖST")
_SCANNERS = (("SIEMENS", "SOMATOM Force"), ("GE MEDICAL SYSTEMS", "Revolution CT"),
             ("Philips", "IQon Spectral CT"), ("CANON_MEC", "Aquilion ONE"))


@dataclass(frozen=True)
class CohortPatient:
    """One cohort patient, as written in the headers."""

    index: int
    name: str
    patient_id: str
    sex: str
    birth_date: dt.date
    size_m: str
    weight_kg: str | None
    study_dates: tuple[dt.date, ...]
    writes_age: bool
    scanner: tuple[str, str]


def _normal(d: Deriver, label: str) -> float:
    """A standard normal draw (Box-Muller on two derived uniforms)."""
    u1 = (d.integer(label + ".u1", 1, 10**9) / (10**9 + 1))
    u2 = d.integer(label + ".u2", 0, 10**9) / 10**9
    return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)


def _age(d: Deriver, label: str) -> int:
    """40-85, denser between 55 and 75 (a screening programme's ages)."""
    return int(min(85, max(40, round(65 + 8 * _normal(d, label)))))


def make_patient(d: Deriver, index: int) -> CohortPatient:
    """Draw cohort patient ``index``."""
    label = f"cohort{index}"
    sex = d.choice(label + ".sex", ("F", "M"))
    family = "".join(d.choice(f"{label}.family{i}", _SYLLABLES) for i in range(3))
    given = d.choice(f"{label}.given0", _ACCENTED) + d.choice(f"{label}.given1", _SYLLABLES)
    first = d.date(label + ".first", dt.date(2016, 1, 4), dt.date(2021, 12, 20))
    age = _age(d, label + ".age")
    birth = first - dt.timedelta(days=int(age * 365.25) + d.integer(label + ".dob", 1, 360))
    dates = [first]
    if index % 3 == 0:  # the shape (files, studies) is the same for every seed
        dates.append(first + dt.timedelta(days=7 * d.integer(label + ".gap", 40, 110)))
    mean_size = 1.77 if sex == "M" else 1.63
    size = round(mean_size + 0.07 * _normal(d, label + ".size"), 2)
    bmi = 27 + 4 * _normal(d, label + ".bmi")
    weight = None if index % 20 == 7 else \
        str(round(max(38.0, min(160.0, bmi * size * size)), 1))
    return CohortPatient(index, f"{family}^{given}", f"CH{d.digits(label + '.id', 8)}", sex,
                         birth, f"{size:.2f}", weight, tuple(dates),
                         d.integer(label + ".writesage", 0, 2) == 0,
                         d.choice(label + ".scanner", _SCANNERS))


def _dataset(d: Deriver, patient: CohortPatient, study: int) -> FileDataset:
    label = f"cohort{patient.index}.study{study}"
    day = patient.study_dates[study]
    sop_uid = d.uid(label + ".sop")
    ds = FileDataset("", Dataset(), file_meta=file_meta(CTImageStorage, sop_uid,
                                                        ExplicitVRLittleEndian),
                     preamble=b"\x00" * 128)
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = sop_uid
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = dicom_date(day)
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = dicom_time(d.time(label + ".time"))
    ds.AccessionNumber = f"ACC{d.digits(label + '.accession', 9)}"
    ds.Modality = "CT"
    ds.Manufacturer, ds.ManufacturerModelName = patient.scanner
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = "CT LOW DOSE LUNG SCREENING"
    ds.PatientName = patient.name
    ds.PatientID = patient.patient_id
    ds.PatientBirthDate = dicom_date(patient.birth_date)
    ds.PatientSex = patient.sex
    if patient.writes_age:
        ds.PatientAge = age_string(patient.birth_date, day)
    ds.PatientSize = patient.size_m
    if patient.weight_kg is not None:
        ds.PatientWeight = patient.weight_kg
    ds.BodyPartExamined = "CHEST"
    ds.StudyInstanceUID = d.uid(label + ".study")
    ds.SeriesInstanceUID = d.uid(label + ".series")
    ds.StudyID = d.digits(label + ".studyid", 6)
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.AcquisitionNumber = 1
    ds.PatientPosition = "FFS"
    ds.FrameOfReferenceUID = d.uid(label + ".frame")
    ds.PositionReferenceIndicator = ""
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.BurnedInAnnotation = "NO"
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.ImagePositionPatient = ["-175", "-175", "-100"]
    ds.PixelSpacing = ["21.875", "21.875"]
    ds.SliceThickness = "5"
    ds.KVP = "120"
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = IMAGE_SIZE
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    yy, xx = np.mgrid[:IMAGE_SIZE, :IMAGE_SIZE]
    body = ((yy - 7.5) ** 2 / 49 + (xx - 7.5) ** 2 / 56) <= 1
    image = np.where(body, 1064 + (patient.index * 7 + study) % 40, 24).astype("<u2")
    ds.add(DataElement(0x7FE00010, "OW", image.tobytes()))
    return ds


def write_cohort(dest: Path, d: Deriver, count: int = COHORT_PATIENTS
                 ) -> tuple[list[ExpectedFile], list[PlantedValue], int]:
    """Write the cohort under ``dest/cohort``; its files, planted values and study count."""
    expected: list[ExpectedFile] = []
    planted: list[PlantedValue] = []
    studies = 0
    for index in range(count):
        patient = make_patient(d, index)
        planted += [PlantedValue("patient-name", patient.name),
                    PlantedValue("patient-id", patient.patient_id),
                    PlantedValue("birth-date", dicom_date(patient.birth_date))]
        for study in range(len(patient.study_dates)):
            ds = _dataset(d, patient, study)
            planted += [PlantedValue("accession-number", str(ds.AccessionNumber)),
                        PlantedValue("study-id", str(ds.StudyID)),
                        PlantedValue("study-date", str(ds.StudyDate))]
            planted += [PlantedValue("uid", str(ds[keyword].value)) for keyword in
                        ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID",
                         "FrameOfReferenceUID")]
            path = PurePosixPath(COHORT_DIR, f"P{index:03d}", f"S{study}", "IM0001.dcm")
            target = dest / path
            target.parent.mkdir(parents=True, exist_ok=True)
            ds.save_as(target, enforce_file_format=True)
            expected.append(ExpectedFile(
                path.as_posix(), FileKind.IMAGE, "cohort CT image: de-identified and written",
                modality="CT", sop_class_uid=CTImageStorage,
                sop_instance_uid=str(ds.SOPInstanceUID), character_set=("ISO_IR 100",),
                transfer_syntax=ExplicitVRLittleEndian, features=frozenset({"cohort"})))
            studies += 1
    return expected, planted, studies


#: Findings of a lung-screening read, the sensitive column of the cohort's clinical table.
DIAGNOSES = ("no finding", "benign nodule", "emphysema", "suspicious nodule", "fibrosis")


def clinical_rows(d: Deriver, count: int = COHORT_PATIENTS) -> list[dict[str, str]]:
    """A clinical table for the cohort, one row per patient, keyed by the original PatientID.

    ``patient_name`` is there to show that a release leaves direct identifiers out;
    ``diagnosis`` is the sensitive column (older smokers get more findings).
    """
    rows = []
    for index in range(count):
        patient = make_patient(d, index)
        label = f"cohort{index}.clinical"
        pack_years = d.integer(label + ".packs", 0, 60)
        age = patient.study_dates[0].year - patient.birth_date.year
        weights = 1 + (pack_years > 30) + (age > 70)
        diagnosis = DIAGNOSES[min(len(DIAGNOSES) - 1,
                                  d.integer(label + ".finding", 0, 2 + weights) // 2)]
        rows.append({"PatientID": patient.patient_id, "patient_name": patient.name,
                     "pack_years": str(pack_years), "diagnosis": diagnosis})
    return rows


def write_clinical(path: Path, seed: int = 0, count: int = COHORT_PATIENTS) -> int:
    """Write the cohort's clinical table as CSV (UTF-8); return the number of rows."""
    import csv

    rows = clinical_rows(Deriver(seed), count)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)
