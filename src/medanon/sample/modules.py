"""The IOD modules every sample instance shares: patient, study, series, equipment, SOP common.

These carry most of the personal data: names in several attributes, identifiers
at the top level and inside sequences (request attributes, other patient IDs,
referenced patient), dates and times in every module, institution and device
identity. Modality-specific modules are added by :mod:`medanon.sample.builders`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import UID

from medanon.sample import texts
from medanon.sample.derive import (
    IMPLEMENTATION_CLASS_UID,
    IMPLEMENTATION_VERSION_NAME,
    age_string,
    dicom_date,
    dicom_datetime,
    dicom_time,
)
from medanon.sample.people import Site, Staff
from medanon.sample.plan import Series, SeriesKind

# Retired SOP classes that ReferencedPatientSequence and ReferencedStudySequence still name.
DETACHED_PATIENT_MANAGEMENT = "1.2.840.10008.3.1.2.1.1"
DETACHED_STUDY_MANAGEMENT = "1.2.840.10008.3.1.2.3.1"

_ANATOMY = {  # SNOMED CT codes for AnatomicRegionSequence (no personal data in these items)
    "CHEST": ("51185008", "Thorax"), "BRAIN": ("12738006", "Brain"),
    "ABDOMEN": ("818981001", "Abdomen"), "HEAD": ("69536005", "Head"),
    "PELVIS": ("816092008", "Pelvis"), "KNEE": ("72696002", "Knee"),
}
_EQUIPMENT = {  # modality -> (manufacturer, model, software)
    "CT": ("GE MEDICAL SYSTEMS", "LightSpeed VCT", "07MW18.4"),
    "MR": ("SIEMENS", "Avanto", "syngo MR B17"),
    "US": ("GE Healthcare", "LOGIQ E9", "R6.1.2"),
    "OT": ("WXVIEW", "KeyCapture", "3.2.0"),
}


@dataclass(frozen=True)
class Slot:
    """Where one instance sits: its series, number and SOP class."""

    series: Series
    number: int
    sop_class: str

    @property
    def sop_instance_uid(self) -> str:
        """The instance's SOP Instance UID, drawn when the series was resolved."""
        return self.series.instance_uids[self.number - 1]

    @property
    def acquired(self) -> dt.time:
        """Acquisition time: a few seconds per instance after the series start."""
        start = self.series.time
        seconds = start.hour * 3600 + start.minute * 60 + start.second + 3 * self.number
        return dt.time(seconds // 3600 % 24, seconds // 60 % 60, seconds % 60)


def code_item(value: str, scheme: str, meaning: str) -> Dataset:
    """A basic code sequence item (CodeValue, CodingSchemeDesignator, CodeMeaning)."""
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning
    return item


def reference_item(sop_class: str, sop_instance: str) -> Dataset:
    """A SOP instance reference item."""
    item = Dataset()
    item.ReferencedSOPClassUID = sop_class
    item.ReferencedSOPInstanceUID = sop_instance
    return item


def file_meta(sop_class: str, sop_instance: str, transfer_syntax: str) -> FileMetaDataset:
    """File meta information with a fixed implementation identity (no pydicom defaults)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class)
    meta.MediaStorageSOPInstanceUID = UID(sop_instance)
    meta.TransferSyntaxUID = UID(transfer_syntax)
    meta.ImplementationClassUID = UID(IMPLEMENTATION_CLASS_UID)
    meta.ImplementationVersionName = IMPLEMENTATION_VERSION_NAME
    return meta


def _charset(values: tuple[str, ...]) -> str | list[str]:
    return values[0] if len(values) == 1 else list(values)


def _patient(ds: Dataset, slot: Slot, staff: Staff) -> None:
    study = slot.series.study
    patient = study.patient
    ds.PatientName = patient.name.dicom
    ds.PatientID = patient.patient_id
    ds.IssuerOfPatientID = study.site.name
    ds.PatientBirthDate = dicom_date(patient.birth_date)
    ds.PatientSex = patient.sex
    ds.PatientAddress = patient.address
    ds.PatientTelephoneNumbers = patient.phone
    other = Dataset()
    other.PatientID = patient.other_id
    other.IssuerOfPatientID = study.site.department
    other.TypeOfPatientID = "TEXT"
    ds.OtherPatientIDsSequence = Sequence([other])
    if patient.slot == 0:
        ds.OtherPatientIDs = patient.other_id  # the retired flat form, still common
    if patient.mother_birth_name is not None:
        ds.PatientMotherBirthName = patient.mother_birth_name.alphabetic
    ds.PatientComments = texts.patient_comments(patient)
    ds.PatientAge = age_string(patient.birth_date, study.date)
    ds.PatientSize = patient.size_m
    ds.PatientWeight = patient.weight_kg
    ds.AdditionalPatientHistory = texts.additional_history(patient, staff)
    referenced = reference_item(DETACHED_PATIENT_MANAGEMENT, study.referenced_patient_uid)
    ds.ReferencedPatientSequence = Sequence([referenced])


def _study(ds: Dataset, slot: Slot, staff: Staff) -> None:
    study = slot.series.study
    ds.StudyInstanceUID = study.uid
    ds.StudyDate = dicom_date(study.date)
    ds.StudyTime = dicom_time(study.time)
    ds.ReferringPhysicianName = staff.referring.alphabetic
    ds.NameOfPhysiciansReadingStudy = staff.reading.alphabetic
    ds.StudyID = study.study_id
    ds.AccessionNumber = study.accession
    ds.StudyDescription = texts.study_description(study)
    procedure = f"{study.shape.modality}{study.shape.region[:3]}"
    ds.ProcedureCodeSequence = Sequence([
        code_item(procedure, "99WXRIS", study.shape.description.title())
    ])
    if study.prior_uid is not None:
        ds.ReferencedStudySequence = Sequence([
            reference_item(DETACHED_STUDY_MANAGEMENT, study.prior_uid)
        ])


def _series(ds: Dataset, slot: Slot, staff: Staff) -> None:
    series = slot.series
    study = series.study
    ds.Modality = study.shape.modality
    ds.SeriesInstanceUID = series.uid
    ds.SeriesNumber = series.number
    ds.SeriesDate = dicom_date(study.date)
    ds.SeriesTime = dicom_time(series.time)
    ds.SeriesDescription = series.shape.description
    ds.BodyPartExamined = study.shape.region
    ds.PerformingPhysicianName = staff.performing.alphabetic
    ds.OperatorsName = [staff.operator.alphabetic, staff.technologist.alphabetic]
    ds.PerformedProcedureStepID = study.performed_step_id
    ds.PerformedProcedureStepStartDate = dicom_date(study.date)
    ds.PerformedProcedureStepStartTime = dicom_time(study.time)
    if series.shape.kind not in (SeriesKind.US, SeriesKind.SC_CAPTURE, SeriesKind.SC_JPEG):
        ds.PatientPosition = "HFS" if study.shape.region != "KNEE" else "FFS"
    if study.shape.region == "KNEE":
        ds.Laterality = "R"  # Type 2C: required for a paired body part
    request = Dataset()
    request.AccessionNumber = study.accession
    request.RequestedProcedureID = study.requested_procedure_id
    request.ScheduledProcedureStepID = study.scheduled_step_id
    request.RequestedProcedureDescription = texts.request_description(study, staff)
    request.ReasonForTheRequestedProcedure = texts.reason_for_request(study.patient)
    request.RequestingPhysician = staff.requesting.alphabetic
    ds.RequestAttributesSequence = Sequence([request])


def _equipment(ds: Dataset, site: Site, modality: str) -> None:
    manufacturer, model, software = _EQUIPMENT[modality]
    ds.Manufacturer = manufacturer
    ds.ManufacturerModelName = model
    ds.SoftwareVersions = software
    ds.InstitutionName = site.name
    ds.InstitutionAddress = site.address
    ds.InstitutionalDepartmentName = site.department
    station, serial = {"CT": (site.ct_station, site.ct_serial),
                       "MR": (site.mr_station, site.mr_serial)}.get(
                           modality, (site.us_station, site.us_serial))
    ds.StationName = station
    ds.DeviceSerialNumber = serial


def base_dataset(slot: Slot, staff: Staff) -> Dataset:
    """A dataset with every shared module filled in, ready for the modality's modules."""
    series = slot.series
    study = series.study
    ds = Dataset()
    ds.SpecificCharacterSet = _charset(study.patient.character_set)
    ds.SOPClassUID = slot.sop_class
    ds.SOPInstanceUID = slot.sop_instance_uid
    ds.InstanceCreationDate = dicom_date(study.date)
    ds.InstanceCreationTime = dicom_time(series.time)
    ds.InstanceNumber = slot.number
    _patient(ds, slot, staff)
    _study(ds, slot, staff)
    _series(ds, slot, staff)
    _equipment(ds, study.site, study.shape.modality)
    ds.ContentDate = dicom_date(study.date)
    ds.ContentTime = dicom_time(slot.acquired)
    ds.AcquisitionDateTime = dicom_datetime(study.date, slot.acquired)
    code, meaning = _ANATOMY[study.shape.region]
    ds.AnatomicRegionSequence = Sequence([code_item(code, "SCT", meaning)])
    if slot.number == 1:
        ds.ImageComments = texts.image_comment(study)
    return ds
