"""What the audit log costs a run: the same corpus with the audit log on and off.

Runs :func:`medanon.runner.run.run_folder` in this process (one worker, the in-process
executor, so the timing is the coordinator's and the worker's work only, no pool start-up),
alternating off/on over ``--rounds`` rounds with a fresh output folder each time, the corpus
in the page cache, and the output synced and deleted between runs. Prints the median of each
and the relative cost (bench/RESULTS.md records them with this command).

    PYTHONPATH=src python bench/custody/audit_cost.py CORPUS OUTPUT_PARENT --rounds 5
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import time
from pathlib import Path

from medanon.custody.keys import SecretKey
from medanon.custody.recorder import CustodyOptions
from medanon.profile.recipe import default_recipe
from medanon.runner.run import RunOptions, run_folder


def _warm(corpus: Path) -> int:
    total = 0
    for path in corpus.rglob("*"):
        if path.is_file():
            total += len(path.read_bytes())
    return total


def _one(corpus: Path, out: Path, audit: bool, workers: int) -> tuple[float, float]:
    """Wall and CPU seconds of one run (CPU: this process, which does all the work with one
    worker; it is what the audit log adds, whatever else the machine is doing)."""
    if out.exists():
        shutil.rmtree(out)
    os.sync()
    options = RunOptions(workers=workers, custody=CustodyOptions() if audit else None)
    start, cpu = time.perf_counter(), time.process_time()
    result = run_folder(corpus, out, default_recipe(), SecretKey(b"b" * 32), options=options)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert result.report.counts["written"] > 0
    assert (out / ".medanon" / "audit.jsonl").exists() == audit
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("parent", type=Path, help="where the output folders go")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    size = _warm(args.corpus)
    files = sum(1 for p in args.corpus.rglob("*") if p.is_file())
    times: dict[bool, list[float]] = {False: [], True: []}
    cpus: dict[bool, list[float]] = {False: [], True: []}
    for number in range(args.rounds):
        order = (False, True) if number % 2 == 0 else (True, False)
        for audit in order:
            wall, cpu = _one(args.corpus, args.parent / f"out-{audit}", audit, args.workers)
            times[audit].append(wall)
            cpus[audit].append(cpu)
    shutil.rmtree(args.parent / "out-False", ignore_errors=True)
    shutil.rmtree(args.parent / "out-True", ignore_errors=True)
    off, on = statistics.median(times[False]), statistics.median(times[True])
    print(f"corpus: {files} files, {size / 1e6:.0f} MB; workers {args.workers}; "
          f"{args.rounds} rounds")
    print(f"audit off: median {off:.2f} s ({files / off:.0f} files/s); rounds "
          + " / ".join(f"{t:.2f}" for t in times[False]))
    print(f"audit on:  median {on:.2f} s ({files / on:.0f} files/s); rounds "
          + " / ".join(f"{t:.2f}" for t in times[True]))
    cpu_off, cpu_on = statistics.median(cpus[False]), statistics.median(cpus[True])
    print(f"CPU seconds (this process): off {cpu_off:.2f}, on {cpu_on:.2f}")
    print(f"cost of the audit log: wall {100 * (on - off) / off:+.1f} %, CPU "
          f"{100 * (cpu_on - cpu_off) / cpu_off:+.1f} % (target: at most +5 %)")
    floor = statistics.median(_digests_alone(args.corpus) for _ in range(args.rounds))
    print(f"the physical floor, measured here: SHA-256 of every corpus file twice (the "
          f"entry's input and output digests) takes {floor:.2f} s of CPU = "
          f"{100 * floor / cpu_off:+.1f} % of the run without the log")


def _digests_alone(corpus: Path) -> float:
    """CPU seconds of two whole-file SHA-256 digests of every file (from the page cache)."""
    paths = [p for p in sorted(corpus.rglob("*")) if p.is_file()]
    start = time.process_time()
    for path in paths:
        for _ in range(2):
            with open(path, "rb") as handle:
                hashlib.file_digest(handle, "sha256")
    return time.process_time() - start


if __name__ == "__main__":
    main()
