"""The shape of the sample collection, and its resolution into concrete studies and series.

The shape is fixed (five patients, eleven studies, sixteen series) so that every
seed exercises the same cases; the seed only changes the people, identifiers,
dates and UIDs. Each series kind below exists for one reason a de-identifier
must handle; the comments say which.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from medanon.sample.derive import Deriver
from medanon.sample.people import Cast, Patient, Site


class SeriesKind(enum.Enum):
    """What a series is made of; the builders dispatch on this."""

    CT_LOCALIZER = "ct-localizer"
    CT_AXIAL = "ct-axial"
    CT_MPR = "ct-mpr"
    MR = "mr"
    US = "us"
    SC_CAPTURE = "sc-capture"
    SC_JPEG = "sc-jpeg"


@dataclass(frozen=True)
class SeriesShape:
    """One series of the fixed shape."""

    kind: SeriesKind
    description: str
    instances: int
    burned_in: str | None = None
    features: frozenset[str] = frozenset()


@dataclass(frozen=True)
class StudyShape:
    """One study of the fixed shape; ``months_after`` places it after the patient's first."""

    modality: str
    region: str
    description: str
    months_after: int
    series: tuple[SeriesShape, ...]
    on_cd: bool = False
    prior: int | None = None


_F = frozenset
# Feature names, also used in SampleCollection.expected to say what each file exercises.
SHAPE: dict[int, tuple[StudyShape, ...]] = {
    0: (  # ISO_IR 100: references between series, private blocks of every kind, a report file
        StudyShape("CT", "CHEST", "CT CHEST", 0, (
            SeriesShape(SeriesKind.CT_LOCALIZER, "SCOUT", 1),
            SeriesShape(SeriesKind.CT_AXIAL, "AXIAL 5MM", 5,
                        features=_F({"private-safe", "private-unknown", "private-empty-creator",
                                     "private-orphan", "referenced-image"})),
            SeriesShape(SeriesKind.CT_MPR, "CORONAL MPR", 2, features=_F({"source-image"})),
        )),
        StudyShape("CT", "CHEST", "CT CHEST FOLLOW-UP", 5, (
            SeriesShape(SeriesKind.CT_AXIAL, "AXIAL 5MM", 4, features=_F({"private-safe"})),
        ), prior=0),
    ),
    1: (  # ISO_IR 100: MR, Siemens-style private headers, nested private sequence, an overlay
        StudyShape("MR", "BRAIN", "MR BRAIN", 0, (
            SeriesShape(SeriesKind.MR, "T1 SAG", 3,
                        features=_F({"private-siemens", "private-sequence"})),
            SeriesShape(SeriesKind.MR, "T2 AX", 3, features=_F({"overlay"})),
        )),
        StudyShape("MR", "BRAIN", "MR BRAIN FOLLOW-UP", 7, (
            SeriesShape(SeriesKind.MR, "FLAIR AX", 3, features=_F({"real-world-value"})),
        ), prior=0),
    ),
    2: (  # ISO 2022 IR 87: ultrasound with and without burned-in annotation
        StudyShape("US", "ABDOMEN", "US ABDOMEN", 0, (
            SeriesShape(SeriesKind.US, "ABDOMEN SURVEY", 1, burned_in="YES"),
            SeriesShape(SeriesKind.US, "LIVER", 1, burned_in="NO"),
        )),
        StudyShape("CT", "ABDOMEN", "CT ABDOMEN", 3, (
            SeriesShape(SeriesKind.CT_AXIAL, "AXIAL 3MM", 3),
        )),
    ),
    3: (  # ISO_IR 100: a capture that does not declare its annotation, a JPEG key image
        StudyShape("CT", "HEAD", "CT HEAD", 0, (
            SeriesShape(SeriesKind.CT_AXIAL, "AXIAL 5MM", 3),
            SeriesShape(SeriesKind.SC_CAPTURE, "DOSE REPORT", 1),
        )),
        StudyShape("OT", "HEAD", "KEY IMAGES", 4, (
            SeriesShape(SeriesKind.SC_JPEG, "KEY IMAGE", 1, burned_in="NO",
                        features=_F({"jpeg-segments"})),
        )),
    ),
    4: (  # ISO_IR 192: a patient CD (DICOMDIR) with an old study carrying curve data
        StudyShape("CT", "PELVIS", "CT PELVIS", 0, (
            SeriesShape(SeriesKind.CT_AXIAL, "AXIAL 5MM", 3, features=_F({"curve"})),
        ), on_cd=True),
        StudyShape("MR", "KNEE", "MR KNEE", 140, (
            SeriesShape(SeriesKind.MR, "PD SAG", 2),
        ), on_cd=True),
        StudyShape("MR", "KNEE", "MR KNEE FOLLOW-UP", 146, (
            SeriesShape(SeriesKind.MR, "PD SAG", 3),
        ), prior=1),
    ),
}


@dataclass(frozen=True)
class Study:
    """A study of one patient with its identifiers and date resolved."""

    patient: Patient
    index: int
    shape: StudyShape
    site: Site
    uid: str
    date: dt.date
    time: dt.time
    accession: str
    study_id: str
    requested_procedure_id: str
    scheduled_step_id: str
    performed_step_id: str
    referenced_patient_uid: str
    prior_uid: str | None

    @property
    def label(self) -> str:
        """Stable label for derivations of this study's parts."""
        return f"p{self.patient.slot}.s{self.index}"


@dataclass(frozen=True)
class Series:
    """A series with its UID, number and timing resolved."""

    study: Study
    number: int
    shape: SeriesShape
    uid: str
    frame_of_reference_uid: str
    time: dt.time
    instance_uids: tuple[str, ...]

    @property
    def label(self) -> str:
        """Stable label for derivations of this series' parts."""
        return f"{self.study.label}.se{self.number}"


def _add_months(day: dt.date, months: int, extra_days: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + year, month + 1, min(day.day, 28)) + dt.timedelta(days=extra_days)


def resolve(cast: Cast, d: Deriver) -> tuple[Series, ...]:
    """Give every study and series of the shape its identifiers, dates and UIDs."""
    resolved: list[Series] = []
    for patient in cast.patients:
        shapes = SHAPE[patient.slot]
        if shapes[0].on_cd:
            first = d.date(f"p{patient.slot}.first", dt.date(2008, 2, 1), dt.date(2009, 9, 30))
        else:
            first = d.date(f"p{patient.slot}.first", dt.date(2023, 1, 9), dt.date(2023, 12, 15))
        studies: list[Study] = []
        for index, shape in enumerate(shapes):
            label = f"p{patient.slot}.s{index}"
            date = (first if index == 0 else
                    _add_months(first, shape.months_after, d.integer(f"{label}.days", 0, 20)))
            studies.append(Study(
                patient=patient,
                index=index,
                shape=shape,
                site=cast.cd_site if shape.on_cd else cast.main_site,
                uid=d.uid(f"{label}.study"),
                date=date,
                time=d.time(f"{label}.time"),
                accession=f"ACC{d.digits(f'{label}.accession', 9)}",
                study_id=f"ST{d.digits(f'{label}.studyid', 6)}",
                requested_procedure_id=f"RQP{d.digits(f'{label}.rqp', 7)}",
                scheduled_step_id=f"SPS{d.digits(f'{label}.sps', 7)}",
                performed_step_id=f"PPS{d.digits(f'{label}.pps', 7)}",
                referenced_patient_uid=d.uid(f"p{patient.slot}.patient-record"),
                prior_uid=None if shape.prior is None else studies[shape.prior].uid,
            ))
        for study in studies:
            for number, series_shape in enumerate(study.shape.series, start=1):
                label = f"{study.label}.se{number}"
                start = study.time.hour * 3600 + study.time.minute * 60 + study.time.second
                seconds = start + 240 * number + d.integer(f"{label}.time", 0, 120)
                resolved.append(Series(
                    study=study,
                    number=number,
                    shape=series_shape,
                    uid=d.uid(f"{label}.series"),
                    frame_of_reference_uid=d.uid(f"{study.label}.frame"),
                    time=dt.time(seconds // 3600 % 24, seconds // 60 % 60, seconds % 60),
                    instance_uids=tuple(d.uid(f"{label}.i{k}")
                                        for k in range(1, series_shape.instances + 1)),
                ))
    return tuple(resolved)
