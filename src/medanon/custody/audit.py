"""Check an audit log and the outputs it describes; summarise it.

:func:`verify_audit` walks the chain line by line and stops at the first line that is
wrong, saying what is wrong with it (edited, truncated, out of place, not following its
predecessor, badly signed). Then every output the log says was written is hashed again
and compared with its recorded SHA-256; an output that is missing, changed, or on disk
without any entry, is named with the line that claims it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medanon.custody.chain import GENESIS, canonical, entry_hash, iter_lines
from medanon.custody.recorder import AUDIT_NAME
from medanon.custody.signing import SignatureChecker
from medanon.errors import ConfigurationError

STATE_DIR_NAME = ".medanon"


@dataclass(frozen=True)
class Problem:
    """The first thing found wrong: the line it is on (None: not a line) and what."""

    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return where + self.message


@dataclass
class AuditSummary:
    """What a log records: sessions, files by outcome, the head."""

    entries: int = 0
    runs: int = 0
    sessions_finished: int = 0
    sessions_stopped: int = 0
    signed: int = 0
    lookups: int = 0
    files: Counter[str] = field(default_factory=Counter)
    head: str = GENESIS
    last_time: str | None = None


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of :func:`verify_audit`."""

    summary: AuditSummary
    problem: Problem | None
    outputs_checked: int

    @property
    def intact(self) -> bool:
        """True when the chain and every output are as recorded."""
        return self.problem is None


def locate_log(path: Path) -> tuple[Path, Path]:
    """The audit log and the output folder for ``path`` (an output folder or its state folder)."""
    path = Path(path)
    if (path / STATE_DIR_NAME / AUDIT_NAME).is_file():
        return path / STATE_DIR_NAME / AUDIT_NAME, path
    if (path / AUDIT_NAME).is_file():
        return path / AUDIT_NAME, path.parent
    raise ConfigurationError(f"no audit log in {path} (expected {STATE_DIR_NAME}/{AUDIT_NAME})")


def read_entries(log: Path) -> tuple[list[dict[str, Any]], AuditSummary, Problem | None]:
    """Every entry of the chain up to the first bad line, the summary, and that line's problem."""
    entries: list[dict[str, Any]] = []
    summary = AuditSummary()
    previous = GENESIS
    for number, line in iter_lines(log):
        problem = _line_problem(number, line, previous)
        if problem is not None:
            return entries, summary, problem
        entry: dict[str, Any] = json.loads(line)
        entries.append(entry)
        _count(summary, entry)
        previous = entry["hash"]
    return entries, summary, None


def _line_problem(number: int, line: bytes, previous: str) -> Problem | None:
    if not line.endswith(b"\n"):
        return Problem(number, "the log is truncated in the middle of this line")
    try:
        entry = json.loads(line)
    except ValueError:
        return Problem(number, "is not a valid entry: edited or truncated")
    if not isinstance(entry, dict) or not {"n", "prev", "hash", "kind"} <= entry.keys():
        return Problem(number, "is not an audit entry (fields missing): edited or forged")
    if entry_hash(entry) != entry["hash"] or canonical(entry) + b"\n" != line:
        return Problem(number, "was edited: its content does not match its own hash")
    if entry["n"] != number:
        return Problem(number, f"holds entry {entry['n']}: lines were deleted, inserted or "
                               "moved before it")
    if entry["prev"] != previous:
        return Problem(number, "does not follow the line before it (its predecessor hash "
                               "differs): a line was inserted, deleted or moved here")
    return None


def _count(summary: AuditSummary, entry: dict[str, Any]) -> None:
    summary.entries += 1
    summary.head = entry["hash"]
    summary.last_time = entry.get("time", summary.last_time)
    kind = entry["kind"]
    if kind == "run-start":
        summary.runs += 1
    elif kind == "run-end":
        if entry.get("state") == "finished":
            summary.sessions_finished += 1
        else:
            summary.sessions_stopped += 1
        summary.signed += "signature" in entry
    elif kind == "file":
        summary.files[str(entry["status"])] += 1
    elif kind == "lookup":
        summary.lookups += 1


def verify_audit(path: Path, *, public_key: SignatureChecker | None = None,
                 head: str | None = None, check_outputs: bool = True,
                 output_root: Path | None = None, source: Path | None = None
                 ) -> VerifyResult:
    """Check the chain in ``path``'s audit log, its signatures, and the outputs on disk.

    ``head``: a head hash kept elsewhere (printed by a run, in its report): the chain
    must contain it, so a log cut back to an earlier point is caught. ``output_root``: the
    output folder, when the state folder is not ``DST/.medanon`` (``run --state``).
    ``source``: for a stage-2 run (its input was a medanon output), that input folder: its
    own log is checked too, and must contain the head the stage-2 run recorded from it.
    """
    log, found_root = locate_log(path)
    output_root = output_root or found_root
    entries, summary, problem = read_entries(log)
    if problem is None and public_key is not None:
        problem = _signature_problem(entries, public_key)
    if problem is None and head is not None and head not in {e["hash"] for e in entries}:
        problem = Problem(None, f"the head {head} is not in the log: it was cut back or "
                                "replaced")
    if problem is None and source is not None:
        problem = _link_problem(entries, source)
    checked = 0
    if problem is None and check_outputs:
        problem, checked = _output_problem(entries, output_root)
    return VerifyResult(summary, problem, checked)


def _link_problem(entries: list[dict[str, Any]], source: Path) -> Problem | None:
    """The stage-1 log (in ``source``) is intact and holds every head this log recorded."""
    linked = [e for e in entries if e["kind"] == "run-start" and e.get("source_audit_head")]
    if not linked:
        return Problem(None, "no session of this log recorded a stage-1 audit head")
    stage1 = verify_audit(source, check_outputs=True)
    if stage1.problem is not None:
        return Problem(None, f"the stage-1 audit log in {source} is not intact: "
                             f"{stage1.problem}")
    hashes = {e["hash"] for e in read_entries(locate_log(source)[0])[0]}
    for entry in linked:
        if entry["source_audit_head"] not in hashes:
            return Problem(entry["n"], "the stage-1 audit head this session recorded is not "
                                       f"in the log of {source}")
    return None


def _signature_problem(entries: list[dict[str, Any]], checker: SignatureChecker
                       ) -> Problem | None:
    last_signed = 0
    for entry in entries:
        if entry["kind"] != "run-end" or entry.get("state") != "finished":
            continue
        signature = entry.get("signature")
        if signature is None:
            return Problem(entry["n"], "this session's end is not signed")
        if not checker.is_valid(entry["hash"], str(signature)):
            return Problem(entry["n"], f"the signature is not valid for the public key "
                                       f"{checker.fingerprint}")
        last_signed = entry["n"]
    if not entries:
        return Problem(None, "the log is empty")
    if last_signed != entries[-1]["n"]:
        return Problem(last_signed + 1, "the entries from here on are not covered by a "
                                        "signed session end")
    return None


def _claims(entries: list[dict[str, Any]]) -> dict[str, tuple[int, str]]:
    """The outputs the log says are in place now: output path → (line, SHA-256).

    Each output keeps the claims made on it in order; a withdrawal removes that input's
    claim, and the latest claim left is the one the file must match.
    """
    claims: dict[str, list[tuple[int, str, str]]] = {}
    for entry in entries:
        kind = entry["kind"]
        if kind == "run-start" and entry.get("restart"):
            claims.clear()  # --restart removed every output of the earlier run
        elif kind == "withdrawn":
            for item in entry.get("files", []):
                stack = claims.get(item["output"], [])
                stack[:] = [claim for claim in stack if claim[2] != item["source"]]
        elif kind == "file" and entry.get("output") and entry.get("output_sha256"):
            claims.setdefault(entry["output"], []).append(
                (entry["n"], entry["output_sha256"], entry["source"]))
    return {output: stack[-1][:2] for output, stack in claims.items() if stack}


def _output_problem(entries: list[dict[str, Any]], root: Path) -> tuple[Problem | None, int]:
    claims = _claims(entries)
    for output, (line, digest) in sorted(claims.items(), key=lambda item: item[1][0]):
        try:
            with open(root / output, "rb") as handle:
                actual = hashlib.file_digest(handle, "sha256").hexdigest()
        except FileNotFoundError:
            return Problem(line, f"its output {output} is missing"), len(claims)
        if actual != digest:
            return Problem(line, f"its output {output} was changed after the run (its "
                                 "SHA-256 differs)"), len(claims)
    for unclaimed in sorted(_outputs_on_disk(root) - claims.keys()):
        return Problem(None, f"the output {unclaimed} is not in the audit log"), len(claims)
    return None, len(claims)


def _outputs_on_disk(root: Path) -> set[str]:
    found = set()
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != STATE_DIR_NAME]
        for name in files:
            if name.endswith(".dcm"):
                found.add(Path(dirpath, name).relative_to(root).as_posix())
    return found
