"""The inventory of a DICOM collection: counts, formats, attribute census, patient table.

``scan_folder`` is the library entry point (``medanon scan`` and the privacy run's first
pass use it); ``scan_file`` is its pure unit of work, one file's header described.
"""

from medanon.scan.api import scan_folder
from medanon.scan.inspect import scan_file
from medanon.scan.record import FileRecord, FileStatus, ScanSettings
from medanon.scan.result import ScanResult

__all__ = ["FileRecord", "FileStatus", "ScanResult", "ScanSettings", "scan_file",
           "scan_folder"]
