"""Time a command (or a sequence of commands) and measure its peak memory, for the benchmark.

Wall time is taken around the process from start to reaped exit (``os.wait4``, blocking, so
the end time is exact). Peak memory is the larger of two figures:

* the largest single process in the tree, exactly, from the kernel: ``ru_maxrss`` as GNU
  ``/usr/bin/time`` reports it for its child (covering the descendants it waited for). The
  command is started under ``/usr/bin/time`` rather than read from our own ``wait4``, because
  a child forked from this (numpy-sized) Python keeps our high-water mark across ``exec``;
  without ``/usr/bin/time`` (``apt-get install time``) the ``wait4`` figure is used and can be
  overstated by the harness's own size;
* the summed RSS of the whole process tree, sampled every 0.1 s from ``/proc``; this is what
  catches tools that fan out into worker processes, where no single process shows the total.

Summing RSS counts pages shared between forked workers more than once; that overstates a
multi-process tool a little and never understates it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
SAMPLE_SECONDS = 0.1
GNU_TIME = Path("/usr/bin/time")


@dataclass
class Run:
    """Outcome of running one or more commands one after another."""

    wall: float
    peak_rss_kb: int
    error: str | None  # None when every command exited with an accepted code
    returncode: int = 0


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                kids.extend(int(k) for k in handle.read().split())
    except (OSError, ValueError):
        pass
    return kids


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * PAGE_KB
    except (OSError, ValueError, IndexError):
        return 0


def tree_rss_kb(root: int, include_root: bool = True) -> int:
    """Summed resident memory of ``root`` (unless excluded) and all its descendants, now."""
    total, todo, seen = 0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        if pid != root or include_root:
            total += _rss_kb(pid)
        todo.extend(_children(pid))
    return total


class _Sampler(threading.Thread):
    def __init__(self, pid: int, include_root: bool) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.include_root = include_root
        self.peak_kb = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak_kb = max(self.peak_kb, tree_rss_kb(self.pid, self.include_root))
            self.stop.wait(SAMPLE_SECONDS)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _read_rss(rss_file: Path) -> int:
    """The %M figure /usr/bin/time wrote (its last line; earlier lines note exit statuses)."""
    try:
        lines = rss_file.read_text().split()
        rss_file.unlink()
        return int(lines[-1]) if lines else 0
    except (OSError, ValueError):
        return 0


def _last_line(log: Path) -> str:
    try:
        lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1][:160] if lines else ""


def run_one(
    argv: Sequence[str],
    log: Path,
    timeout: float,
    ok_codes: Collection[int] = (0,),
    env: Mapping[str, str] | None = None,
) -> Run:
    """Run ``argv`` with output appended to ``log``; never raises for a failing command.

    ``ok_codes`` are the exit codes that still count as a finished run (medanon exits 1 when
    it withheld some files: its time is valid, the withheld files show in the output count).
    """
    wrapped = GNU_TIME.exists()
    rss_file = log.with_suffix(".rss")
    command = [str(GNU_TIME), "-f", "%M", "-o", str(rss_file), *argv] if wrapped else list(argv)
    with log.open("ab") as out:
        out.write(f"$ {' '.join(argv)}\n".encode())
        out.flush()
        started = time.perf_counter()
        try:
            proc = subprocess.Popen(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=dict(env) if env is not None else None,
                start_new_session=True,
            )
        except OSError as exc:
            return Run(0.0, 0, f"could not start: {exc}")
        sampler = _Sampler(proc.pid, include_root=not wrapped)
        sampler.start()
        timer = threading.Timer(timeout, _kill_group, (proc.pid,))
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        timer.cancel()
        sampler.stop.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    exact = _read_rss(rss_file) if wrapped else int(usage.ru_maxrss)
    peak = max(exact, sampler.peak_kb)
    code = proc.returncode
    if code in ok_codes:
        return Run(wall, peak, None, code)
    if wall >= timeout:
        return Run(wall, peak, f"killed after {timeout:.0f} s", code)
    return Run(wall, peak, f"exit {code}: {_last_line(log)}", code)


def run_steps(
    steps: Sequence[Sequence[str]],
    log: Path,
    timeout: float,
    ok_codes: Collection[int] = (0,),
    env: Mapping[str, str] | None = None,
) -> Run:
    """Run commands one after another (stop at the first failure); walls add, peaks max."""
    wall, peak, code = 0.0, 0, 0
    for argv in steps:
        result = run_one(argv, log, max(1.0, timeout - wall), ok_codes, env)
        wall += result.wall
        peak = max(peak, result.peak_rss_kb)
        code = max(code, result.returncode)
        if result.error is not None:
            return Run(wall, peak, result.error, result.returncode)
    return Run(wall, peak, None, code)


def count_outputs(root: Path) -> tuple[int, int]:
    """(DICOM files, all regular files) under ``root``; DICOM = 'DICM' after the preamble."""
    dicom = total = 0
    if not root.exists():
        return 0, 0
    for folder, _, files in os.walk(root):
        for name in files:
            total += 1
            try:
                with open(os.path.join(folder, name), "rb") as handle:
                    handle.seek(128)
                    if handle.read(4) == b"DICM":
                        dicom += 1
            except OSError:
                pass
    return dicom, total


def warm_cache(root: Path) -> int:
    """Read every file under ``root`` once so all tools start with it in the page cache."""
    size = 0
    for folder, _, files in os.walk(root):
        for name in files:
            with open(os.path.join(folder, name), "rb") as handle:
                while chunk := handle.read(1 << 20):
                    size += len(chunk)
    return size
