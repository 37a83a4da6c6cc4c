"""Fold file records into counts: per batch in a worker, then for the whole collection.

A worker folds each file of its batch into a :class:`BatchTally` and seals it (value
bytes become digests) before sending it; the coordinator merges the sealed batches into
one :class:`CollectionTally`. Merging is order-independent, so the result is the same
whatever the number of workers and however their batches interleave.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from medanon.scan.census import Census, CensusPart, SealedCensus
from medanon.scan.distinct import DistinctCounter
from medanon.scan.naming import describe, uid_name
from medanon.scan.patients import PatientPart
from medanon.scan.record import AttributeKey, FileRecord, FileStatus


@dataclass
class Inventory:
    """What the files are: counts by status, sizes, reasons, and what the instances hold."""

    files: Counter[str] = field(default_factory=Counter)
    bytes: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)  # why files are not usable
    modalities: Counter[str] = field(default_factory=Counter)
    sop_classes: Counter[str] = field(default_factory=Counter)
    transfer_syntaxes: Counter[str] = field(default_factory=Counter)
    equipment: Counter[tuple[str, str]] = field(default_factory=Counter)  # manufacturer, model

    def add(self, record: FileRecord) -> None:
        """Count one file."""
        self.files[record.status.value] += 1
        self.bytes[record.status.value] += record.size
        if record.reason is not None:
            self.reasons[record.reason] += 1
        if record.status is FileStatus.DICOM:
            self.modalities[record.modality] += 1
            self.sop_classes[record.sop_class] += 1
            self.transfer_syntaxes[record.transfer_syntax] += 1
            self.equipment[(record.manufacturer, record.model)] += 1

    def merge(self, other: Inventory) -> None:
        """Add another inventory's counts."""
        for name in ("files", "bytes", "reasons", "modalities", "sop_classes",
                     "transfer_syntaxes", "equipment"):
            getattr(self, name).update(getattr(other, name))


@dataclass
class SealedBatch:
    """What a worker sends back for one batch of files."""

    inventory: Inventory
    census: SealedCensus
    patients: PatientPart
    studies: list[int]
    series: list[int]
    instances: list[int]
    names: dict[AttributeKey, tuple[str, bool]]  # keyword, free text
    uid_names: dict[str, str]


class BatchTally:
    """A worker's tally of one batch."""

    def __init__(self) -> None:
        self.inventory = Inventory()
        self.census = CensusPart()
        self.patients = PatientPart()
        self.studies: set[int] = set()
        self.series: set[int] = set()
        self.instances: list[int] = []

    def add(self, record: FileRecord) -> None:
        """Fold one file's record in."""
        self.inventory.add(record)
        if record.status is not FileStatus.DICOM:
            return
        self.census.add(record.attributes, record.values)
        if record.patient_row is not None:
            self.patients.add(record.patient_row)
        if record.study is not None:
            self.studies.add(record.study)
        if record.series is not None:
            self.series.add(record.series)
        if record.instance is not None:
            self.instances.append(record.instance)

    def seal(self) -> SealedBatch:
        """The batch, ready to send (no value bytes left in it), with the names it needs."""
        census = self.census.seal()
        uids = {*self.inventory.sop_classes, *self.inventory.transfer_syntaxes}
        return SealedBatch(self.inventory, census, self.patients, list(self.studies),
                           list(self.series), self.instances,
                           {key: describe(key) for key in census.files},
                           {uid: uid_name(uid) for uid in uids})


class CollectionTally:
    """The coordinator's tally of every file scanned so far."""

    def __init__(self) -> None:
        self.inventory = Inventory()
        self.census = Census()
        self.patients = PatientPart()
        self.studies = DistinctCounter()
        self.series = DistinctCounter()
        self.instances = DistinctCounter()
        self.names: dict[AttributeKey, tuple[str, bool]] = {}
        self.uid_names: dict[str, str] = {}

    def merge(self, batch: SealedBatch) -> None:
        """Add one sealed batch."""
        self.inventory.merge(batch.inventory)
        self.census.merge(batch.census)
        self.patients.merge(batch.patients)
        self.studies.update(batch.studies)
        self.series.update(batch.series)
        self.instances.update(batch.instances)
        self.names.update(batch.names)
        self.uid_names.update(batch.uid_names)

    @property
    def files_done(self) -> int:
        """Files counted so far."""
        return sum(self.inventory.files.values())
