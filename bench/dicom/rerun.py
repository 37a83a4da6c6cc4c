"""Time a rerun of a finished run against the run itself, on a large corpus of small files.

A rerun checks every input (one ``stat``, one manifest lookup) and every output the
manifest records (one ``stat``: it is there, with its recorded size), and processes
nothing when all is in place. The target: at least 20× faster than the run. A third
timing deletes a few outputs first, to show what redoing them costs.

    .venv/bin/python bench/dicom/make_corpus.py CORPUS --files 50000 --patients 50 \\
        --rows 64 --cols 64
    .venv/bin/python bench/dicom/rerun.py CORPUS OUT --key KEY

Every command is ``medanon run CORPUS OUT --key KEY --workers 1 --quiet --no-report``;
the times are wall seconds, the process started and reaped (Python start-up included).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET = 20.0


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} failed ({result.returncode}): {result.stderr}")
    return elapsed


def main() -> None:
    """Run, rerun (several times), rerun after deleting outputs; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--key", type=Path, required=True)
    parser.add_argument("--medanon", default=str(Path(sys.executable).with_name("medanon")))
    parser.add_argument("--reruns", type=int, default=3)
    parser.add_argument("--delete", type=int, default=10, help="outputs deleted before the "
                        "last rerun")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    command = [args.medanon, "run", str(args.corpus), str(args.out), "--key", str(args.key),
               "--workers", "1", "--quiet", "--no-report"]
    run = _timed(command)
    reruns = [_timed(command) for _ in range(args.reruns)]
    report = json.loads((args.out / ".medanon" / "report.json").read_text())
    assert report["this_session"]["processed"] == 0, "the rerun processed files"
    outputs = sorted(p for p in args.out.rglob("*.dcm") if ".medanon" not in p.parts)
    for path in outputs[:: max(1, len(outputs) // args.delete)][: args.delete]:
        path.unlink()
    damaged = _timed(command)
    report = json.loads((args.out / ".medanon" / "report.json").read_text())
    redone = report["this_session"]["redone_output_missing_or_changed"]
    rerun = statistics.median(reruns)
    print(f"files: {report['files']:,}, outputs: {len(outputs):,}")
    print(f"run: {run:.2f} s")
    print(f"rerun of the finished run: {rerun:.2f} s (median of "
          f"{', '.join(f'{r:.2f}' for r in reruns)}) = {run / rerun:.1f}x faster "
          f"({'PASS' if run / rerun >= TARGET else 'FAIL'}, target {TARGET:.0f}x)")
    print(f"rerun after deleting {args.delete} outputs: {damaged:.2f} s, {redone} redone")


if __name__ == "__main__":
    main()
