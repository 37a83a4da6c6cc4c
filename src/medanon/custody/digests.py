"""What a worker adds to a file's outcome for custody: digests, action counts, crosswalk.

Computed in the worker, where the bytes are (and in the page cache, just read or just
written), so the coordinator never reads a file to audit it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pydicom.dataset import Dataset

from medanon.dicom.dates import date_offset_days
from medanon.dicom.pseudonyms import patient_identity
from medanon.dicom.transform import Transformed
from medanon.dicom.write import file_digest
from medanon.runner.context import RunContext
from medanon.runner.outcome import FileOutcome


def with_input_digest(outcome: FileOutcome, path: Path) -> FileOutcome:
    """``outcome`` with the SHA-256 of the input's bytes (None when it cannot be read)."""
    try:
        return replace(outcome, input_sha256=file_digest(path))
    except OSError:
        return outcome


def action_counts(transformed: Transformed) -> tuple[tuple[str, int], ...]:
    """How many values each kind of action the transform reports on touched.

    The transform reports two kinds by count: attributes a whitelist removed (its review
    items) and values the safety net cleaned; the others are not counted per file.
    """
    return (("whitelist_removed", len(transformed.review)),
            ("safety_net_cleaned", len(transformed.net_hits)))


def crosswalk_records(ctx: RunContext, original: Dataset, transformed: Transformed
                      ) -> tuple[tuple[str, str], ...]:
    """The file's sealed crosswalk records, or none when the run keeps no crosswalk."""
    if ctx.crosswalk is None:
        return ()
    from medanon.custody.crosswalk import file_records

    offset = date_offset_days(ctx.key, patient_identity(original))
    return file_records(ctx.crosswalk, original, transformed.dataset, offset)
