"""medanon: make DICOM collections and clinical tables safe to share for research."""

from medanon._version import __version__

__all__ = ["__version__"]
