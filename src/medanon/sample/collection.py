"""What a generated sample collection holds and what a correct de-identification run must do.

:class:`SampleCollection` is the contract between the generator and the tests
and demo that use it: the files written, the fate a correct run gives each of
them (:class:`ExpectedFile`), and every identifying value planted in them
(:class:`PlantedValue`), so a test can search every output byte and path for
each one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path


class FileKind(enum.StrEnum):
    """The fate a correct de-identification run gives a file of the sample."""

    IMAGE = "image"
    """A DICOM image: de-identified and written."""
    BURNED_IN = "burned-in"
    """A DICOM image with text burned into its pixels: written with the text blanked.

    (Withheld for review instead when pixel cleaning is off: ``[pixels] ocr = "off"``.)
    """
    NOT_DICOM = "not-dicom"
    """Not a DICOM file (whatever its name): reported as failed, not written."""
    DICOMDIR = "dicomdir"
    """The media directory: excluded from the output and reported."""


@dataclass(frozen=True)
class ExpectedFile:
    """One file of the sample, what it is, and why a correct run treats it so.

    For DICOM files, ``modality``, ``sop_class_uid``, ``sop_instance_uid``,
    ``character_set`` (the values of Specific Character Set) and
    ``transfer_syntax`` are what the file claims; ``features`` names the cases it
    exercises (``overlay``, ``curve``, ``jpeg-segments``, ``private-orphan``...).
    """

    path: str
    kind: FileKind
    reason: str
    modality: str = ""
    sop_class_uid: str = ""
    sop_instance_uid: str = ""
    character_set: tuple[str, ...] = ()
    transfer_syntax: str = ""
    features: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ExpectedCounts:
    """How many files a correct run writes, withholds, fails and excludes."""

    written: int
    withheld: int
    failed: int
    excluded: int


@dataclass(frozen=True)
class PlantedValue:
    """An identifying value planted somewhere in the sample, with what kind of value it is.

    Kinds: ``patient-name``, ``patient-id``, ``other-patient-id``, ``birth-date``,
    ``address``, ``phone``, ``clinician-name``, ``institution``, ``station-name``,
    ``device-serial``, ``accession-number``, ``study-id``, ``procedure-id``,
    ``study-date``, ``uid``.
    """

    kind: str
    value: str


def byte_patterns(value: str) -> tuple[bytes, ...]:
    """The encodings under which ``value`` may appear in a file's bytes.

    UTF-8 always; ISO 8859-1 when the value is encodable and differs (ISO_IR 100
    datasets); ISO 2022 JP with its escape sequences for Japanese values
    (ISO 2022 IR 87 datasets encode each run of kanji or kana that way).
    """
    patterns = [value.encode("utf-8")]
    for codec in ("latin-1", "iso2022_jp"):
        try:
            encoded = value.encode(codec)
        except UnicodeEncodeError:
            continue
        if encoded not in patterns:
            patterns.append(encoded)
    return tuple(patterns)


@dataclass(frozen=True)
class SampleCollection:
    """A generated sample collection.

    ``files`` are the relative POSIX paths of every file written, sorted;
    ``expected`` says for each what a correct run must do with it; ``planted``
    lists every identifying string planted anywhere (bytes or paths), sorted
    and unique, and ``planted_values`` the same with their kinds.
    """

    root: Path
    seed: int
    files: tuple[str, ...]
    expected: tuple[ExpectedFile, ...]
    planted: tuple[str, ...]
    planted_values: tuple[PlantedValue, ...]
    patients: int
    studies: int
    series: int

    def paths_of(self, kind: FileKind) -> tuple[str, ...]:
        """The relative paths of the files of one kind."""
        return tuple(f.path for f in self.expected if f.kind is kind)

    @property
    def counts(self) -> ExpectedCounts:
        """What a correct run does, in numbers."""
        return ExpectedCounts(
            written=len(self.paths_of(FileKind.IMAGE)) + len(self.paths_of(FileKind.BURNED_IN)),
            withheld=0,
            failed=len(self.paths_of(FileKind.NOT_DICOM)),
            excluded=len(self.paths_of(FileKind.DICOMDIR)),
        )

    @property
    def dicom_files(self) -> tuple[ExpectedFile, ...]:
        """The DICOM instances (images written or withheld), not the DICOMDIR."""
        return tuple(f for f in self.expected if f.kind in (FileKind.IMAGE, FileKind.BURNED_IN))

    def planted_of(self, kind: str) -> tuple[str, ...]:
        """The planted values of one kind."""
        return tuple(p.value for p in self.planted_values if p.kind == kind)

    def describe(self) -> str:
        """A one-paragraph summary that names no planted value (safe to print or log)."""
        counts = self.counts
        modalities = sorted({f.modality for f in self.dicom_files})
        return (
            f"Sample collection (seed {self.seed}): {len(self.files)} files for "
            f"{self.patients} patients, {self.studies} studies and {self.series} series "
            f"({', '.join(modalities)}). A correct de-identification run writes "
            f"{counts.written} DICOM images ({len(self.paths_of(FileKind.BURNED_IN))} of them with "
            f"text burned into the pixels, blanked), reports {counts.failed} "
            f"files that are not DICOM as failed and excludes {counts.excluded} DICOMDIR. "
            f"{len(self.planted)} identifying values are planted in headers, sequences, "
            "private blocks, overlays, curves, free text, JPEG segments and file names."
        )
