"""Export-style file and folder names, the way PACS exports and patient CDs name them.

Each patient's files follow a different real-world convention, and most of them
put personal data into paths: names (ASCII-folded or not), patient IDs, birth
and study dates, accession numbers, even UIDs. A de-identifier must rename all
of it. The patient CD part is named by :mod:`medanon.sample.dicomdir` instead.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from medanon.sample.derive import dicom_date
from medanon.sample.plan import Series, Study
from medanon.sample.texts import iso

README = PurePosixPath("README.TXT")
DICOMDIR = PurePosixPath("DICOMDIR")


def _token(text: str) -> str:
    """A folder-name token: runs of spaces and punctuation become one underscore."""
    return re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_")


def study_folder(study: Study) -> PurePosixPath:
    """The folder holding one (non-CD) study's series."""
    patient = study.patient
    name = patient.name
    shape = study.shape
    slot = patient.slot
    if slot == 0:
        return PurePosixPath(f"{name.folder}_{patient.patient_id}",
                             f"{dicom_date(study.date)}_{shape.modality}_{_token(shape.region)}")
    if slot == 1:
        return PurePosixPath(f"{name.natural} ({patient.patient_id})",
                             f"{shape.description} {iso(study.date)}")
    if slot == 2:
        return PurePosixPath(f"{name.folder}_{dicom_date(patient.birth_date)}", study.accession)
    if slot == 3:
        return PurePosixPath(patient.patient_id, study.uid)
    return PurePosixPath(f"{name.folder}_{dicom_date(study.date)}",
                         f"{shape.modality}_{_token(shape.region)}")


def instance_path(series: Series, number: int) -> PurePosixPath:
    """Relative path of one instance outside the patient CD."""
    study = series.study
    folder = study_folder(study)
    slot = study.patient.slot
    desc = _token(series.shape.description)
    if slot == 0:
        suffix = "" if series.number == 3 else ".dcm"  # the reformats have no suffix
        return folder / f"SE{series.number}_{desc}" / f"IM{number:04d}{suffix}"
    if slot == 1:
        suffix = ".DCM" if study.index == 1 else ".dcm"
        return folder / series.shape.description / f"IMG-{number:04d}{suffix}"
    if slot == 2:
        prefix = "US" if series.shape.kind.value == "us" else "CT"
        return folder / f"SER{series.number:03d}" / f"{prefix}{number:06d}.DCM"
    if slot == 3:
        return folder / series.uid / f"{series.instance_uids[number - 1]}.dcm"
    return folder / f"SE{series.number:02d}" / f"IM{number}"


def report_path(study: Study) -> PurePosixPath:
    """A text report exported next to the images, misleadingly named ``.dcm``."""
    return study_folder(study) / "REPORT.dcm"
