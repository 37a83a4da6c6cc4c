"""What the scan learns from one file, and the settings every worker receives once.

A :class:`FileRecord` holds values only in memory, on their way from a worker to the
tally: the patient is named by the keyed pseudonym a run would give them, studies,
series and instances by unkeyed 64-bit digests that never leave the process, and the
candidate quasi-identifiers as the privacy run reads them
(:func:`medanon.collection.patients.file_row`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from medanon.collection.patients import CANDIDATE_KEYWORDS, FileRow
from medanon.custody.keys import SecretKey

#: One level of an attribute's path: a public tag with creator ``""``; a private data
#: element as group and element byte (``gggg00ee``) with its block's creator; a private
#: creator element as ``gggg0010`` with the creator it reserves; a private element whose
#: block has no creator as its full tag with creator ``None``.
Step = tuple[int, str | None]
#: An attribute of the census: its path from the top level (one step per sequence), and VR.
AttributeKey = tuple[tuple[Step, ...], str]


class Attribute:
    """One :data:`AttributeKey`, interned: a process makes one object per key.

    Workers fold hundreds of observations per file into sets; an interned object hashes
    and compares by identity, in C, where the nested key tuple would be hashed anew each
    time. Tallies leave the process keyed by ``key``, the plain tuple.
    """

    __slots__ = ("key",)

    def __init__(self, key: AttributeKey) -> None:
        self.key = key

    def __repr__(self) -> str:
        return f"Attribute({self.key!r})"

    def __reduce__(self) -> tuple[object, ...]:
        from medanon.scan.attributes import attribute  # interned again where it lands

        return attribute, (self.key,)


class FileStatus(enum.StrEnum):
    """What a file turned out to be."""

    DICOM = "dicom"
    DICOMDIR = "dicomdir"  # a media index: counted, not an instance
    NOT_DICOM = "not-dicom"  # empty, or no DICM prefix and not a bare data set
    UNREADABLE = "unreadable"  # DICOM (or claims to be) but truncated or malformed


@dataclass(frozen=True)
class ScanSettings:
    """Everything a worker needs, frozen and picklable.

    ``key`` names patients by the pseudonym ``medanon run`` gives them, so the patient
    table of a scan joins with a run's output. ``collect_values`` also keeps the decoded
    values of every attribute (for ``--values`` only: they are personal data).
    ``keywords`` are the DICOM attributes of the patient table besides the derived ones;
    ``accept_no_meta`` reads bare data sets, as ``medanon run --accept-no-meta`` does.
    ``census`` False skips the attribute census (every element walked and hashed): a
    privacy run's first pass needs only the patient table and the counts, and the walk
    would cost it more than reading the header does.
    """

    src_root: Path
    key: SecretKey
    collect_values: bool = False
    keywords: tuple[str, ...] = CANDIDATE_KEYWORDS
    accept_no_meta: bool = False
    census: bool = True


@dataclass(frozen=True)
class FileRecord:
    """One file, as the scan saw it (in memory only: it holds values)."""

    status: FileStatus
    size: int
    reason: str | None = None
    patient: str | None = None  # keyed pseudonym, as the run's output PatientID
    study: int | None = None  # 64-bit digests of the UIDs
    series: int | None = None
    instance: int | None = None
    modality: str = ""
    sop_class: str = ""
    transfer_syntax: str = ""
    manufacturer: str = ""
    model: str = ""
    patient_row: FileRow | None = None  # the candidate quasi-identifiers
    attributes: tuple[tuple[Attribute, bytes | None], ...] = ()  # (attribute, value bytes)
    values: tuple[tuple[Attribute, str], ...] = ()  # only with collect_values
