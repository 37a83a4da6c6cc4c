"""The inventory of a DICOM collection: counts, formats, attribute census, patient table.

``scan_folder`` is the library entry point (``medanon scan`` and the privacy run's first
pass use it); ``scan_file`` is its pure unit of work, one file's header described. The
DICOM machinery loads only where files are read (``scan_file`` is imported on first use),
so a coordinating process that only merges the workers' tallies never pays for it.
"""

from typing import Any

from medanon.scan.api import scan_folder
from medanon.scan.record import FileRecord, FileStatus, ScanSettings
from medanon.scan.result import ScanResult

__all__ = ["FileRecord", "FileStatus", "ScanResult", "ScanSettings", "scan_file",
           "scan_folder"]


def __getattr__(name: str) -> Any:
    if name == "scan_file":
        from medanon.scan.inspect import scan_file

        return scan_file
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
