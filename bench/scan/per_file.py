"""Per-file cost of a scan against a run, in one process: what the pool multiplies.

``python bench/scan/per_file.py CORPUS [--files N] [--rounds R]`` times, interleaved and
taking the best of R rounds (the least disturbed by other work on the machine), the
scan's unit of work (``scan_file`` folded into batch tallies of 64 files, sealed) and the
run's (``process_file`` into a scratch folder on the same disk, not durable, as a run's
workers write), on the same N files. Prints one JSON line: microseconds per file each.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from medanon.custody.keys import SecretKey
from medanon.profile.recipe import default_recipe
from medanon.profile.ruleset import build_ruleset
from medanon.runner.context import RunContext
from medanon.runner.process import process_file
from medanon.scan.pool import scan_batch
from medanon.scan.record import ScanSettings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scratch", type=Path, default=None)
    args = parser.parse_args()
    src = args.corpus.resolve()
    paths = sorted(p for p in src.rglob("*") if p.is_file() and not p.name.endswith(".json"))
    paths = paths[:args.files]
    key = SecretKey(bytes(range(32)))
    settings = ScanSettings(src, key)
    out = Path(tempfile.mkdtemp(dir=args.scratch))
    ctx = RunContext(src, out, build_ruleset(default_recipe()), key, durable=False)

    def scan() -> None:
        for start in range(0, len(paths), 64):
            scan_batch([str(p) for p in paths[start:start + 64]], settings)

    def run() -> None:
        for path in paths:
            process_file(path, ctx)
        shutil.rmtree(out)
        out.mkdir()

    best = {"scan": float("inf"), "run": float("inf")}
    try:
        for _ in range(args.rounds):
            for name, work in (("scan", scan), ("run", run)):
                started = time.perf_counter()
                work()
                best[name] = min(best[name], time.perf_counter() - started)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    micro = {name: round(seconds / len(paths) * 1e6, 1) for name, seconds in best.items()}
    print(json.dumps({"files": len(paths), "rounds": args.rounds, "us_per_file": micro,
                      "ratio": round(best["run"] / best["scan"], 2)}))


if __name__ == "__main__":
    main()
