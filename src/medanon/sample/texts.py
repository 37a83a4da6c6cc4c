"""Free text with personal data, as clinicians and modalities type it into real studies.

Every sentence here deliberately mixes clinical words with names, identifiers,
dates, addresses or phone numbers: these are the descriptors a de-identifier
must remove or clean. Dates in free text use ISO form (``1956-03-12``), which
the planted list also carries. All strings stay within the character repertoire
of the patient's Specific Character Set and within their VR's length limit.
"""

from __future__ import annotations

import datetime as dt

from medanon.sample.people import Cast, Patient, Staff, ascii_fold
from medanon.sample.plan import Study


def iso(day: dt.date) -> str:
    """The ``YYYY-MM-DD`` rendering of a date, as typed into notes and folder names."""
    return day.isoformat()


def study_description(study: Study) -> str:
    """StudyDescription (LO): the first study of each patient names the patient."""
    if study.index == 0:
        return f"{study.shape.description} for {study.patient.name.natural}"
    return study.shape.description


def additional_history(patient: Patient, staff: Staff) -> str:
    """AdditionalPatientHistory (LT): name, birth date, phone and referrer."""
    return (f"{patient.name.natural}, born {iso(patient.birth_date)}, phone {patient.phone}. "
            f"Referred by {staff.referring.doctor}. Lives at {patient.address}.")


def image_comment(study: Study) -> str:
    """ImageComments (LT) as a technologist types it."""
    patient = study.patient
    return (f"Pt {patient.name.spaced} ID {patient.patient_id} scanned {iso(study.date)}"
            " - repeat if motion")


def request_description(study: Study, staff: Staff) -> str:
    """RequestedProcedureDescription (LO) inside the request attributes item."""
    return f"{study.shape.description} requested by {staff.requesting.doctor}"


def reason_for_request(patient: Patient) -> str:
    """ReasonForTheRequestedProcedure (LO), quoting the other hospital number."""
    return f"Follow-up, see {patient.other_id}"


def patient_comments(patient: Patient) -> str:
    """PatientComments (LT): how to reach the patient."""
    return f"Contact {patient.phone}; {patient.address}"


def overlay_comment(patient: Patient) -> str:
    """OverlayComments (LT) of the annotated MR slice."""
    return f"Lesion outline drawn for {patient.name.natural} ({patient.patient_id})"


def curve_description(patient: Patient) -> str:
    """CurveDescription (LO) of the legacy ROI curve."""
    return f"ROI {patient.name.spaced}"


def private_note(patient: Patient) -> str:
    """A private LT note an archive adds."""
    return f"Imported for {patient.name.natural}, MRN {patient.other_id}"


def jpeg_comment(study: Study) -> str:
    """The text of the JPEG COM segment a capture workstation writes."""
    patient = study.patient
    return (f"Captured {iso(study.date)} for {patient.name.natural} "
            f"({patient.patient_id}) at {study.site.name}")


def jpeg_xmp(study: Study) -> str:
    """An XMP packet (APP1) naming the patient as the image's subject."""
    patient = study.patient
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:subject>{patient.name.natural}</dc:subject>"
        f"<dc:identifier>{patient.patient_id}</dc:identifier>"
        f"<dc:creator>{study.site.name}</dc:creator>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )


def burned_lines(study: Study) -> list[str]:
    """Annotation lines a modality burns into a frame (ASCII, the font's repertoire)."""
    patient = study.patient
    return [
        ascii_fold(patient.name.spaced),
        f"ID {patient.patient_id}",
        f"DOB {iso(patient.birth_date)}",
        f"{iso(study.date)} {study.time:%H:%M}",
        ascii_fold(study.site.name)[:24],
    ]


def readme(cast: Cast) -> str:
    """README.TXT of the patient CD, as CD burners write it."""
    cd = next(p for p in cast.patients if p.slot == 4)
    return (
        "PATIENT CD - DICOM IMAGES\r\n"
        f"Created by {cast.cd_site.name}, {cast.cd_site.address}\r\n"
        f"Patient: {cd.name.natural}  ID: {cd.patient_id}\r\n"
        "Open DICOMDIR with a DICOM viewer. Not for diagnostic use.\r\n"
    )


def report(study: Study, staff: Staff) -> str:
    """A radiology report exported next to the images (a text file named ``.dcm``)."""
    patient = study.patient
    return (
        f"RADIOLOGY REPORT - {study.site.name}\n"
        f"Patient: {patient.name.natural} ({patient.patient_id}), born {iso(patient.birth_date)}\n"
        f"Accession: {study.accession}  Date: {iso(study.date)}\n"
        f"Referrer: {staff.referring.natural}\n\n"
        "Findings: small nodule in the right upper lobe, unchanged.\n"
        f"Reported by {staff.reading.natural}\n"
    )
