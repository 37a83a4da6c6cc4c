"""The list of identifying values the generator planted, derived from the same model it wrote.

The list is what makes an end-to-end "nothing survives" test meaningful, so it
must name only values that really are in the input (tests check that each one
is found in some file's bytes or path) and, together, every identifying value
written (tests check each personal-data attribute against it).
"""

from __future__ import annotations

from medanon.sample.collection import PlantedValue
from medanon.sample.derive import dicom_date
from medanon.sample.people import Cast, PersonName
from medanon.sample.plan import Series, SeriesKind
from medanon.sample.texts import iso

# Slots whose folder names use the ASCII-folded FAMILY_GIVEN rendering (see layout).
_FOLDED_FOLDER_SLOTS = (0, 2, 4)
_PLANE_KINDS = (SeriesKind.CT_LOCALIZER, SeriesKind.CT_AXIAL, SeriesKind.CT_MPR, SeriesKind.MR)


def _staff_names(person: PersonName, *forms: str) -> list[PlantedValue]:
    values = [person.alphabetic, f"{person.family}^{person.given}"]
    values += [getattr(person, form) for form in forms]
    return [PlantedValue("clinician-name", v) for v in values]


def collect_planted(cast: Cast, all_series: tuple[Series, ...]) -> tuple[PlantedValue, ...]:
    """Every identifying value written in the sample, with its kind, without duplicates."""
    planted: list[PlantedValue] = []
    for patient in cast.patients:
        names = list(patient.name.renderings())
        if patient.slot in _FOLDED_FOLDER_SLOTS:
            names.append(patient.name.folder)
        if patient.mother_birth_name is not None:
            names.append(patient.mother_birth_name.alphabetic)
        planted += [PlantedValue("patient-name", n) for n in names]
        planted += [
            PlantedValue("patient-id", patient.patient_id),
            PlantedValue("other-patient-id", patient.other_id),
            PlantedValue("birth-date", dicom_date(patient.birth_date)),
            PlantedValue("birth-date", iso(patient.birth_date)),
            PlantedValue("address", patient.address),
            PlantedValue("phone", patient.phone),
        ]
    staff = cast.staff
    planted += _staff_names(staff.referring, "doctor", "natural")
    planted += _staff_names(staff.requesting, "doctor")
    planted += _staff_names(staff.reading, "natural")
    for person in (staff.performing, staff.operator, staff.technologist):
        planted += _staff_names(person)
    sites_used = {(s.study.site, s.study.shape.modality) for s in all_series}
    for site in (cast.main_site, cast.cd_site):
        planted += [PlantedValue("institution", v)
                    for v in (site.name, site.address, site.department)]
    for site, modality in sorted(sites_used, key=lambda p: (p[0].name, p[1])):
        station, serial = {"CT": (site.ct_station, site.ct_serial),
                           "MR": (site.mr_station, site.mr_serial)}.get(
                               modality, (site.us_station, site.us_serial))
        planted += [PlantedValue("station-name", station), PlantedValue("device-serial", serial)]
    studies = list(dict.fromkeys(s.study for s in all_series))
    for study in studies:
        planted += [
            PlantedValue("accession-number", study.accession),
            PlantedValue("study-id", study.study_id),
            PlantedValue("procedure-id", study.requested_procedure_id),
            PlantedValue("procedure-id", study.scheduled_step_id),
            PlantedValue("procedure-id", study.performed_step_id),
            PlantedValue("study-date", dicom_date(study.date)),
            PlantedValue("study-date", iso(study.date)),
            PlantedValue("uid", study.uid),
            PlantedValue("uid", study.referenced_patient_uid),
        ]
    for series in all_series:
        planted.append(PlantedValue("uid", series.uid))
        if series.shape.kind in _PLANE_KINDS:  # only images with a plane have a frame
            planted.append(PlantedValue("uid", series.frame_of_reference_uid))
        planted += [PlantedValue("uid", uid) for uid in series.instance_uids]
    return tuple(dict.fromkeys(planted))
