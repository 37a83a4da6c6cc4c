"""What a finished scan tells: the summary, the census, the patient table, the values.

Every view but :meth:`ScanResult.value_rows` holds counts, names of standard things
(modalities, SOP classes, transfer syntaxes, equipment, attribute keywords) and keyed
pseudonyms only: safe to print and to keep. The patient table also holds each patient's
candidate quasi-identifiers (age, sex, size, weight, ...), which is what it is for;
the value rows hold every decoded value, personal data included, for a reviewer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from medanon.collection.patients import PatientRow
from medanon.scan.naming import path_text, step_text
from medanon.scan.record import AttributeKey, FileStatus
from medanon.scan.tally import CollectionTally

CENSUS_COLUMNS = ("path", "tag", "keyword", "vr", "private", "creator", "depth", "files",
                  "distinct_values", "distinct_exact", "free_text")
VALUE_COLUMNS = ("path", "keyword", "vr", "creator", "value", "files")


@dataclass(frozen=True)
class ScanResult:
    """A finished scan of one folder."""

    tally: CollectionTally
    seconds: float
    workers: int
    key_fingerprint: str
    values_collected: bool = False
    resumed_files: int = 0  # counted by earlier sessions of a resumed scan

    @property
    def files(self) -> int:
        """Every file seen."""
        return self.tally.files_done

    @property
    def scanned(self) -> int:
        """Files scanned by this session (not counted by an earlier one)."""
        return self.files - self.resumed_files

    def summary(self) -> dict[str, Any]:
        """Counts, formats and equipment: no value from any file but standard names."""
        inventory, tally = self.tally.inventory, self.tally
        keys = list(tally.census.files)
        names = tally.uid_names
        return {
            "files": {"total": self.files,
                      **{status.value: inventory.files.get(status.value, 0)
                         for status in FileStatus}},
            "bytes": {"total": sum(inventory.bytes.values()),
                      **{status.value: inventory.bytes.get(status.value, 0)
                         for status in FileStatus}},
            "patients": len(tally.patients),
            "studies": len(tally.studies),
            "series": len(tally.series),
            "instances": len(tally.instances),
            "problems": dict(inventory.reasons.most_common()),
            "modalities": dict(inventory.modalities.most_common()),
            "sop_classes": [{"uid": uid, "name": names.get(uid, ""), "files": n}
                            for uid, n in inventory.sop_classes.most_common()],
            "transfer_syntaxes": [{"uid": uid, "name": names.get(uid, ""), "files": n}
                                  for uid, n in inventory.transfer_syntaxes.most_common()],
            "equipment": [{"manufacturer": make, "model": model, "files": n}
                          for (make, model), n in inventory.equipment.most_common()],
            "attributes": {"total": len(keys),
                           "private": sum(1 for k in keys if k[0][-1][1] != ""),
                           "in_sequences": sum(1 for k in keys if len(k[0]) > 1),
                           "free_text": sum(1 for k in keys if self._described(k)[1])},
            "scan": {"seconds": round(self.seconds, 3), "workers": self.workers,
                     "files_per_second": round(self.scanned / self.seconds, 1)
                     if self.seconds > 0 else None,
                     "files_this_session": self.scanned,
                     "files_from_earlier_sessions": self.resumed_files,
                     "key_fingerprint": self.key_fingerprint},
        }

    def census_rows(self) -> list[dict[str, Any]]:
        """One row per attribute (path and VR), in path order."""
        census = self.tally.census
        rows = []
        for key in sorted(census.files, key=_order):
            step = key[0][-1]
            distinct, exact = census.distinct_count(key)
            name, free_text = self._described(key)
            rows.append({
                "path": path_text(key), "tag": step_text(step), "keyword": name,
                "vr": key[1], "private": step[1] != "",
                "creator": step[1] if step[1] else None, "depth": len(key[0]) - 1,
                "files": census.files[key], "distinct_values": distinct,
                "distinct_exact": exact, "free_text": free_text})
        return rows

    def _described(self, key: AttributeKey) -> tuple[str, bool]:
        return self.tally.names.get(key, ("", False))

    def patient_rows(self) -> list[PatientRow]:
        """One row per patient (keyed pseudonym) with the candidate quasi-identifiers."""
        return self.tally.patients.rows()

    def value_rows(self) -> list[dict[str, Any]]:
        """Every distinct decoded value of every attribute, with the files that carry it.

        Personal data: only for a file a reviewer asked for. Empty unless the scan was
        run with ``collect_values``.
        """
        rows = []
        reviewed = self.tally.census.reviewed
        for key in sorted(reviewed, key=_order):
            step = key[0][-1]
            for value, files in sorted(reviewed[key].items(), key=lambda item: item[0]):
                rows.append({"path": path_text(key), "keyword": self._described(key)[0],
                             "vr": key[1],
                             "creator": step[1] if step[1] else None, "value": value,
                             "files": files})
        return rows


def _order(key: AttributeKey) -> tuple[tuple[int, str], ...]:
    """Path order; within a private group, its creators first, then each creator's elements."""
    steps = []
    for tag, creator in key[0]:
        if creator and tag & 0xFFFF == 0x0010:
            tag &= 0xFFFF0000
        steps.append((tag, creator or ""))
    return (*steps, (0, key[1]))
