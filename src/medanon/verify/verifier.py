"""``verify_folder``: check an output collection, independently of the code that wrote it.

Order: read the sources (when ``against`` is given) and index their identifying values;
scan every output file (elements at every depth, raw bytes, path, structure, census);
resolve references across OUT; account for every input; compare dciodvfy's errors.
Library code: nothing is printed; pass ``on_progress`` to follow it.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from medanon.custody.keys import SecretKey
from medanon.errors import ConfigurationError
from medanon.verify import validity
from medanon.verify.accounting import Accounting, account, new_uid, read_run_report
from medanon.verify.census import Census
from medanon.verify.findings import Finding, sort_key
from medanon.verify.needles import ANY_PATIENT, Needle, NeedleIndex
from medanon.verify.pool import run_parallel
from medanon.verify.release import check_release
from medanon.verify.scan import ScanContext, ScanResult, scan_output
from medanon.verify.sources import SourceContext, SourceRecord, read_source
from medanon.verify.state import output_at_rest
from medanon.verify.walk import files_under

DCIODVFY_MODES = ("all", "sample", "off")
ProgressCallback = Callable[[str, int], None]


@dataclass(frozen=True)
class VerifyOptions:
    """How to verify."""

    against: Path | None = None
    key: SecretKey | None = None
    workers: int = 0
    dciodvfy: str = "sample"
    # Check at most this many output files, drawn evenly and the same way every time
    # (0: every file). The run's own report checks a sample: checking every file would
    # cost as much again as the run, and ``medanon verify`` is there for all of them.
    sample: int = 0


@dataclass
class VerifyResult:
    """Everything the verifier found, and what it looked at."""

    findings: list[Finding]
    census: list[dict[str, Any]]
    summary: dict[str, Any] = field(default_factory=dict)
    #: With ``against``: each paired output (its path in OUT) and its source (its path in
    #: the source folder). Never in :meth:`to_dict`: a source path may hold personal data.
    sources_of: dict[str, str] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 when nothing was found, else 1."""
        return 1 if self.findings else 0

    def to_dict(self, *, show_values: bool = False) -> dict[str, Any]:
        """The JSON form (``--json``)."""
        return {"summary": self.summary,
                "findings": [f.to_dict(show_values=show_values) for f in self.findings],
                "census": self.census}


def _scan(path: tuple[Path, Path], ctx: ScanContext) -> ScanResult:
    return scan_output(path[0], path[1], ctx)


def _dciodvfy(pair: tuple[Path, Path], _ctx: object) -> tuple[Path, list[str]]:
    return pair[0], validity.new_errors(pair)


def build_index(sources: Iterable[SourceRecord]
                ) -> tuple[NeedleIndex, dict[str, int], list[SourceRecord]]:
    """The needle index of every source value, each patient's number, and the records.

    Records are folded in as they arrive and kept without their values (the index holds
    each distinct value once), so a million source files do not hold a million copies
    of their patients' names.
    """
    index = NeedleIndex()
    patients: dict[str, int] = {}
    kept: list[SourceRecord] = []
    for record in sources:
        if record.parsed:
            patient = patients.setdefault(record.patient, len(patients))
            for value in record.values:
                index.add(Needle(value.category, value.value, value.check,
                                 patient if value.dated else ANY_PATIENT))
            for uid in record.uids:
                index.add_uid(uid, patient)
        kept.append(replace(record, values=(), uids=()))
    return index, patients, kept


def verify_folder(out: Path, options: VerifyOptions | None = None,
                  on_progress: ProgressCallback | None = None) -> VerifyResult:
    """Verify every file under ``out``; see the module docstring for what is checked.

    Refused while a medanon run is still writing ``out`` (:mod:`medanon.verify.state`).
    """
    with output_at_rest(out):
        return _verify_folder(out, options, on_progress)


def _verify_folder(out: Path, options: VerifyOptions | None = None,
                   on_progress: ProgressCallback | None = None) -> VerifyResult:
    """Verify every file under ``out``, once it is known to be at rest.

    Raises
    ------
    ConfigurationError
        ``out`` (or ``against``) is not a folder, or an option is invalid.
    """
    options = options or VerifyOptions()
    if not out.is_dir():
        raise ConfigurationError("the output folder (OUT) does not exist or is not a folder")
    if options.against is not None and not options.against.is_dir():
        raise ConfigurationError("--against: the source folder does not exist or is not a "
                                 "folder")
    if options.sample and options.against is not None:
        raise ConfigurationError("a sample cannot account for every input: verify every "
                                 "file when checking against the source")
    if options.dciodvfy not in DCIODVFY_MODES:
        raise ConfigurationError(f"--dciodvfy must be one of {', '.join(DCIODVFY_MODES)}")
    timings: dict[str, float] = {}
    started = time.monotonic()
    sources: list[SourceRecord] = []
    ctx = ScanContext(index=None, hash_pixels=False)  # no source to pair with
    if options.against is not None:
        src = options.against
        index, patients, sources = build_index(run_parallel(
            _read_source_item, ((p, src) for p in files_under(src)),
            SourceContext(hash_pixels=options.key is None),
            options.workers, _ticker(on_progress, "sources")))
        by_uid: dict[str, int] = {}
        by_pixels: dict[str, int] = {}
        for record in sources:
            if record.parsed:
                number = patients[record.patient]
                if options.key is not None and record.sop_uid:
                    by_uid[new_uid(options.key, record.sop_uid)] = number
                if record.pixel_hash:
                    by_pixels[record.pixel_hash] = number
        ctx = ScanContext(index=index, patient_by_uid=by_uid, patient_by_pixels=by_pixels,
                          hash_pixels=options.key is None)
        timings["sources_seconds"] = time.monotonic() - started
    scan_started = time.monotonic()
    census = Census()
    findings: list[Finding] = []
    scans: list[ScanResult] = []
    total_bytes = 0
    outputs: Iterable[Path] = files_under(out, skip_release=True)
    total_outputs: int | None = None
    if options.sample > 0:
        chosen, total_outputs = sample_paths(outputs, options.sample)
        outputs = chosen
    for result in run_parallel(_scan, ((p, out) for p in outputs),
                               ctx, options.workers, _ticker(on_progress, "outputs")):
        findings += result.findings
        census.add_file(result.census)
        result.census, result.findings = [], []  # folded: only the pairing data stays
        total_bytes += result.bytes_read
        scans.append(result)
    timings["outputs_seconds"] = time.monotonic() - scan_started
    in_source = None
    if options.key is not None:
        in_source = {new_uid(options.key, uid) for record in sources
                     for uid in (record.sop_uid, *record.containers) if uid}
    if total_outputs is None:  # a sample cannot tell a missing reference from one not drawn
        findings += _unresolved_references(scans, in_source)
    accounting = None
    if options.against is not None:
        accounting = account(sources, {s.sop_uid for s in scans if s.sop_uid},
                             {s.pixel_hash for s in scans if s.pixel_hash},
                             read_run_report(out), options.key)
        findings += accounting.findings
    pairs = pair_outputs(scans, sources, options.key) if options.against is not None else {}
    validity_note, validity_findings = _validity(pairs, out, options)
    findings += validity_findings
    privacy, privacy_findings = check_release(out)
    findings += privacy_findings
    timings["total_seconds"] = time.monotonic() - started
    findings = sorted(set(findings), key=sort_key)
    summary = _summary(scans, sources, findings, accounting, options, timings, total_bytes,
                       validity_note)
    if privacy is not None:
        summary["privacy_release"] = privacy
    if total_outputs is not None:
        summary["sampled"] = {"checked": len(scans), "of": total_outputs}
    return VerifyResult(findings, census.to_rows(), summary, pairs)


def sample_paths(paths: Iterable[Path], size: int) -> tuple[list[Path], int]:
    """At most ``size`` of ``paths``, each equally likely, the same ones for the same list.

    Reservoir sampling with a fixed seed: one pass, memory for ``size`` paths however many
    there are. Returns the sample in walk order and how many paths there were.
    """
    rng = random.Random(0)
    chosen: list[tuple[int, Path]] = []
    count = 0
    for count, path in enumerate(paths, start=1):
        if len(chosen) < size:
            chosen.append((count, path))
        else:
            slot = rng.randrange(count)
            if slot < size:
                chosen[slot] = (count, path)
    return [path for _n, path in sorted(chosen, key=lambda item: item[0])], count


def _read_source_item(item: tuple[Path, Path], ctx: SourceContext) -> SourceRecord:
    return read_source(item[0], item[1], ctx)


def _ticker(on_progress: ProgressCallback | None, phase: str) -> Callable[[object], None]:
    count = [0]

    def tick(_result: object) -> None:
        count[0] += 1
        if on_progress is not None:
            on_progress(phase, count[0])
    return tick


def _unresolved_references(scans: list[ScanResult], in_source: set[str] | None
                           ) -> list[Finding]:
    """References to an instance that is not in OUT (withheld, or a UID left unmapped).

    With the source and the key, a reference to an instance the source did not hold
    either (a localizer never exported) is the source's, not a finding.
    """
    present = {s.sop_uid for s in scans if s.sop_uid}
    present.update(uid for s in scans for uid in s.container_uids if uid)
    return [Finding(s.relative, location, "structure",
                    "referenced instance is not in OUT", (uid,))
            for s in scans for location, uid in s.references
            if uid not in present and (in_source is None or uid in in_source)]


def pair_outputs(scans: list[ScanResult], sources: list[SourceRecord],
                 key: SecretKey | None) -> dict[str, str]:
    """Each output (its path in OUT) paired with its source (its path in the source folder).

    By the new SOP Instance UID the key gives, else by the hash of its pixels (which a file
    whose pixels were cleaned no longer shares).
    """
    source_of_hash = {s.pixel_hash: s for s in sources if s.parsed and s.pixel_hash}
    source_of_uid = {new_uid(key, s.sop_uid): s for s in sources
                     if s.parsed and s.sop_uid} if key is not None else {}
    pairs = {}
    for scan in scans:
        record = source_of_uid.get(scan.sop_uid) or source_of_hash.get(scan.pixel_hash)
        if scan.parsed and record is not None:
            pairs[scan.relative] = record.relative
    return pairs


def _validity(paired: dict[str, str], out: Path, options: VerifyOptions
              ) -> tuple[str, list[Finding]]:
    if options.dciodvfy == "off":
        return "off", []
    if options.against is None:
        return "not compared (needs --against)", []
    if not validity.available():
        return "dciodvfy is not installed (Debian package dicom3tools): not checked", []
    pairs = [(out / output, options.against / source) for output, source in paired.items()]
    chosen = validity.choose(pairs, options.dciodvfy)
    findings = []
    for output, errors in run_parallel(_dciodvfy, chosen, None, options.workers):
        relative = output.relative_to(out).as_posix()
        findings += [Finding(relative, "file", "validity", f"dciodvfy: {e}") for e in errors]
    return f"{len(chosen)} of {len(pairs)} paired files checked", findings


def _summary(scans: list[ScanResult], sources: list[SourceRecord], findings: list[Finding],
             accounting: Accounting | None, options: VerifyOptions,
             timings: dict[str, float], total_bytes: int, validity_note: str
             ) -> dict[str, Any]:
    seconds = max(timings.get("outputs_seconds", 0.0), 1e-9)
    summary: dict[str, Any] = {
        "outputs": len(scans),
        "outputs_parsed": sum(s.parsed for s in scans),
        "bytes_read": total_bytes,
        "findings": len(findings),
        "by_category": dict(sorted(Counter(f.category for f in findings).items())),
        "files_with_findings": len({f.file for f in findings}),
        "against": options.against is not None,
        "keyed": options.key is not None,
        "dciodvfy": validity_note,
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "outputs_per_second": round(len(scans) / seconds, 1),
    }
    if options.against is not None:
        summary["sources"] = len(sources)
        summary["sources_parsed"] = sum(s.parsed for s in sources)
    if accounting is not None:
        summary["accounting"] = {"paired": accounting.paired, "reported": accounting.reported,
                                 "missing": accounting.missing}
    return summary
