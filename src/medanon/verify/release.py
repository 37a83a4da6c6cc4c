"""k, l and t of the privacy release re-checked from the released tables themselves.

When OUT holds a privacy release (``medanon-release/``), the published patient table
is read as text and handed to the independent checker (:mod:`medanon.privacy.checker`,
which shares no code with the engine), with the sensitive column joined from the
released clinical table by patient, and the requirements the run's settings name. A
requirement the release does not meet is a finding. The engine's own class ids are not
used.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from medanon.verify.findings import Finding
from medanon.verify.walk import RELEASE_DIR

PATIENTS = "patients.csv"
CLINICAL = "clinical.csv"
PRIVACY = "privacy.json"
CLINICAL_PREFIX = "clinical:"


def _columns(path: Path) -> dict[str, list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns: dict[str, list[str]] = {name: [] for name in reader.fieldnames or []}
        for row in reader:
            for name in columns:
                columns[name].append(row.get(name) or "")
    return columns


def _sensitive(folder: Path, patients: dict[str, list[str]], name: str
               ) -> list[str] | None:
    """The sensitive value of each published patient, from the table that holds it."""
    if name in patients:
        return patients[name]
    if not name.startswith(CLINICAL_PREFIX) or not (folder / CLINICAL).is_file():
        return None
    clinical = _columns(folder / CLINICAL)
    column = name[len(CLINICAL_PREFIX):]
    if column not in clinical or "patient" not in clinical:
        return None
    value_of = dict(zip(clinical["patient"], clinical[column], strict=True))
    return [value_of.get(p, "") for p in patients.get("patient", [])]


def check_release(out: Path) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The checker's report of the release under ``out`` (None without one) and findings."""
    folder = out / RELEASE_DIR
    if not folder.is_dir():
        return None, []
    location = f"{RELEASE_DIR}/{PATIENTS}"
    try:
        settings = json.loads((folder / PRIVACY).read_text(encoding="utf-8"))["settings"]
        patients = _columns(folder / PATIENTS)
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError, csv.Error):
        return None, [Finding(location, "file", "structure",
                              "privacy release cannot be read (patients.csv, privacy.json)")]
    from medanon.privacy.checker import check

    qis = [q for q in settings.get("quasi_identifiers", []) if q in patients]
    sensitive_name = settings.get("sensitive")
    columns: dict[str, list[str]] = {q: patients[q] for q in qis}
    sensitive = None
    if sensitive_name:
        values = _sensitive(folder, patients, str(sensitive_name))
        if values is not None:
            sensitive = "__sensitive__"
            columns[sensitive] = values
    hierarchies = settings.get("hierarchies") or {}
    t = settings.get("t") if sensitive and sensitive_name not in hierarchies else None
    report = check(columns, qis, sensitive, k=settings.get("k"),
                   l=settings.get("l") if sensitive else None,
                   l_model=settings.get("l_model") or "distinct", c=settings.get("c"), t=t)
    result = report.as_dict()
    result["t_checked"] = t is not None
    return result, [Finding(location, "table", "structure", f"privacy release: {v}")
                    for v in report.violations]
