"""The larger fuzz run: thousands of damaged files through ``medanon run``, counted.

The suite's fuzz test (``tests/fuzz``) runs 300 mutants; this runs as many as asked
(default 5000, several seeds) with every core, and prints how the run ended, how many
inputs fell into each outcome and the commonest reasons. A run that stops, prints a
traceback or loses track of an input is a failure (exit 1).

    .venv/bin/python bench/fuzz/run.py --mutants 5000 --seeds 3
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.fuzz.mutants import write_collection  # noqa: E402

from medanon.custody.keys import SecretKey, write_key  # noqa: E402


def one_seed(root: Path, mutants: int, seed: int, workers: int) -> bool:
    """Run one seed's collection; print its figures; True when the run held up."""
    src, dst = root / f"src-{seed}", root / f"dst-{seed}"
    damaged, intact = write_collection(src, mutants, seed)
    key = root / "fuzz.key"
    if not key.exists():
        write_key(key, SecretKey(b"bench-fuzz-key".ljust(32, b".")))
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "medanon.cli.main", "run", str(src), str(dst),
                           "--key", str(key), "--workers", str(workers), "--quiet"],
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    report_path = dst / ".medanon" / "report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    inputs = len(damaged) + len(intact)
    held = (done.returncode == 1 and "Traceback" not in done.stderr
            and report.get("files") == inputs)
    reasons = collections.Counter(p["reason"] for p in report.get("problems", []))
    print(f"seed {seed}: {inputs} inputs, exit {done.returncode}, {elapsed:.1f} s, "
          f"counts {report.get('counts')}, {'held' if held else 'FAILED'}")
    for reason, count in reasons.most_common(8):
        print(f"    {count:6d}  {reason}")
    if not held:
        print(done.stderr[-2000:])
    return held


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=int, default=5000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="medanon-fuzz-") as folder:
        results = [one_seed(Path(folder), args.mutants, seed, args.workers)
                   for seed in range(args.seeds)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
