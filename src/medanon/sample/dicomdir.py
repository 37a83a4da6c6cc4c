"""The patient-CD part of the sample: instances under a real DICOMDIR (PS3.10 File-set).

pydicom's :class:`~pydicom.fileset.FileSet` writes the DICOMDIR, with its PATIENT,
STUDY, SERIES and IMAGE records copying names, IDs, dates and descriptions, and
names the instance files the way CD burners do (``PT000000/ST000000/...``). The
File-set UID and ID are fixed by the caller so the bytes stay reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from tempfile import TemporaryDirectory

from pydicom.dataset import Dataset
from pydicom.fileset import FileSet
from pydicom.uid import UID


def write_file_set(root: Path, datasets: Sequence[Dataset], uid: str,
                   file_set_id: str) -> dict[str, PurePosixPath]:
    """Write ``datasets`` and a DICOMDIR under ``root``; map SOP Instance UID to relative path.

    ``root`` may already hold other files: only the File-set's own paths are written.
    """
    file_set = FileSet()
    file_set.UID = UID(uid)
    file_set.ID = file_set_id
    for ds in datasets:
        file_set.add(ds)
    file_set.write(root)
    paths = {
        str(instance.SOPInstanceUID): PurePosixPath(*Path(instance.FileID).parts)
        for instance in file_set
    }
    # pydicom leaves its staging folder to the garbage collector (a ResourceWarning at
    # exit); remove it now. Guarded, so a pydicom without that attribute still works.
    stage = getattr(file_set, "_stage", {}).get("t")
    if isinstance(stage, TemporaryDirectory):
        stage.cleanup()
    return paths
