"""The Dask path: the same output, byte for byte, as a local run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from medanon.custody.keys import load_key
from medanon.profile.recipe import default_recipe
from medanon.runner.run import RunOptions, run_folder
from medanon.sample import SampleCollection


def test_local_dask_cluster_matches_local_run(
        sample_collection: SampleCollection, tmp_path: Path, key_file: Path,
        make_tree_snapshot: Callable[[Path], dict[str, bytes]]) -> None:
    key = load_key(key_file)
    local = run_folder(sample_collection.root, tmp_path / "local", default_recipe(), key,
                       options=RunOptions(workers=1))
    dask = run_folder(sample_collection.root, tmp_path / "dask", default_recipe(), key,
                      options=RunOptions(cluster="local:2"))
    assert make_tree_snapshot(tmp_path / "dask") == make_tree_snapshot(tmp_path / "local")
    assert dask.report.counts == local.report.counts
    assert sorted(p["file"] for p in dask.report.problems) == sorted(
        p["file"] for p in local.report.problems)
