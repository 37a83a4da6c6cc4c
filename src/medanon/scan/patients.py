"""The patient table, folded as files stream in: the privacy run's rows, without a row per file.

The rows and the rule that makes one row per patient are the privacy run's
(:mod:`medanon.collection.patients`: ``file_row`` per file, ``aggregate_patients``); a
scan only has to avoid holding a million of them. Files of one study nearly always
carry the same candidate values, so each distinct row is kept once with the number of
files that gave it, and expanded (as references, not copies) when the table is made.
The expansion is in a fixed order, so the table does not depend on how the files were
spread over workers.
"""

from __future__ import annotations

import itertools
from typing import Any

from medanon.collection.patients import FileRow, PatientRow, aggregate_patients


def _identity(row: FileRow) -> tuple[Any, ...]:
    return (row.patient, row.study, row.study_date, tuple(row.values.items()), row.unparseable)


class PatientPart:
    """Distinct file rows with their counts; parts merge in any order to the same table."""

    def __init__(self) -> None:
        self._rows: dict[tuple[Any, ...], list[Any]] = {}  # identity -> [row, files]
        self._patients: set[str] = set()

    def add(self, row: FileRow) -> None:
        """Count one file's row."""
        identity = _identity(row)
        entry = self._rows.get(identity)
        if entry is None:
            self._rows[identity] = [row, 1]
            self._patients.add(row.patient)
        else:
            entry[1] += 1

    def merge(self, other: PatientPart) -> None:
        """Add another part's rows."""
        for identity, (row, files) in other._rows.items():
            entry = self._rows.get(identity)
            if entry is None:
                self._rows[identity] = [row, files]
            else:
                entry[1] += files
        self._patients |= other._patients

    def __len__(self) -> int:
        return len(self._patients)

    def rows(self) -> list[PatientRow]:
        """One row per patient, ordered by pseudonym."""
        ordered = sorted(self._rows, key=repr)
        return aggregate_patients(itertools.chain.from_iterable(
            itertools.repeat(self._rows[identity][0], self._rows[identity][1])
            for identity in ordered))
