"""The release folder ``DST/medanon-release/``: what a data recipient gets beside the images.

- ``patients.csv`` / ``patients.parquet``: exactly ``patient`` (the output PatientID),
  one column per quasi-identifier named as in the recipe with its published value
  (``lo-hi`` for ranges, as ``medanon table`` writes them), ``class`` and ``class_size``;
- ``clinical.csv`` / ``clinical.parquet`` when a clinical table was given: its rows of
  published patients, keyed by ``patient``, clinical quasi-identifiers generalised with
  the same classes, every other column as the recipe's roles say (identifying ones
  removed, pseudonymised ones keyed pseudonyms, the rest as read, text as text);
- ``privacy.json``: the settings, the metrics (GCP per quasi-identifier and overall, DM,
  C_avg, prosecutor and marketer risk), the independent check, the suppressed patients
  (by keyed pseudonym), the counts, and each clinical column's role (the unclassified
  ones listed apart: names only).

Every file is written to a temporary name and renamed into place.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from medanon.collection.clinical import ClinicalTable
from medanon.collection.planner import PrivacyPlan
from medanon.profile.privacy_section import CLINICAL_PREFIX

RELEASE_DIR = "medanon-release"


def patients_table(plan: PrivacyPlan) -> Any:
    """The published patient table (one row per published patient, by pseudonym)."""
    import pyarrow as pa

    columns: dict[str, Any] = {"patient": pa.array(plan.patients, pa.string())}
    for name in plan.section["quasi_identifiers"]:
        columns[name] = pa.array(plan.published[name], pa.string())
    columns["class"] = pa.array(plan.classes, pa.int64())
    columns["class_size"] = pa.array(plan.class_sizes, pa.int64())
    return pa.table(columns)


def clinical_release(plan: PrivacyPlan, clinical: ClinicalTable) -> Any:
    """The clinical rows of published patients, generalised like the patient table."""
    import pyarrow as pa

    position = {patient: i for i, patient in enumerate(plan.patients)}
    table = clinical.release
    rows = [i for i, p in enumerate(table.column("patient").to_pylist()) if p in position]
    table = table.take(rows)
    order = [position[p] for p in table.column("patient").to_pylist()]
    for name in plan.section["quasi_identifiers"]:
        if name.startswith(CLINICAL_PREFIX):
            column = name[len(CLINICAL_PREFIX):]
            index = table.column_names.index(column)
            values = [plan.published[name][i] for i in order]
            table = table.set_column(index, column, pa.array(values, pa.string()))
    table = table.append_column("class", pa.array([plan.classes[i] for i in order],
                                                  pa.int64()))
    return table.append_column("class_size", pa.array([plan.class_sizes[i] for i in order],
                                                      pa.int64()))


def privacy_report(plan: PrivacyPlan, clinical: ClinicalTable | None,
                   output_check: dict[str, Any]) -> dict[str, Any]:
    """The content of ``privacy.json``."""
    return {
        "format": "medanon-privacy-release/1",
        "settings": dict(plan.section),
        "method": plan.method,
        "metrics": dict(plan.metrics),
        "check": dict(plan.check),
        "suppressed_patients": list(plan.suppressed),
        "counts": dict(plan.counts),
        "clinical_columns": clinical.roles.as_dict() if clinical else {},
        "clinical_columns_unclassified": list(clinical.roles.unclassified) if clinical else [],
        "output": output_check,
    }


def write_release(dst: Path, plan: PrivacyPlan, clinical: ClinicalTable | None,
                  output_check: dict[str, Any]) -> Path:
    """Write the release folder under ``dst``; return its path."""
    from medanon.privacy.tableio import atomic_write, write_table

    folder = dst / RELEASE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    table = patients_table(plan)
    write_table(table, folder / "patients.csv")
    write_table(table, folder / "patients.parquet")
    if clinical is not None:
        released = clinical_release(plan, clinical)
        write_table(released, folder / "clinical.csv")
        write_table(released, folder / "clinical.parquet")
    else:  # a restarted run without a clinical table leaves none from the earlier run
        for name in ("clinical.csv", "clinical.parquet"):
            (folder / name).unlink(missing_ok=True)
    text = json.dumps(privacy_report(plan, clinical, output_check), indent=2, sort_keys=True)

    def write_json(path: Path) -> None:
        path.write_text(text + "\n", encoding="utf-8")
    atomic_write(folder / "privacy.json", write_json)
    return folder
