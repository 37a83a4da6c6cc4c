"""A deterministic synthetic DICOM collection full of planted personal data.

``medanon sample DIR`` and the end-to-end tests use it: several patients with
longitudinal CT, MR, ultrasound and secondary-capture studies, every kind of
place personal data hides (headers, nested sequences, private blocks, overlays,
curves, free text, JPEG segments, file and folder names), and the list of every
identifying value planted, so a test can search the de-identified output for
each one and expect to find none.
"""

from medanon.sample.collection import (
    ExpectedCounts,
    ExpectedFile,
    FileKind,
    PlantedValue,
    SampleCollection,
    byte_patterns,
)
from medanon.sample.generate import generate_sample

__all__ = [
    "ExpectedCounts",
    "ExpectedFile",
    "FileKind",
    "PlantedValue",
    "SampleCollection",
    "byte_patterns",
    "generate_sample",
]
