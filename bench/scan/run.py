"""``medanon scan`` against ``medanon run`` on the CT benchmark corpus, same workers.

The corpora are the DICOM benchmark's (``bench/dicom/make_corpus.py``: by default 2,000 CT
slices of 512×512, 50 patients, made under ``bench/work/`` if missing); ``--corpora``
names more, as FILESxSIZE (a larger one shows the steady rate, once the start of both
commands, a few tenths of a second, no longer weighs). Each round times, with the
corpus in the page cache and interleaved so that a busy machine slows both alike:
``medanon run SRC DST --key K --workers W --quiet`` into a fresh folder, then
``medanon scan SRC --key K --workers W --quiet``, for each W of ``--workers``. The median
wall time of the rounds gives files/s; the issue's target is scan ≥ 4× run at the same W.
Writes the "medanon scan" section of ``bench/RESULTS.md`` unless ``--no-record``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "bench" / "dicom"))

import make_corpus  # noqa: E402
import measure  # noqa: E402
import report  # noqa: E402

SECTION = "## medanon scan"
TARGET = 4.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default="2000x512",
                        help="comma-separated FILESxSIZE corpora (slices SIZE×SIZE)")
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", default=f"1,{os.cpu_count() or 1}",
                        help="comma-separated worker counts (default: 1 and all cores)")
    parser.add_argument("--medanon", type=Path, default=REPO / ".venv" / "bin" / "medanon")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "work")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--no-record", action="store_true")
    return parser.parse_args(argv)


def ensure_corpus(args: argparse.Namespace, files: int, size: int) -> Path:
    spec = make_corpus.CorpusSpec(files, args.patients, size, size, args.seed)
    root = args.work / f"corpus-{files}x{args.patients}-{size}x{size}-s{args.seed}"
    if not make_corpus.corpus_is_complete(root, spec):
        print(f"making corpus {root.name} ...", flush=True)
        make_corpus.make_corpus(spec, root)
    return root


def timed(argv: list[str], log: Path, timeout: float) -> float:
    subprocess.run(["sync"], check=False)
    result = measure.run_one(argv, log, timeout, ok_codes=(0, 1))
    if result.error:
        raise SystemExit(f"{' '.join(argv)} failed: {result.error} (log {log})")
    return result.wall


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    logs = args.work / "logs"
    logs.mkdir(exist_ok=True)
    key = args.work / "scan-bench.key"
    if not key.exists():
        subprocess.run([str(args.medanon), "keygen", str(key)], check=True,
                       stdout=subprocess.DEVNULL)
    workers = [int(w) for w in args.workers.split(",")]
    sections = []
    for spec in args.corpora.split(","):
        files, size = (int(part) for part in spec.split("x"))
        corpus = ensure_corpus(args, files, size)
        walls = time_corpus(args, corpus, key, workers, logs)
        sections.append(render_corpus(args, corpus, files, size, workers, walls))
        body = render(argv, sections)  # recorded after each corpus: a long one may not end
        print(body, flush=True)
        if not args.no_record:
            report.replace_section(REPO / "bench" / "RESULTS.md", body, SECTION)
    return 0


def time_corpus(args: argparse.Namespace, corpus: Path, key: Path, workers: list[int],
                logs: Path) -> dict[tuple[str, int], list[float]]:
    measure.warm_cache(corpus)
    walls: dict[tuple[str, int], list[float]] = {}
    out = args.work / "scan-bench-out"
    for number in range(args.rounds):
        print(f"{corpus.name}: round {number + 1}/{args.rounds}", flush=True)
        for w in workers:
            shutil.rmtree(out, ignore_errors=True)
            run = timed([str(args.medanon), "run", str(corpus), str(out), "--key", str(key),
                         "--workers", str(w), "--quiet"], logs / f"run-w{w}.log", args.timeout)
            shutil.rmtree(out, ignore_errors=True)
            scan = timed([str(args.medanon), "scan", str(corpus), "--key", str(key),
                          "--workers", str(w), "--quiet"], logs / f"scan-w{w}.log",
                         args.timeout)
            walls.setdefault(("run", w), []).append(run)
            walls.setdefault(("scan", w), []).append(scan)
            print(f"  workers {w}: run {run:.2f} s, scan {scan:.2f} s", flush=True)
    return walls


def render(argv: Sequence[str] | None, sections: list[str]) -> str:
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
    shown = " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    uptime = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() \
        else ["?"]
    lines = [
        "Produced by:", "", "```",
        f"cd <repo> && .venv/bin/python bench/scan/run.py {shown}".rstrip(), "```", "",
        f"Run {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores, "
        f"Linux {platform.release()}, Python {platform.python_version()}, medanon at commit "
        f"{commit}; load average at the end {' '.join(uptime)} (the machine is shared). "
        "Corpora from `bench/dicom/make_corpus.py` (16-bit CT, explicit VR little endian), in "
        "the page cache. Rounds interleaved (run, then scan, for each worker count); wall s "
        "is the median of the rounds, each round's time in brackets. `run` writes to a fresh "
        "folder under bench/work; `scan` writes nothing."]
    return "\n".join([*lines, *sections])


def render_corpus(args: argparse.Namespace, corpus: Path, files: int, size: int,
                  workers: list[int], walls: dict[tuple[str, int], list[float]]) -> str:
    lines = ["", f"### {files:,} CT slices {size}×{size}, {args.patients} patients "
             f"(`{corpus.name}`)", "",
             "| command | workers | wall s | files/s | scan ÷ run |", "|---|---|---|---|---|"]
    checks = []
    for w in workers:
        rates = {}
        for tool in ("run", "scan"):
            times = walls[(tool, w)]
            median = statistics.median(times)
            rates[tool] = files / median
            each = " / ".join(f"{t:.2f}" for t in times)
            ratio = f"{rates['scan'] / rates['run']:.2f}×" if tool == "scan" else ""
            command = f"`medanon {tool} SRC{' DST' if tool == 'run' else ''} --key K " \
                      f"--workers {w} --quiet`"
            lines.append(f"| {command} | {w} | {median:.2f} ({each}) | {rates[tool]:,.0f} | "
                         f"{ratio} |")
        ratio = rates["scan"] / rates["run"]
        verdict = "PASS" if ratio >= TARGET else "FAIL"
        checks.append(f"- **{verdict}** scan ≥ {TARGET:.0f}× run with {w} worker(s): "
                      f"{rates['scan']:,.0f} vs {rates['run']:,.0f} files/s = {ratio:.2f}×")
    return "\n".join([*lines, "", "Target (from the issue):", "", *checks])


if __name__ == "__main__":
    sys.exit(main())
