"""Benchmark ``medanon verify``: files/s with ``--against`` against a 1-worker ``medanon run``
on the CT benchmark corpus, and recall on the sample collection copied unchanged.

1. makes the CT corpus under ``bench/work/`` if missing (``bench/dicom/make_corpus.py``);
2. ``medanon run SRC DST --workers 1`` (timed), then ``medanon verify DST --against SRC
   --key K --workers N --dciodvfy off`` (timed; N = 1 and all cores), and checks that
   verify finds nothing in the clean output;
3. copies the sample collection unchanged, runs ``medanon verify COPY --against SAMPLE
   --show-values --json F`` and counts the planted values of the answer key
   (``sample/planted.py``) that a finding names, exactly or through a part of them (a
   name component, one rendering of a name).

Prints a Markdown section for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
MEDANON = [sys.executable, "-m", "medanon.cli.main"]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "src")}


CPU: list[float] = [0.0]  # CPU seconds (user + system) of the last timed command


def _timed(args: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Wall seconds of one command; its CPU seconds (with its children) into CPU."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    run = subprocess.run(args, capture_output=True, text=True, env=_env(), check=False)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[0] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, run


def corpus(work: Path, files: int, patients: int) -> Path:
    root = work / f"corpus-{files}x{patients}-512x512-s20240611"
    subprocess.run([sys.executable, str(REPO / "bench" / "dicom" / "make_corpus.py"),
                    str(root), "--files", str(files), "--patients", str(patients)],
                   check=True, env=_env(), capture_output=True)  # skips a complete corpus
    return root


def throughput(work: Path, src: Path, files: int) -> list[str]:
    key = work / "verify-bench.key"
    if not key.exists():
        subprocess.run([*MEDANON, "keygen", str(key)], check=True, env=_env(),
                       capture_output=True)
    dst = work / "verify-out"
    shutil.rmtree(dst, ignore_errors=True)
    run_s, run = _timed([*MEDANON, "run", str(src), str(dst), "--key", str(key),
                         "--workers", "1", "-q", "--no-report"])
    assert run.returncode in (0, 1), run.stderr
    run_cpu = CPU[0]
    lines = [f"| `medanon run SRC DST --key K --workers 1 -q --no-report` | {run_s:.2f} | "
             f"{files / run_s:,.0f} | {run_cpu:.2f} | {files / run_cpu:,.0f} | - |"]
    rates = {}
    for workers in (1, 0):
        seconds, check = _timed([*MEDANON, "verify", str(dst), "--against", str(src),
                                 "--key", str(key), "--workers", str(workers),
                                 "--dciodvfy", "off", "-q"])
        rates[workers] = files / seconds
        cpu = CPU[0]
        verdict = check.stdout.splitlines()[0].split("; ", 1)[1] if check.stdout else "?"
        lines.append(f"| `medanon verify DST --against SRC --key K --workers {workers} "
                     f"--dciodvfy off -q` | {seconds:.2f} | {files / seconds:,.0f} | "
                     f"{cpu:.2f} | {files / cpu:,.0f} | {verdict} (exit {check.returncode}) |")
    lines += ["", f"- **{'PASS' if rates[0] >= files / run_s else 'FAIL'}** verify with "
                  f"--against, all cores ({rates[0]:,.0f} files/s) ≥ the 1-worker run "
                  f"({files / run_s:,.0f} files/s): {rates[0] / (files / run_s):.2f}×",
              f"- (report) verify with --against, 1 worker: {rates[1]:,.0f} files/s "
              f"({rates[1] / (files / run_s):.2f}× the 1-worker run)"]
    return lines


def recall(work: Path) -> list[str]:
    sys.path.insert(0, str(REPO / "src"))
    from medanon.sample import generate_sample
    from medanon.verify.text import variants

    sample_root = work / "verify-sample"
    shutil.rmtree(sample_root, ignore_errors=True)
    collection = generate_sample(sample_root / "sample")
    copy = sample_root / "copy"
    shutil.copytree(collection.root, copy)
    findings_path = sample_root / "findings.json"
    seconds, check = _timed([*MEDANON, "verify", str(copy), "--against",
                             str(collection.root), "--json", str(findings_path),
                             "--show-values", "--dciodvfy", "off", "-q"])
    data = json.loads(findings_path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for finding in data["findings"]:
        for value in finding.get("values", []):
            found |= variants(value)
    exact = partial = 0
    missed: list[str] = []
    for planted in collection.planted_values:
        spellings = variants(planted.value)
        if spellings & found:
            exact += 1
        elif any(len(f) >= 3 and f in s for f in found for s in spellings):
            partial += 1
        else:
            missed.append(planted.kind)
    total = len(collection.planted_values)
    return [f"Sample collection (seed 0) copied unchanged: `medanon verify COPY --against "
            f"SAMPLE --json F --show-values --dciodvfy off -q` exit {check.returncode}, "
            f"{len(data['findings'])} findings in {seconds:.2f} s.", "",
            f"- **{'PASS' if not missed else 'FAIL'}** recall {exact + partial}/{total} "
            f"planted values = {100 * (exact + partial) / total:.1f} % (target 100 %): "
            f"{exact} named exactly by a finding, {partial} through a part of them (a name "
            "component or another rendering of the same name)"
            + (f"; missed kinds: {sorted(set(missed))}" if missed else "")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--patients", type=int, default=25)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "work")
    args = parser.parse_args()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    src = corpus(work, args.files, args.patients)
    lines = ["## `medanon verify`: throughput with --against, and recall", "",
             "Produced by:", "", "```",
             f"cd <repo> && .venv/bin/python bench/verify/run.py --files {args.files} "
             f"--patients {args.patients}", "```", "",
             f"Run {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC on {os.cpu_count()} "
             f"cores. Corpus: {args.files} CT slices 512×512, 16-bit uncompressed, "
             f"{args.patients} patients (`bench/dicom/make_corpus.py`, seed 20240611). "
             "Files in the page cache; each command run once, wall seconds.", "",
             f"Load average at the start: {os.getloadavg()[0]:.1f} (other work shares "
             "the 2 cores, so CPU seconds are given beside wall seconds).", "",
             "| command | wall s | files/s | CPU s | files per CPU s | result |",
             "|---|---|---|---|---|---|"]
    lines += throughput(work, src, args.files)
    lines += ["", *recall(work)]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
