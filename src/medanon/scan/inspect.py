"""The scan's unit of work: one file's header, read up to the pixel data, described.

:func:`scan_file` is pure in the sense the runners need: it reads its file and nothing
else, changes nothing, never raises for a bad file (whatever goes wrong is a status and
a reason that names no value), and gives the same record wherever it runs. The privacy
run's first pass calls it too.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydicom.dataset import Dataset

from medanon.collection.patients import FileRow, file_row
from medanon.dicom.backend.peek import peek_text
from medanon.dicom.quiet import quiet_pydicom
from medanon.dicom.read import read_instance
from medanon.errors import InputError
from medanon.scan.attributes import Observation, Value, observe
from medanon.scan.distinct import digest
from medanon.scan.record import FileRecord, FileStatus, ScanSettings

_NOT_DICOM_REASONS = ("empty file", "not a DICOM file")


def scan_file(path: Path, settings: ScanSettings) -> FileRecord:
    """Describe one file: what it is, who and what it belongs to, every attribute it holds."""
    with quiet_pydicom():
        try:
            size = os.path.getsize(path)
        except OSError as exc:
            return FileRecord(FileStatus.UNREADABLE, 0, f"cannot read the file ({exc.strerror})")
        try:
            return _describe(path, size, settings)
        except InputError as exc:
            reason = str(exc)
            status = FileStatus.NOT_DICOM if reason.startswith(_NOT_DICOM_REASONS) \
                else FileStatus.UNREADABLE
            return FileRecord(status, size, reason)
        except (ValueError, TypeError, KeyError, AttributeError, LookupError) as exc:
            # A value pydicom cannot decode (a bad character set, a malformed number).
            return FileRecord(FileStatus.UNREADABLE, size,
                              f"cannot decode the header ({type(exc).__name__})")


def _describe(path: Path, size: int, settings: ScanSettings) -> FileRecord:
    instance = read_instance(path, accept_no_meta=settings.accept_no_meta)
    if instance.is_dicomdir:
        return FileRecord(FileStatus.DICOMDIR, size)
    dataset = instance.dataset
    observations: list[Observation] = []
    values: list[Value] = []
    if settings.census:
        observations, values = observe(dataset, collect_values=settings.collect_values)
        meta_observations, meta_values = observe(instance.file_meta,
                                                 collect_values=settings.collect_values)
        observations, values = meta_observations + observations, meta_values + values
    uids = [peek_text(dataset, k) for k in ("StudyInstanceUID", "SeriesInstanceUID",
                                            "SOPInstanceUID")]
    study, series, sop = (digest(u.encode("utf-8")) if u else None for u in uids)
    row = file_row(dataset, settings.key, settings.keywords)
    return FileRecord(
        status=FileStatus.DICOM,
        size=size,
        patient=row.patient,
        study=study,
        series=series,
        instance=sop,
        modality=peek_text(dataset, "Modality"),
        sop_class=peek_text(dataset, "SOPClassUID"),
        transfer_syntax=instance.transfer_syntax,
        manufacturer=_text_of(row, dataset, "Manufacturer"),
        model=_text_of(row, dataset, "ManufacturerModelName"),
        patient_row=row,
        attributes=tuple(observations),
        values=tuple(values),
    )


def _text_of(row: FileRow, dataset: Dataset, keyword: str) -> str:
    """The patient row's value of ``keyword`` when it read it, else the header's."""
    value = row.values.get(keyword)
    return value if isinstance(value, str) else peek_text(dataset, keyword)
