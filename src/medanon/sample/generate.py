"""Write the sample collection: resolve the shape, build each instance, lay files out.

The order is fixed (patients, studies, series, instances as the shape lists
them; then the patient CD through a File-set; then the text files; then the screening
cohort of :mod:`medanon.sample.cohort`) and nothing
depends on the clock or on randomness, so one seed gives byte-identical files.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pydicom
from pydicom.dataset import Dataset

from medanon.errors import ConfigurationError
from medanon.sample import layout, texts
from medanon.sample.builders import SOP_CLASSES, build_instance, instance_features
from medanon.sample.cohort import COHORT_PATIENTS, write_cohort
from medanon.sample.collection import ExpectedFile, FileKind, SampleCollection
from medanon.sample.derive import Deriver
from medanon.sample.dicomdir import write_file_set
from medanon.sample.modules import Slot
from medanon.sample.people import make_cast
from medanon.sample.plan import SeriesKind, resolve
from medanon.sample.planted import collect_planted

CD_FILE_SET_ID = "PATIENT_CD"


def _fate(slot: Slot) -> tuple[FileKind, str]:
    shape = slot.series.shape
    if shape.kind is SeriesKind.US and shape.burned_in == "YES":
        return FileKind.BURNED_IN, "ultrasound with BurnedInAnnotation YES"
    if shape.kind is SeriesKind.SC_CAPTURE:
        return FileKind.BURNED_IN, "secondary capture without BurnedInAnnotation"
    return FileKind.IMAGE, "DICOM image to de-identify and write"


def _expected(path: PurePosixPath, slot: Slot, ds: Dataset) -> ExpectedFile:
    kind, reason = _fate(slot)
    charset = slot.series.study.patient.character_set
    return ExpectedFile(
        path=path.as_posix(),
        kind=kind,
        reason=reason,
        modality=str(ds.Modality),
        sop_class_uid=slot.sop_class,
        sop_instance_uid=slot.sop_instance_uid,
        character_set=charset,
        transfer_syntax=str(ds.file_meta.TransferSyntaxUID),
        features=instance_features(slot),
    )


def _write(root: Path, path: PurePosixPath, ds: Dataset) -> None:
    target = root.joinpath(*path.parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    pydicom.dcmwrite(target, ds, enforce_file_format=True)


def _write_text(root: Path, path: PurePosixPath, text: str) -> None:
    target = root.joinpath(*path.parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(text.encode("utf-8"))


def _prepare(dest: Path) -> None:
    if dest.exists() and not dest.is_dir():
        raise ConfigurationError(f"sample destination {dest} exists and is not a folder")
    if dest.is_dir() and any(dest.iterdir()):
        raise ConfigurationError(
            f"sample destination {dest} is not empty; give a new or empty folder")
    dest.mkdir(parents=True, exist_ok=True)


def generate_sample(dest: Path, *, seed: int = 0, cohort: bool = False) -> SampleCollection:
    """Write the synthetic sample collection into ``dest`` (new or empty) and describe it.

    Parameters
    ----------
    dest
        Folder to write into; created if missing, refused if it holds anything.
    seed
        Chooses the people, identifiers, dates and UIDs; the same seed always
        gives byte-identical files. The shape (patients, studies, series, the
        cases each exercises) is the same for every seed.
    cohort
        Add the screening cohort (:mod:`medanon.sample.cohort`: 60 more patients with
        small CT images, enough for collection-level k-anonymity). ``medanon sample``
        writes it; tests that need only the hard cases leave it out and stay quick.

    Returns
    -------
    SampleCollection
        The files written, what a correct run must do with each, and every
        identifying value planted in them.

    Raises
    ------
    ConfigurationError
        If ``dest`` exists and is not an empty folder.
    """
    dest = Path(dest)
    _prepare(dest)
    d = Deriver(seed)
    cast = make_cast(d)
    all_series = resolve(cast, d)
    expected: list[ExpectedFile] = []
    cd_instances: list[tuple[Slot, Dataset]] = []
    for series in all_series:
        for number in range(1, series.shape.instances + 1):
            slot = Slot(series, number, SOP_CLASSES[series.shape.kind])
            ds = build_instance(slot, cast.staff, d, all_series)
            if series.study.shape.on_cd:
                cd_instances.append((slot, ds))
                continue
            path = layout.instance_path(series, number)
            _write(dest, path, ds)
            expected.append(_expected(path, slot, ds))
    cd_paths = write_file_set(dest, [ds for _, ds in cd_instances], d.uid("cd.file-set"),
                              CD_FILE_SET_ID)
    for slot, ds in cd_instances:
        expected.append(_expected(cd_paths[slot.sop_instance_uid], slot, ds))
    expected.append(ExpectedFile(layout.DICOMDIR.as_posix(), FileKind.DICOMDIR,
                                 "DICOMDIR of the patient CD: excluded and reported"))
    _write_text(dest, layout.README, texts.readme(cast))
    expected.append(ExpectedFile(layout.README.as_posix(), FileKind.NOT_DICOM,
                                 "CD readme, not a DICOM file"))
    first_study = all_series[0].study
    report = layout.report_path(first_study)
    _write_text(dest, report, texts.report(first_study, cast.staff))
    expected.append(ExpectedFile(report.as_posix(), FileKind.NOT_DICOM,
                                 "text report named .dcm, not a DICOM file"))
    planted = collect_planted(cast, all_series)
    cohort_files, cohort_planted, cohort_studies = write_cohort(dest, d) if cohort else \
        ([], [], 0)
    expected += cohort_files
    planted = tuple(dict.fromkeys((*planted, *cohort_planted)))
    return SampleCollection(
        root=dest,
        seed=seed,
        files=tuple(sorted(f.path for f in expected)),
        expected=tuple(sorted(expected, key=lambda f: f.path)),
        planted=tuple(sorted({p.value for p in planted})),
        planted_values=planted,
        patients=len(cast.patients) + (COHORT_PATIENTS if cohort else 0),
        studies=len({s.study.uid for s in all_series}) + cohort_studies,
        series=len(all_series) + cohort_studies,
    )
