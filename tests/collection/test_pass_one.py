"""Pass 1 is the scan: the same counts and patients as ``medanon scan``, resumable, never fatal."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from medanon.collection.run import PLAN_NAME, run_private
from medanon.custody.keys import SecretKey
from medanon.profile.recipe import Recipe
from medanon.runner.run import RunOptions
from medanon.scan import FileStatus, scan_folder
from medanon.scan.state import STATE_NAME

RECIPE = ('[privacy]\nk = 5\nmax_suppression = 0.1\n'
          'quasi_identifiers = ["age", "PatientSex", "PatientSize", "PatientWeight"]\n')
ONE = RunOptions(workers=1)


@pytest.fixture()
def damaged(cohort: Path, tmp_path: Path) -> Path:
    """The cohort with an empty file, a text file and a truncated DICOM file beside it."""
    root = tmp_path / "source"
    shutil.copytree(cohort, root)
    (root / "empty.dcm").write_bytes(b"")
    (root / "notes.txt").write_text("not an image\n", encoding="utf-8")
    first = next(iter(sorted(cohort.rglob("*.dcm"))))
    (root / "truncated.dcm").write_bytes(first.read_bytes()[:400])
    return root


def test_pass_one_counts_what_the_scan_counts_and_bad_files_are_not_fatal(
        damaged: Path, run_key: SecretKey, tmp_path: Path,
        write_recipe: Callable[[str], Recipe]) -> None:
    result = run_private(damaged, tmp_path / "out", write_recipe(RECIPE), run_key, options=ONE)
    scan = scan_folder(damaged, run_key, workers=1)
    counts = result.plan.counts
    assert counts["files"] == scan.files
    assert counts["unreadable_files"] == scan.files - \
        scan.tally.inventory.files[FileStatus.DICOM.value] >= 3
    assert counts["patients"] == len(scan.patient_rows())
    assert set(result.plan.patients) | set(result.plan.suppressed) == \
        {row.patient for row in scan.patient_rows()}
    assert not (tmp_path / "out" / ".medanon" / STATE_NAME).exists()  # gone with the plan


def _stop_after_two_batches(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Iterator[Any]]:
    """Make the scan stop (as if interrupted) after two batches of 16; return the real one."""
    import medanon.scan.api as scan_api

    real = scan_api.scan_batches

    def stopped(*args: Any, **kwargs: Any) -> Iterator[Any]:
        batches = real(*args, **{**kwargs, "batch_files": 16})
        yield next(batches)
        yield next(batches)
        raise KeyboardInterrupt
    monkeypatch.setattr(scan_api, "scan_batches", stopped)
    return real


def _counting(monkeypatch: pytest.MonkeyPatch, real: Callable[..., Iterator[Any]]
              ) -> list[int]:
    """Count the files the scan reads from now on."""
    import medanon.scan.api as scan_api

    seen: list[int] = []

    def counting(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for paths, batch in real(*args, **kwargs):
            seen.append(len(paths))
            yield paths, batch
    monkeypatch.setattr(scan_api, "scan_batches", counting)
    return seen


def test_a_pass_one_state_from_other_settings_is_counted_again(
        cohort: Path, run_key: SecretKey, tmp_path: Path,
        write_recipe: Callable[[str], Recipe], monkeypatch: pytest.MonkeyPatch) -> None:
    recipe = write_recipe(RECIPE)
    real = _stop_after_two_batches(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        run_private(cohort, tmp_path / "out", recipe, run_key, options=ONE)
    seen = _counting(monkeypatch, real)
    other_key = SecretKey(b"another-key".ljust(32, b"."))
    result = run_private(cohort, tmp_path / "out", recipe, other_key, options=ONE)
    assert sum(seen) == result.plan.counts["files"] > 32


def test_a_pass_one_stopped_half_way_resumes_from_its_state(
        cohort: Path, run_key: SecretKey, tmp_path: Path,
        write_recipe: Callable[[str], Recipe], make_tree: Callable[[Path], dict[str, bytes]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    recipe = write_recipe(RECIPE)
    run_private(cohort, tmp_path / "whole", recipe, run_key, options=ONE)
    real = _stop_after_two_batches(monkeypatch)
    resumed = tmp_path / "resumed"
    with pytest.raises(KeyboardInterrupt):
        run_private(cohort, resumed, recipe, run_key, options=ONE)
    assert (resumed / ".medanon" / STATE_NAME).is_file()
    assert not (resumed / ".medanon" / PLAN_NAME).exists()
    seen = _counting(monkeypatch, real)
    result = run_private(cohort, resumed, recipe, run_key, options=ONE)
    assert sum(seen) == result.plan.counts["files"] - 32  # the first 32 files were counted
    assert make_tree(resumed) == make_tree(tmp_path / "whole")
