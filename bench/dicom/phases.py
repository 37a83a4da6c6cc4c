"""Time medanon's per-file phases (read, transform, write, publish) in one process.

What one worker spends on each file, without the runner around it (no manifest, no
durable flush): the figures to watch when making the per-file path faster.

Usage: python bench/dicom/phases.py SRC [DST] [--key KEY]
(DST defaults to a temporary folder, removed afterwards; KEY to a fresh random key.)
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from medanon.custody.keys import generate_key, load_key
from medanon.dicom.plan import EMPTY_PLAN
from medanon.dicom.read import read_instance
from medanon.dicom.transform import deidentify
from medanon.dicom.write import output_relpath, publish, write_temporary
from medanon.profile.recipe import default_recipe
from medanon.profile.ruleset import build_ruleset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path)
    parser.add_argument("dst", type=Path, nargs="?")
    parser.add_argument("--key", type=Path)
    args = parser.parse_args()
    dst = args.dst or Path(tempfile.mkdtemp(prefix="medanon-phases-"))
    key = load_key(args.key) if args.key else generate_key()
    ruleset = build_ruleset(default_recipe())
    paths = sorted(p for p in args.src.rglob("*") if p.is_file())
    spent: dict[str, float] = defaultdict(float)
    started = time.perf_counter()
    try:
        for path in paths:
            t0 = time.perf_counter()
            instance = read_instance(path)
            t1 = time.perf_counter()
            result = deidentify(instance.dataset, ruleset, key, EMPTY_PLAN,
                                has_pixel_data=instance.has_pixel_data)
            t2 = time.perf_counter()
            target = dst / output_relpath(result.patient_pseudonym, result.dataset)
            temp = write_temporary(target, result.dataset, instance.transfer_syntax,
                                   source=path, span=instance.pixels, durable=False)
            t3 = time.perf_counter()
            publish(temp, target)
            t4 = time.perf_counter()
            spent["read"] += t1 - t0
            spent["transform"] += t2 - t1
            spent["write"] += t3 - t2
            spent["publish"] += t4 - t3
    finally:
        if args.dst is None:
            shutil.rmtree(dst, ignore_errors=True)
    per_file = ", ".join(f"{name} {seconds / len(paths) * 1000:.3f}"
                         for name, seconds in spent.items())
    print(f"{len(paths)} files: {per_file} ms/file; "
          f"{time.perf_counter() - started:.2f} s in all")


if __name__ == "__main__":
    main()
