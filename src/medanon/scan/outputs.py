"""Write what a scan found: JSON for everything, tables for the census, patients, values.

Every file is written to a temporary name beside its target and renamed into place. The
suffix chooses the format (``.parquet``, ``.csv``; ``.json`` too for the values) and is
checked before the scan starts, so a typo does not cost a scan of the whole collection.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa

from medanon.collection.patients import patient_columns, patient_table, unparseable_counts
from medanon.errors import ConfigurationError
from medanon.privacy.tableio import atomic_write, check_suffix, write_table
from medanon.scan.result import ScanResult

CENSUS_SCHEMA = pa.schema([
    ("path", pa.string()), ("tag", pa.string()), ("keyword", pa.string()),
    ("vr", pa.string()), ("private", pa.bool_()), ("creator", pa.string()),
    ("depth", pa.int32()), ("files", pa.int64()), ("distinct_values", pa.int64()),
    ("distinct_exact", pa.bool_()), ("free_text", pa.bool_())])
VALUE_SCHEMA = pa.schema([
    ("path", pa.string()), ("keyword", pa.string()), ("vr", pa.string()),
    ("creator", pa.string()), ("value", pa.string()), ("files", pa.int64())])


def check_table_path(path: Path, option: str) -> None:
    """Refuse a table output whose suffix medanon does not write (before any work)."""
    try:
        check_suffix(path, "output")
    except ConfigurationError:
        raise ConfigurationError(f"{option} {path.name}: expected a .parquet or .csv file "
                                 "name") from None


def check_values_path(path: Path) -> None:
    """``--values`` takes .json as well as the table formats."""
    if path.suffix.lower() != ".json":
        check_table_path(path, "--values")


def patients_overview(result: ScanResult) -> dict[str, Any]:
    """How complete the patient table is, in counts (never the values).

    Patients missing each value, and patients with an unreadable value of each keyword.
    """
    rows = result.patient_rows()
    columns = patient_columns(rows)
    missing: Counter[str] = Counter()
    for row in rows:
        missing.update(name for name in columns if row.values.get(name) is None)
    return {"count": len(rows), "columns": ["patient", *columns, "studies", "files"],
            "missing": {name: missing.get(name, 0) for name in columns},
            "unparseable": unparseable_counts(rows)}


def write_json(result: ScanResult, path: Path) -> None:
    """The summary, the census and the patient table's completeness (no values)."""
    document = {"summary": result.summary(), "census": result.census_rows(),
                "patients": patients_overview(result)}
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    atomic_write(path, lambda target: _write_text(target, text))


def write_census(result: ScanResult, path: Path) -> None:
    """One row per attribute."""
    write_table(pa.Table.from_pylist(result.census_rows(), schema=CENSUS_SCHEMA), path)


def write_patients(result: ScanResult, path: Path) -> None:
    """One row per patient (keyed pseudonym) with the candidate quasi-identifiers."""
    write_table(patient_table(result.patient_rows()), path)


def write_values(result: ScanResult, path: Path) -> None:
    """Every distinct value of every attribute, with the number of files carrying it."""
    rows = result.value_rows()
    if path.suffix.lower() != ".json":
        write_table(pa.Table.from_pylist(rows, schema=VALUE_SCHEMA), path)
        return
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        entry = grouped.setdefault((row["path"], row["vr"]), {
            "path": row["path"], "keyword": row["keyword"], "vr": row["vr"],
            "creator": row["creator"], "values": {}})
        entry["values"][row["value"]] = row["files"]
    text = json.dumps({"attributes": list(grouped.values())}, indent=2,
                      ensure_ascii=False) + "\n"
    atomic_write(path, lambda target: _write_text(target, text))


def _write_text(target: Path, text: str) -> None:
    target.write_text(text, encoding="utf-8")
