"""Every input accounted for: written (found in OUT), or listed in the run's report.

An input is paired with an output by its new SOP Instance UID when the key is given
(the verifier derives it itself: ``2.25.`` and the first 128 bits of the keyed digest),
or else by the hash of its pixel data. An input not paired must be listed in the run's
report (``OUT/.medanon/report.json``) as withheld, failed or excluded, which with the
key is checked file by file (by the keyed hash of its path), without it only by count.
Anything else is an input that silently vanished.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medanon.custody.keys import SecretKey
from medanon.verify.findings import Finding
from medanon.verify.sources import SourceRecord

STATE_DIR = ".medanon"
REPORT_FILE = "report.json"


def new_uid(key: SecretKey, uid: str) -> str:
    """The UID medanon gives ``uid`` under ``key`` (PS3.5 B.2, under 2.25.)."""
    return "2.25." + str(int.from_bytes(key.digest("uid", uid.strip("\x00 "))[:16], "big"))


def input_name(key: SecretKey | None, record: SourceRecord) -> str:
    """How a finding names an input: the run's keyed hash of its path (unkeyed without key)."""
    if key is not None:
        return key.digest("source-path", record.relative_bytes).hex()[:20]
    return "unkeyed-" + hashlib.sha256(record.relative_bytes).hexdigest()[:20]


def read_run_report(out: Path) -> dict[str, Any] | None:
    """The run's report, or None when OUT has none (not written by medanon run)."""
    path = out / STATE_DIR / REPORT_FILE
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data


@dataclass(frozen=True)
class Accounting:
    """How the inputs were accounted for."""

    paired: int
    reported: int
    missing: int
    findings: tuple[Finding, ...]


def account(sources: list[SourceRecord], output_uids: set[str], output_hashes: set[str],
            report: dict[str, Any] | None, key: SecretKey | None) -> Accounting:
    """Pair each input with an output or a report entry; findings for the rest."""
    listed = {str(p.get("file")) for p in (report or {}).get("problems", [])}
    paired = reported = 0
    unaccounted: list[SourceRecord] = []
    for record in sources:
        if record.parsed and record.sop_uid and (
                (key is not None and new_uid(key, record.sop_uid) in output_uids)
                or (record.pixel_hash and record.pixel_hash in output_hashes)):
            paired += 1
        elif key is not None and input_name(key, record) in listed:
            reported += 1
        else:
            unaccounted.append(record)
    if key is None and len(unaccounted) <= len(listed):
        return Accounting(paired, len(unaccounted), 0, ())  # only a count can be checked
    check = ("input neither in OUT nor in the run's report" if report is not None else
             "input not in OUT, and OUT has no run report that could list it")
    findings = tuple(Finding(input_name(key, r), "input", "missing", check)
                     for r in unaccounted)
    return Accounting(paired, reported, len(findings), findings)
