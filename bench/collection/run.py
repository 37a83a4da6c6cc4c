"""Collection-level privacy: the plan's time at screening-programme size, and the cost of
the second pass.

1. ``plan_collection`` on a synthetic patient table of 45,000 patients (the size of a lung
   screening programme): ages, sex, heights and weights drawn like the sample's cohort,
   a sensitive finding; median of three after a warm-up. Target: under 1 s.
2. The same synthetic CT collection (``medanon.sample.cohort``, N patients, 16 x 16 images,
   or with ``--slices S --size 512`` each study thickened into S slices of 512 x 512, the
   shape of a real CT series) de-identified once without and once with a ``[privacy]``
   section, same workers, fresh output each time; wall time of each and their ratio.
   Target: at most 1.3x.

Usage: ``PYTHONPATH=src python bench/collection/run.py [--patients 45000] [--corpus 400]
[--slices 1] [--size 16] [--workers 2] [--work DIR] [--skip-plan]``
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from medanon.collection.patients import AGE, PatientRow
from medanon.collection.planner import plan_collection
from medanon.custody.keys import SecretKey
from medanon.profile.privacy_section import PrivacySection
from medanon.profile.recipe import parse_recipe
from medanon.runner.run import RunOptions, run_folder

QIS = (AGE, "PatientSex", "PatientSize", "PatientWeight")
FINDINGS = ("no finding", "benign nodule", "emphysema", "suspicious nodule", "fibrosis")


def synthetic_patients(count: int, seed: int = 0
                       ) -> tuple[list[PatientRow], dict[str, dict[str, str]]]:
    """Patients drawn like the sample's cohort, and a sensitive finding for each."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(np.array(["F", "M"]), count)
    age = np.clip(np.round(rng.normal(65, 8, count)), 40, 85)
    size = np.round(np.where(sex == "M", 1.77, 1.63) + rng.normal(0, 0.07, count), 2)
    weight = np.round(np.clip(rng.normal(27, 4, count) * size * size, 38, 160), 1)
    finding = rng.choice(np.array(FINDINGS), count, p=[0.5, 0.2, 0.15, 0.1, 0.05])
    rows = [PatientRow(f"MA{i:012d}", {AGE: float(age[i]), "PatientSex": str(sex[i]),
                                       "PatientSize": float(size[i]),
                                       "PatientWeight": float(weight[i])}, 1, 1)
            for i in range(count)]
    clinical = {row.patient: {"finding": str(finding[i])} for i, row in enumerate(rows)}
    return rows, clinical


def bench_plan(count: int) -> None:
    """Time ``plan_collection`` at ``count`` patients, k only and k with l."""
    rows, clinical = synthetic_patients(count)
    print(f"### Plan for {count:,} synthetic patients (QIs age, PatientSex, PatientSize, "
          "PatientWeight)\n")
    print("| model | median s | repeats s | classes | smallest | GCP | target < 1 s |")
    print("|---|---|---|---|---|---|---|")
    for label, section in (
            ("k=5", PrivacySection(k=5, quasi_identifiers=QIS)),
            ("k=5, distinct l=3", PrivacySection(k=5, quasi_identifiers=QIS, l=3,
                                                 sensitive="clinical:finding"))):
        plan_collection(rows, section, clinical)  # warm-up
        times = []
        for _ in range(3):
            start = time.perf_counter()
            plan = plan_collection(rows, section, clinical)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        print(f"| {label} | {median:.3f} | {', '.join(f'{t:.3f}' for t in times)} | "
              f"{plan.metrics['classes']:,} | {plan.metrics['smallest_class']} | "
              f"{plan.metrics['gcp']:.4f} | {'met' if median < 1 else 'not met'} |")
    print()


def thicken(src: Path, slices: int, size: int) -> int:
    """Turn every cohort image into ``slices`` CT slices of ``size`` x ``size``; file count.

    Each slice keeps its study's header (so the patient table is unchanged) with its own
    SOP Instance UID and instance number, and a 16-bit noise image of the given size.
    """
    import pydicom
    from pydicom.uid import generate_uid

    rng = np.random.default_rng(1)
    count = 0
    for path in sorted(src.rglob("*.dcm")):
        ds = pydicom.dcmread(path)
        ds.Rows = ds.Columns = size
        for index in range(slices):
            ds.SOPInstanceUID = generate_uid(entropy_srcs=[str(path), str(index)])
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            ds.InstanceNumber = index + 1
            ds.PixelData = rng.integers(0, 4096, (size, size), dtype=np.uint16).tobytes()
            ds.save_as(path.with_name(f"IM{index + 1:04d}.dcm"), enforce_file_format=True)
            count += 1
    return count


def bench_two_pass(patients: int, workers: int, work: Path, slices: int = 1,
                   size: int = 16) -> None:
    """Wall time of one run without and one with a privacy section, fresh outputs."""
    from medanon.collection.run import run_private
    from medanon.sample.cohort import write_cohort
    from medanon.sample.derive import Deriver

    src = work / "src"
    shutil.rmtree(src, ignore_errors=True)
    files, _planted, _studies = write_cohort(src, Deriver(0), patients)
    total = thicken(src, slices, size) if (slices, size) != (1, 16) else len(files)
    key = SecretKey(b"bench-collection".ljust(32, b"."))
    plain = parse_recipe("")
    private = parse_recipe("[privacy]\nk = 5\nmax_suppression = 0.1\n"
                           'quasi_identifiers = ["age", "PatientSex", "PatientSize", '
                           '"PatientWeight"]\n')
    options = RunOptions(workers=workers)
    results: dict[str, list[float]] = {"one pass (no privacy section)": [],
                                       "two passes (privacy section)": []}
    for _ in range(2):
        for label in results:
            dst = work / "dst"
            shutil.rmtree(dst, ignore_errors=True)
            start = time.perf_counter()
            if label.startswith("one"):
                run_folder(src, dst, plain, key, options=options)
            else:
                run_private(src, dst, private, key, options=options)
            results[label].append(time.perf_counter() - start)
    print(f"### Two passes against one: {patients} patients, {total} CT files "
          f"({size} x {size}), {workers} workers\n")
    print("| run | wall s (best of 2) | files/s |")
    print("|---|---|---|")
    best = {label: min(times) for label, times in results.items()}
    for label, seconds in best.items():
        print(f"| {label} | {seconds:.2f} | {total / seconds:.0f} |")
    one, two = best.values()
    print(f"\nRatio two-pass / one-pass: {two / one:.2f} (target at most 1.3: "
          f"{'met' if two / one <= 1.3 else 'not met'})\n")


def main() -> None:
    """Both benchmarks, printed as Markdown for bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=45000)
    parser.add_argument("--corpus", type=int, default=400, help="patients in the CT corpus")
    parser.add_argument("--slices", type=int, default=1, help="slices per study")
    parser.add_argument("--size", type=int, default=16, help="rows and columns of a slice")
    parser.add_argument("--skip-plan", action="store_true", help="only the two-pass run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    if not args.skip_plan:
        bench_plan(args.patients)
    work = args.work or Path(tempfile.mkdtemp(prefix="medanon-bench-collection-"))
    try:
        bench_two_pass(args.corpus, args.workers, work, args.slices, args.size)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
