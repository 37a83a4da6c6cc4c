"""The CT fast path with the pixel step in place: ``medanon run`` of two source trees, timed.

    python bench/pixels/fast_path.py --before /path/to/other/src [--files 600] [--rounds 3]

Makes a CT corpus with bench/dicom/make_corpus.py (in a temporary folder), then times
``medanon run --workers 1`` with ``PYTHONPATH`` at the other tree's ``src`` (before) and at
this tree's ``src`` (after), interleaved, the default recipe (``[pixels]`` at its default:
CT is not a likely modality, so nothing is decoded). Prints the medians and the change.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "bench" / "dicom"))

import make_corpus  # noqa: E402


def _time_run(src: Path, corpus: Path, out: Path, key: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(src)}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "medanon", "run", str(corpus), str(out), "--key",
                    str(key), "--workers", "1", "--quiet"], env=env, check=False,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the other tree's src/")
    parser.add_argument("--files", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        corpus = root / "ct"
        make_corpus.make_corpus(make_corpus.CorpusSpec(args.files, 10, 256, 256, 7), corpus)
        key = root / "k.key"
        subprocess.run([sys.executable, "-m", "medanon", "keygen", str(key)], check=True,
                       env={**os.environ, "PYTHONPATH": str(REPO / "src")},
                       stdout=subprocess.DEVNULL)
        times: dict[str, list[float]] = {"before": [], "after": []}
        for _ in range(args.rounds):
            times["before"].append(_time_run(args.before, corpus, root / "out", key))
            times["after"].append(_time_run(REPO / "src", corpus, root / "out", key))
        before, after = (statistics.median(times[k]) for k in ("before", "after"))
        print(f"{args.files} CT files, 1 worker, median of {args.rounds}: before {before:.2f} s "
              f"({args.files / before:.0f} files/s), after {after:.2f} s "
              f"({args.files / after:.0f} files/s), change {100 * (after / before - 1):+.1f} %")


if __name__ == "__main__":
    main()
