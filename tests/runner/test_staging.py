"""Staging copies files ahead within its budget and frees each once done."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from medanon.custody.keys import load_key
from medanon.profile.recipe import default_recipe
from medanon.runner.manifest import InputStamp
from medanon.runner.run import RunOptions, run_folder
from medanon.runner.staging import Stager
from medanon.runner.tasks import Task
from medanon.sample import SampleCollection


def test_staged_run_matches_direct_run(
        sample_collection: SampleCollection, tmp_path: Path, key_file: Path,
        make_tree_snapshot: Callable[[Path], dict[str, bytes]]) -> None:
    key = load_key(key_file)
    staging = tmp_path / "staging"
    run_folder(sample_collection.root, tmp_path / "direct", default_recipe(), key,
               options=RunOptions(workers=1))
    staged = run_folder(sample_collection.root, tmp_path / "staged", default_recipe(), key,
                        options=RunOptions(workers=2, staging_dir=staging,
                                           staging_budget=200_000))
    assert make_tree_snapshot(tmp_path / "staged") == make_tree_snapshot(tmp_path / "direct")
    assert staged.report.total == len(sample_collection.files)
    assert list(staging.iterdir()) == []


def test_budget_is_never_exceeded(tmp_path: Path) -> None:
    files = []
    for number in range(12):
        path = tmp_path / f"f{number}"
        path.write_bytes(bytes(1000))
        files.append(path)
    tasks = iter([Task(p, InputStamp(p.name, 1000, 0)) for p in files])
    stager = Stager(tmp_path / "staging", budget=3500)
    seen = []
    for task in stager.stage(tasks):
        assert stager.used <= 3500
        assert task.read_from is not None and task.read_from.read_bytes() == bytes(1000)
        seen.append(task.path)
        stager.release(task)
    assert seen == files
    assert stager.used == 0
