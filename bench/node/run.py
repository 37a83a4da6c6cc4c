"""Instances per second through ``medanon serve --forward`` against storescu → Orthanc direct.

Both paths start from the same CT slices (512 × 512, 16 bit, explicit VR little endian,
made from the sample's CT header) and the same storescu; each path gets a fresh
Orthanc. Direct: storescu → Orthanc, timed until storescu ends (Orthanc answers each
C-STORE once stored). Through medanon: storescu → medanon serve → Orthanc, timed from
the start of storescu until Orthanc holds every instance. Loopback only.

Run from the repository root::

    PYTHONPATH=src:. .venv/bin/python bench/node/run.py --slices 200 --repeats 2
"""

from __future__ import annotations

import argparse
import copy
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pydicom
from pydicom.uid import ExplicitVRLittleEndian
from tests.node.peers import (
    ORTHANC_AE,
    REPO,
    Orthanc,
    Serve,
    free_port,
    serve_command,
    storescu,
    wait_for,
)

from medanon.custody.keys import SecretKey, write_key
from medanon.sample import generate_sample

SIDE = 512


def make_slices(root: Path, count: int) -> list[Path]:
    """``count`` CT slices of one series, 512 × 512 × 16 bit, from the sample's CT header."""
    sample = generate_sample(root / "sample")
    template_path = next(sample.root / f.path for f in sample.dicom_files
                         if f.modality == "CT" and f.transfer_syntax == ExplicitVRLittleEndian)
    template = pydicom.dcmread(template_path)
    rng = np.random.default_rng(0)
    out = root / "slices"
    out.mkdir()
    paths = []
    for index in range(count):
        ds = copy.deepcopy(template)
        ds.Rows = ds.Columns = SIDE
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
        ds.SamplesPerPixel, ds.PixelRepresentation = 1, 0
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.PixelData = rng.integers(0, 4096, (SIDE, SIDE), dtype=np.uint16).tobytes()
        ds.SOPInstanceUID = f"2.25.{int.from_bytes(rng.bytes(15), 'big')}"
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.InstanceNumber = index + 1
        path = out / f"CT{index:05d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def direct(root: Path, slices: list[Path]) -> float:
    """Seconds for storescu → Orthanc."""
    orthanc = Orthanc(root, free_port())
    orthanc.start()
    try:
        start = time.perf_counter()
        sent = storescu(slices, orthanc.dicom_port, called=ORTHANC_AE, timeout=1800)
        elapsed = time.perf_counter() - start
        assert sent.returncode == 0, sent.stderr[-2000:]
        assert orthanc.instance_count() == len(slices)
        return elapsed
    finally:
        orthanc.stop()


def through_medanon(root: Path, slices: list[Path], key: Path) -> float:
    """Seconds for storescu → medanon serve → Orthanc, until Orthanc holds every slice."""
    port = free_port()
    orthanc = Orthanc(root / "orthanc", port)
    orthanc.start()
    node = Serve(serve_command(root / "state", port, key, "--forward",
                               f"{ORTHANC_AE}@127.0.0.1:{orthanc.dicom_port}"),
                 root / "serve.log", port)
    try:
        node.start()
        start = time.perf_counter()
        sent = storescu(slices, port, timeout=1800)
        assert sent.returncode == 0, sent.stderr[-2000:]
        wait_for(lambda: orthanc.instance_count() == len(slices), 1800, "every slice")
        return time.perf_counter() - start
    finally:
        node.stop()
        orthanc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="medanon-bench-node-") as folder:
        root = Path(folder)
        slices = make_slices(root, args.slices)
        key = root / "bench.key"
        write_key(key, SecretKey(bytes(range(32))))
        rows = []
        for repeat in range(args.repeats):
            rows.append((direct(root / f"direct{repeat}", slices),
                         through_medanon(root / f"node{repeat}", slices, key)))
            shutil.rmtree(root / f"direct{repeat}", ignore_errors=True)
            shutil.rmtree(root / f"node{repeat}", ignore_errors=True)
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
    print(f"{args.slices} CT slices of {SIDE}x{SIDE}x16 bit, {args.repeats} repeats, "
          f"Python {platform.python_version()}, medanon at {commit}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    print("| repeat | direct s | direct inst/s | via medanon s | via medanon inst/s | ratio |")
    print("|---|---|---|---|---|---|")
    for index, (plain, node) in enumerate(rows, 1):
        print(f"| {index} | {plain:.2f} | {args.slices / plain:.1f} | {node:.2f} | "
              f"{args.slices / node:.1f} | {plain / node:.0%} |")
    best_plain, best_node = min(r[0] for r in rows), min(r[1] for r in rows)
    print(f"best of each: direct {args.slices / best_plain:.1f} inst/s, via medanon "
          f"{args.slices / best_node:.1f} inst/s: {best_plain / best_node:.0%} of direct")


if __name__ == "__main__":
    main()
