"""De-identify a folder: walk → read → plan → transform → write → report.

This module is the whole pipeline as a reader should see it, top to bottom. Each step
lives in its own module; ``run_folder`` only wires them together and checks the
preconditions that would make a run unsafe (output inside the input, no input).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from medanon.custody.keys import SecretKey
from medanon.dicom.transform import EMPTY_PLAN, CollectionPlan
from medanon.dicom.write import remove_stale_temporaries
from medanon.errors import ConfigurationError
from medanon.profile.model import Ruleset
from medanon.profile.recipe import Recipe
from medanon.profile.ruleset import build_ruleset
from medanon.runner.outcome import FileOutcome
from medanon.runner.process import RunContext, process_file
from medanon.runner.report import RunReport, write_report
from medanon.runner.walk import STATE_DIR_NAME, walk_files

ProgressCallback = Callable[[FileOutcome], None]


@dataclass(frozen=True)
class RunResult:
    """A finished run: its report and where the report was written."""

    report: RunReport
    report_path: Path


def check_folders(src: Path, dst: Path) -> tuple[Path, Path]:
    """Resolve and validate SRC and DST; raise ConfigurationError when a run would be unsafe."""
    if not src.exists():
        raise ConfigurationError(f"source folder {src} does not exist")
    if not src.is_dir():
        raise ConfigurationError(f"source {src} is not a folder")
    src_real, dst_real = Path(os.path.realpath(src)), Path(os.path.realpath(dst))
    if dst_real == src_real or src_real in dst_real.parents:
        raise ConfigurationError("the output folder must not be inside the source folder")
    if dst_real in src_real.parents:
        raise ConfigurationError("the source folder must not be inside the output folder")
    if dst_real.exists() and not dst_real.is_dir():
        raise ConfigurationError(f"output {dst} exists and is not a folder")
    return src_real, dst_real


def run_settings(recipe: Recipe, ruleset: Ruleset, key: SecretKey) -> dict[str, object]:
    """What the report records about how a run was configured (no secrets)."""
    return {
        "mode": ruleset.mode.value,
        "options": sorted(o.value for o in ruleset.options),
        "recipe_fingerprint": recipe.fingerprint(),
        "key_fingerprint": key.fingerprint,
    }


def run_folder(src: Path, dst: Path, recipe: Recipe, key: SecretKey, *,
               plan: CollectionPlan = EMPTY_PLAN,
               on_outcome: ProgressCallback | None = None) -> RunResult:
    """De-identify every file under ``src`` into ``dst``.

    Files that cannot be fully de-identified are never written; they are listed in the
    report (``dst/.medanon/report.json``) with their reason. Library code: nothing is
    printed; pass ``on_outcome`` to follow progress.
    """
    src, dst = check_folders(src, dst)
    ruleset = build_ruleset(recipe)
    dst.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(dst)
    ctx = RunContext(src_root=src, dst_root=dst, ruleset=ruleset, key=key, plan=plan)
    report = RunReport(settings=run_settings(recipe, ruleset, key))

    for path in walk_files(src, exclude=(dst,)):
        outcome = process_file(path, ctx)
        report.add(outcome)
        if on_outcome is not None:
            on_outcome(outcome)

    report.finished = time.time()
    return RunResult(report, write_report(report, dst / STATE_DIR_NAME))
