"""DICOM de-identification benchmark: medanon against cp -r, plain pydicom and the peers.

One command does everything, in this order:

1. makes the CT corpus under ``bench/work/`` if it is missing (``make_corpus.py``), and the
   peers' virtual environment (``peers.sh``) unless ``--skip-peers``;
2. reads the corpus once (page cache warm), then times, interleaved over ``--rounds`` rounds,
   ``cp -r``, a plain pydicom read + write of every file, medanon with 1 worker and with all
   cores, dicognito and dicom-anonymizer; deid once after the rounds (it is slow). Every tool
   gets a fresh, empty output folder; the output is counted (DICOM files written), deleted and
   synced to disk before the next tool starts, so one tool's write-back does not land in the
   next one's time;
3. medanon's peak memory with 1 worker on ``--files`` and on ``--memory-files`` small-slice
   files (same slice size for both: the test is about the file count);
4. medanon run again on a finished destination (nothing left to do) against the first run;
5. writes the table and the target checks into the "DICOM de-identification" section of
   ``bench/RESULTS.md`` (unless ``--no-record``) and prints them.

A peer that fails is recorded as "failed: reason"; it never stops the benchmark. medanon runs
from the repository's ``.venv``; the peers only ever from their own venv.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import make_corpus  # noqa: E402
import measure  # noqa: E402
import report  # noqa: E402

REPO = HERE.parents[1]
# medanon exits 1 when it withheld some files: the run finished and its time counts; the
# withheld files show up as a short "files out" count.
MEDANON_OK_CODES = (0, 1)


@dataclass
class Tool:
    """A timed command: ``steps(src, dst)`` gives the argv list(s), run one after another."""

    key: str
    label: str
    kind: str
    steps: Callable[[Path, Path], list[list[str]]]
    prepare: Callable[[Path, Path], None] | None = None
    ok_codes: tuple[int, ...] = (0,)


def leaf_folders(root: Path) -> list[Path]:
    """Folders that directly hold files, relative to ``root``, sorted."""
    return sorted(Path(folder).relative_to(root) for folder, _, files in os.walk(root) if files)


def _mirror_leaves(src: Path, dst: Path) -> None:
    for leaf in leaf_folders(src):
        (dst / leaf).mkdir(parents=True, exist_ok=True)


def _version(python: Path, distribution: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({distribution!r}))"
    try:
        done = subprocess.run(
            [str(python), "-c", code], capture_output=True, text=True, timeout=60, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return "?"
    return done.stdout.strip()


def source_state() -> str:
    """' at commit abc1234' (plus ', src/ modified' when the working tree differs from it)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return f" at commit {head}" + (", src/ modified" if dirty else "")


def medanon_status(medanon: Path) -> str | None:
    """None when ``medanon run`` answers --help, else why medanon cannot be timed."""
    if not medanon.exists():
        return f"{medanon} not found"
    try:
        done = subprocess.run(
            [str(medanon), "run", "--help"], capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"`medanon run --help` did not run ({exc})"
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return f"`medanon run` not available yet ({last[0][:100]})"
    return None


def build_tools(
    args: argparse.Namespace, key: Path, peers_bin: Path, versions: dict[str, str]
) -> list[Tool]:
    floor_python = REPO / ".venv" / "bin" / "python"
    medanon = str(args.medanon)
    all_cores = str(args.all_workers)

    def med(workers: str) -> Callable[[Path, Path], list[list[str]]]:
        return lambda s, d: [
            [medanon, "run", str(s), str(d), "--key", str(key), "--workers", workers, "--quiet"]
        ]

    tools = [
        Tool(
            "cp",
            "`cp -r` (the physical limit here)",
            "limit",
            lambda s, d: [["cp", "-r", f"{s}/.", str(d)]],
        ),
        Tool(
            "pydicom",
            "pydicom read + write unchanged (the floor)",
            "floor",
            lambda s, d: [[str(floor_python), str(HERE / "pydicom_floor.py"), str(s), str(d)]],
        ),
        Tool(
            "medanon-1",
            "medanon, 1 worker (`medanon run SRC DST --key K --workers 1 --quiet`)",
            "medanon",
            med("1"),
            ok_codes=MEDANON_OK_CODES,
        ),
        Tool(
            "medanon-1-noreport",
            "(diagnostic) medanon, 1 worker, `--no-report` (no HTML report, so no check of "
            "a sample of up to 1,000 outputs after the run)",
            "diagnostic",
            lambda s, d: [med("1")(s, d)[0] + ["--no-report"]],
            ok_codes=MEDANON_OK_CODES,
        ),
        Tool(
            "medanon-1-noaudit",
            "(diagnostic) medanon, 1 worker, no report and no audit log (the Python API, "
            "`RunOptions(custody=None)`: `bench/dicom/medanon_no_audit.py`)",
            "diagnostic",
            lambda s, d: [[str(Path(medanon).parent / "python"),
                           str(HERE / "medanon_no_audit.py"), str(s), str(d), str(key)]],
            ok_codes=MEDANON_OK_CODES,
        ),
        Tool(
            "medanon-all",
            f"medanon, all cores (`--workers {all_cores}`)",
            "medanon",
            med(all_cores),
            ok_codes=MEDANON_OK_CODES,
        ),
    ]
    if args.halves is not None:
        half_a, half_b = args.halves
        both = (
            '"$0" run "$1" "$3/a" --key "$4" --workers 1 --quiet & first=$!; '
            '"$0" run "$2" "$3/b" --key "$4" --workers 1 --quiet & second=$!; '
            "wait $first; a=$?; wait $second; b=$?; exit $(( a > b ? a : b ))"
        )
        tools.append(
            Tool(
                "medanon-halves",
                "(diagnostic) two independent 1-worker medanon runs at once, one on each half "
                "of the patients: what this machine gives two processes that share nothing",
                "diagnostic",
                lambda s, d: [
                    ["bash", "-c", both, medanon, str(half_a), str(half_b), str(d), str(key)]
                ],
                ok_codes=MEDANON_OK_CODES,
            )
        )
    if not args.skip_peers:
        python = str(peers_bin / "python")
        tools += [
            Tool(
                "dicognito",
                f"dicognito {versions.get('dicognito', '?')} "
                "(`python -m dicognito --output-directory OUT SRC`)",
                "peer",
                lambda s, d: [[python, "-m", "dicognito", "--output-directory", str(d), str(s)]],
            ),
            Tool(
                "dicom-anonymizer",
                f"dicom-anonymizer {versions.get('dicom-anonymizer', '?')} "
                "(`dicom-anonymizer IN OUT`, one call per series folder: "
                "its folder mode is not recursive)",
                "peer",
                lambda s, d: [
                    [str(peers_bin / "dicom-anonymizer"), str(s / leaf), str(d / leaf)]
                    for leaf in leaf_folders(s)
                ],
                _mirror_leaves,
            ),
        ]
    return tools


def deid_tool(peers_bin: Path, versions: dict[str, str]) -> Tool:
    return Tool(
        "deid",
        f"deid {versions.get('deid', '?')} "
        "(default recipe: get_identifiers, then replace_identifiers; run once)",
        "peer",
        lambda s, d: [[str(peers_bin / "python"), str(HERE / "deid_driver.py"), str(s), str(d)]],
    )


def split_halves(corpus: Path, root: Path) -> tuple[Path, Path]:
    """Two halves of the corpus (alternate patient folders), hard links, made once."""
    halves = (root / "a", root / "b")
    if not all(h.is_dir() for h in halves):
        shutil.rmtree(root, ignore_errors=True)
        for half in halves:
            half.mkdir(parents=True)
        for number, patient in enumerate(sorted(p for p in corpus.iterdir() if p.is_dir())):
            subprocess.run(["cp", "-al", str(patient), str(halves[number % 2])], check=True)
    return halves


def fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def time_tool(
    tool: Tool,
    src: Path,
    out_root: Path,
    logs: Path,
    timeout: float,
    row: report.Row,
    keep: bool = False,
) -> Path:
    """Time one tool once into a fresh folder, update its row; returns the output folder."""
    dst = fresh(out_root / tool.key)
    if tool.prepare:
        tool.prepare(src, dst)
    steps = tool.steps(src, dst)
    subprocess.run(["sync"], check=False)
    result = measure.run_steps(steps, logs / f"{tool.key}.log", timeout, tool.ok_codes)
    row.files_out = measure.count_outputs(dst)
    row.peak_rss_kb = max(row.peak_rss_kb, result.peak_rss_kb)
    if result.error:
        row.error = result.error
    else:
        row.walls.append(result.wall)
    state = f"failed: {result.error}" if result.error else f"{result.wall:.2f} s"
    print(
        f"  {tool.key:18s} {state}  (files out {row.files_out[0]}/{row.files_out[1]}, "
        f"peak {result.peak_rss_kb / 1024:.0f} MB)",
        flush=True,
    )
    if not keep:
        shutil.rmtree(dst, ignore_errors=True)
        subprocess.run(["sync"], check=False)
    return dst


def ensure_corpus(work: Path, files: int, patients: int, rows: int, cols: int, seed: int) -> Path:
    """The corpus for these parameters under ``work``, made first if missing or incomplete."""
    spec = make_corpus.CorpusSpec(files, patients, rows, cols, seed)
    root = work / f"corpus-{files}x{patients}-{rows}x{cols}-s{seed}"
    if not make_corpus.corpus_is_complete(root, spec):
        print(f"making corpus {root.name} ...", flush=True)
        make_corpus.make_corpus(spec, root)
    return root


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--files", type=int, default=2000, help="slices in the main corpus (2000)")
    p.add_argument("--patients", type=int, default=50, help="patients in every corpus (50)")
    p.add_argument("--rows", type=int, default=512, help="slice rows, main corpus (512)")
    p.add_argument("--cols", type=int, default=512, help="slice columns, main corpus (512)")
    p.add_argument("--seed", type=int, default=20240611, help="corpus seed")
    p.add_argument("--rounds", type=int, default=2, help="interleaved timing rounds (2)")
    p.add_argument("--skip-peers", action="store_true", help="do not time the peer tools")
    p.add_argument("--skip-deid", action="store_true", help="time the peers except deid")
    p.add_argument(
        "--memory-files",
        type=int,
        default=50000,
        help="large file count for the memory check (50000; 0 skips the check)",
    )
    p.add_argument(
        "--memory-size", type=int, default=64, help="rows = cols of the memory-check slices (64)"
    )
    p.add_argument(
        "--all-workers",
        type=int,
        default=os.cpu_count() or 1,
        help="medanon's worker count for the 'all cores' row (all cores)",
    )
    p.add_argument("--medanon", type=Path, default=REPO / ".venv" / "bin" / "medanon")
    p.add_argument("--work", type=Path, default=REPO / "bench" / "work")
    p.add_argument("--timeout", type=float, default=3600.0, help="per tool and run, seconds")
    p.add_argument("--no-record", action="store_true", help="print only; leave RESULTS.md")
    p.add_argument("--results", type=Path, default=REPO / "bench" / "RESULTS.md")
    return p.parse_args(argv)


def command_line(argv: Sequence[str]) -> str:
    def rel(text: str) -> str:
        path = Path(text)
        if path.is_absolute() and path.is_relative_to(REPO):
            return str(path.relative_to(REPO))
        return text

    python = Path(sys.executable)
    python_text = rel(str(python.parent.resolve() / python.name))
    return shlex.join([python_text, rel(str(Path(__file__).resolve())), *argv])


def main(argv: Sequence[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(raw)
    work = args.work.resolve()
    logs = fresh(work / "logs")
    out_root = work / "out"
    peers_venv = work / "venv-peers"
    peers_bin = peers_venv / "bin"
    started = datetime.datetime.now()

    corpus = ensure_corpus(work, args.files, args.patients, args.rows, args.cols, args.seed)
    corpus_bytes = measure.warm_cache(corpus)
    key = work / "bench.key"
    pending = medanon_status(args.medanon)
    if pending is None and not key.exists():
        subprocess.run([str(args.medanon), "keygen", str(key)], check=True, capture_output=True)
    versions: dict[str, str] = {
        "pydicom (floor, medanon)": _version(REPO / ".venv/bin/python", "pydicom")
    }
    if pending is None:
        versions["medanon"] = _version(REPO / ".venv/bin/python", "medanon") + source_state()
        # medanon's modules byte-compiled before timing, as installing a wheel does: an
        # editable install under PYTHONDONTWRITEBYTECODE would compile them at every start.
        subprocess.run([str(REPO / ".venv/bin/python"), "-m", "compileall", "-q",
                        str(REPO / "src" / "medanon")], check=False, capture_output=True)
    if not args.skip_peers:
        print("peers venv ...", flush=True)
        subprocess.run([str(HERE / "peers.sh"), str(peers_venv)], check=False, capture_output=True)
        for dist in ("dicognito", "dicom-anonymizer", "deid", "pydicom"):
            versions[dist if dist != "pydicom" else "pydicom (peers)"] = _version(
                peers_bin / "python", dist
            )
        # Untimed warm-up: the peers' imports are loaded (and cached) once before timing.
        for warm in (
            [str(peers_bin / "python"), "-m", "dicognito", "--version"],
            [str(peers_bin / "dicom-anonymizer"), "--version"],
            [str(peers_bin / "python"), "-c", "import deid.dicom"],
        ):
            subprocess.run(warm, capture_output=True, check=False)

    args.halves = split_halves(corpus, work / f"halves-{corpus.name}") \
        if args.all_workers == 2 else None
    tools = build_tools(args, key, peers_bin, versions)
    tools_once = [] if args.skip_peers or args.skip_deid else [deid_tool(peers_bin, versions)]
    rows = {t.key: report.Row(t.key, t.label, t.kind) for t in [*tools, *tools_once]}
    for t in tools:
        if t.kind == "medanon" and pending:
            rows[t.key].pending = pending

    # Untimed warm-up copy: the first large write after the corpus was made is slower (page
    # allocation, journal) and would otherwise land on whichever tool runs first.
    warm_dst = fresh(out_root / "warm-up")
    subprocess.run(["cp", "-r", f"{corpus}/.", str(warm_dst)], check=False)
    shutil.rmtree(warm_dst)
    subprocess.run(["sync"], check=False)

    rerun: report.Rerun | None = None
    for round_number in range(1, args.rounds + 1):
        print(f"round {round_number}/{args.rounds}", flush=True)
        for tool in tools:
            row = rows[tool.key]
            if row.pending or row.error:
                continue
            last = round_number == args.rounds
            keep = last and tool.key == "medanon-1"
            dst = time_tool(tool, corpus, out_root, logs, args.timeout, row, keep=keep)
            if keep:
                rerun = time_rerun(tool, corpus, dst, logs, args.timeout, row)
    for tool in tools_once:
        time_tool(tool, corpus, out_root, logs, args.timeout, rows[tool.key])

    memory: list[report.MemoryRun] = []
    if args.memory_files and pending is None:
        memory = memory_check(args, key, out_root, logs)

    finished = datetime.datetime.now()
    body = render(
        args,
        raw,
        corpus,
        corpus_bytes,
        versions,
        list(rows.values()),
        memory,
        rerun,
        started,
        finished,
        pending,
    )
    print("\n" + body)
    if not args.no_record:
        report.replace_section(args.results, body)
        print(f"recorded in {args.results}")
    return 0


def time_rerun(
    tool: Tool, src: Path, dst: Path, logs: Path, timeout: float, row: report.Row
) -> report.Rerun:
    """Run the same medanon command again on its finished destination."""
    first = row.walls[-1] if row.walls and not row.error else None
    subprocess.run(["sync"], check=False)
    result = measure.run_steps(
        tool.steps(src, dst), logs / "medanon-rerun.log", timeout, tool.ok_codes
    )
    files_out = measure.count_outputs(dst)[0]
    print(f"  medanon rerun      {result.wall:.2f} s (first run {first or 0:.2f} s)", flush=True)
    shutil.rmtree(dst, ignore_errors=True)
    subprocess.run(["sync"], check=False)
    return report.Rerun(first, None if result.error else result.wall, files_out, result.error)


def memory_check(
    args: argparse.Namespace, key: Path, out_root: Path, logs: Path
) -> list[report.MemoryRun]:
    size = args.memory_size
    runs = []
    for files in sorted({args.files, args.memory_files}):
        corpus = ensure_corpus(args.work.resolve(), files, args.patients, size, size, args.seed)
        measure.warm_cache(corpus)
        dst = fresh(out_root / f"memory-{files}")
        argv = [
            str(args.medanon),
            "run",
            str(corpus),
            str(dst),
            "--key",
            str(key),
            "--workers",
            "1",
            "--quiet",
        ]
        subprocess.run(["sync"], check=False)
        result = measure.run_one(argv, logs / f"memory-{files}.log", args.timeout, MEDANON_OK_CODES)
        out = measure.count_outputs(dst)[0]
        print(
            f"  memory {files:>6} files: {result.wall:.2f} s, "
            f"peak {result.peak_rss_kb / 1024:.0f} MB",
            flush=True,
        )
        runs.append(
            report.MemoryRun(
                files,
                size,
                size,
                None if result.error else result.wall,
                result.peak_rss_kb,
                out,
                result.error,
            )
        )
        shutil.rmtree(dst, ignore_errors=True)
        subprocess.run(["sync"], check=False)
    return runs


def render(
    args: argparse.Namespace,
    raw: list[str],
    corpus: Path,
    corpus_bytes: int,
    versions: dict[str, str],
    rows: list[report.Row],
    memory: list[report.MemoryRun],
    rerun: report.Rerun | None,
    started: datetime.datetime,
    finished: datetime.datetime,
    pending: str | None,
) -> str:
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    lines = [
        "Produced by:",
        "",
        "```",
        f"cd <repo> && {command_line(raw)}",
        "```",
        "",
        f"Run {started:%Y-%m-%d %H:%M}–{finished:%H:%M} on {os.cpu_count()} cores, "
        f"{memory_gb:.0f} GB, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; "
        + ", ".join(f"{k} {v}" for k, v in versions.items())
        + ".",
        "",
        f"Corpus: {args.files:,} CT slices {args.rows}×{args.cols}, 16-bit uncompressed, "
        f"explicit VR little endian, {args.patients} patients in per-patient folders, "
        f"{corpus_bytes / 1e6:,.0f} MB (`bench/dicom/make_corpus.py`, seed {args.seed}; "
        f"`{corpus.name}`). Files in the page cache; every tool writes to a fresh empty "
        f"folder; wall s is the median of {args.rounds} interleaved rounds (each round's time "
        "in brackets), deid once. Peak RSS: largest of the exact peak of the biggest process "
        'and the summed RSS of the process tree sampled every 0.1 s. "files out" counts the '
        "DICOM files each tool wrote (medanon also writes its state folder, DST/.medanon).",
        "",
        *report.table(rows, args.files),
        "",
        "Targets (from the issue):",
        "",
        *report.targets(rows, args.files, memory, rerun),
    ]
    if memory:
        lines += [
            "",
            f"Memory flatness: medanon, 1 worker, {args.patients} patients, small slices "
            f"({args.memory_size}×{args.memory_size}) for both runs, since the check is about "
            "how memory grows with the number of files, not with the pixel size:",
            "",
            *report.memory_table(memory),
        ]
    if pending:
        lines += ["", f"medanon rows pending: {pending}."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
