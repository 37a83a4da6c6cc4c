"""What the event seam costs a run: the hub's own work per file, and a run with and without
site handlers.

Two measurements, both in this process (one worker, the in-process executor):

1. the hub alone: ``EventHub.notify`` for the notifications a run triggers per file
   (EVT_FILE_DONE with the report's count handler bound essential, EVT_PROGRESS with a
   progress handler), timed over many calls, in microseconds per file;
2. the same corpus run with no site handler and with a site handler bound to every
   notification (audit log off, so only the seam differs), alternating, CPU seconds of
   this process, median of ``--rounds``.

The first is set against the run's CPU per file from the second.

    PYTHONPATH=src python bench/dicom/events_cost.py CORPUS OUTPUT_PARENT --rounds 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from medanon.custody.keys import SecretKey
from medanon.events import (
    EVT_FILE_DONE,
    EVT_FILE_FAILED,
    EVT_FILE_WITHHELD,
    EVT_PROGRESS,
    EVT_RUN_FINISHED,
    EVT_RUN_STARTED,
    Event,
    EventHub,
    HandlerBinding,
)
from medanon.profile.recipe import default_recipe
from medanon.runner.outcome import FileOutcome, Status
from medanon.runner.report import SessionStats
from medanon.runner.run import RunOptions, run_folder

NOTIFICATIONS = (EVT_RUN_STARTED, EVT_FILE_DONE, EVT_FILE_FAILED, EVT_FILE_WITHHELD,
                 EVT_PROGRESS, EVT_RUN_FINISHED)


def hub_microseconds_per_file(calls: int) -> float:
    """The hub's cost for one file: EVT_FILE_DONE (count handler) and EVT_PROGRESS."""
    session = SessionStats()
    hub = EventHub()
    hub.bind(EVT_FILE_DONE, lambda event, stats: stats.add(event.outcome), (session,),
             essential=True)
    hub.bind(EVT_PROGRESS, lambda event: None)
    outcome = FileOutcome("0" * 20, Status.WRITTEN, None, "a/b.dcm", 1, 1)
    start = time.perf_counter()
    for _ in range(calls):
        hub.notify(EVT_FILE_DONE, outcome=outcome)
        hub.notify(EVT_PROGRESS, outcome=outcome, stats=session)
    return (time.perf_counter() - start) / calls * 1e6


def _one(corpus: Path, out: Path, handlers: list[HandlerBinding]) -> float:
    if out.exists():
        shutil.rmtree(out)
    os.sync()
    cpu = time.process_time()
    result = run_folder(corpus, out, default_recipe(), SecretKey(b"e" * 32),
                        options=RunOptions(workers=1, custody=None), handlers=handlers)
    cpu = time.process_time() - cpu
    assert result.report.counts["written"] > 0
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("parent", type=Path, help="where the output folders go")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=200_000)
    args = parser.parse_args()
    files = sum(1 for p in args.corpus.rglob("*") if p.is_file())
    per_file_hub = hub_microseconds_per_file(args.calls)
    seen: list[int] = [0]

    def site(event: Event, *_: Any) -> None:
        seen[0] += 1

    variants: dict[str, list[HandlerBinding]] = {
        "no site handler": [],
        "a site handler on every notification": [(evt, site) for evt in NOTIFICATIONS],
    }
    cpus: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, handlers in variants.items():
            cpus[name].append(_one(args.corpus, args.parent / "events-out", handlers))
    shutil.rmtree(args.parent / "events-out", ignore_errors=True)
    base = statistics.median(cpus["no site handler"])
    print(f"corpus: {files} files; {args.rounds} rounds; one worker, audit log off")
    print(f"hub alone: {per_file_hub:.1f} us per file (EVT_FILE_DONE + EVT_PROGRESS)")
    for name, values in cpus.items():
        median = statistics.median(values)
        rounds = " / ".join(f"{v:.2f}" for v in values)
        print(f"{name}: CPU median {median:.2f} s ({median / files * 1e3:.3f} ms per file);"
              f" rounds {rounds}")
    print(f"hub alone against the run's CPU per file: "
          f"{100 * per_file_hub / (base / files * 1e6):.2f} %")
    with_site = statistics.median(cpus["a site handler on every notification"])
    print(f"site handler on every notification: CPU {100 * (with_site - base) / base:+.1f} %"
          f" ({seen[0]} handler calls)")


if __name__ == "__main__":
    main()
