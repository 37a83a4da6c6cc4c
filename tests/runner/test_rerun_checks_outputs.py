"""A rerun trusts nothing it cannot see: a missing or resized output is made again."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from medanon.custody.keys import load_key
from medanon.profile.recipe import default_recipe
from medanon.runner.outcome import FileOutcome, Status
from medanon.runner.report import SessionStats
from medanon.runner.run import RunOptions, run_folder
from medanon.sample import SampleCollection


def _outputs(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.dcm") if ".medanon" not in p.parts)


def _identity(paths: list[Path]) -> dict[Path, tuple[int, int]]:
    """Inode and modification time: a file rewritten, even with the same bytes, changes."""
    return {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in paths}


def test_deleted_truncated_and_grown_outputs_are_redone_and_the_rest_untouched(
        sample_collection: SampleCollection, tmp_path: Path, key_file: Path,
        make_tree_snapshot: Callable[[Path], dict[str, bytes]]) -> None:
    key = load_key(key_file)
    dst = tmp_path / "out"
    first = run_folder(sample_collection.root, dst, default_recipe(), key,
                       options=RunOptions(workers=2))
    straight = make_tree_snapshot(dst)
    outputs = _outputs(dst)
    deleted, truncated, grown, *others = outputs
    deleted.unlink()
    truncated.write_bytes(truncated.read_bytes()[:1000])
    grown.write_bytes(grown.read_bytes() + b"\0" * 16)
    untouched = _identity(others)

    again = run_folder(sample_collection.root, dst, default_recipe(), key,
                       options=RunOptions(workers=2))
    assert again.report.session.done == 3
    assert again.report.session.outputs_redone == 3
    assert again.report.session.skipped == first.report.total - 3
    assert again.report.counts == first.report.counts  # redone, not taken for clashes
    assert make_tree_snapshot(dst) == straight
    assert _identity(others) == untouched
    report = json.loads(again.report_path.read_text())
    assert report["this_session"]["redone_output_missing_or_changed"] == 3
    assert "3 redone: their output was missing" in again.report.summary_line()

    third = run_folder(sample_collection.root, dst, default_recipe(), key,
                       options=RunOptions(workers=1))
    assert third.report.session.done == 0 and third.report.session.outputs_redone == 0


def test_an_output_that_vanishes_during_the_run_is_no_traceback_and_is_redone(
        sample_collection: SampleCollection, tmp_path: Path, key_file: Path,
        make_tree_snapshot: Callable[[Path], dict[str, bytes]]) -> None:
    key = load_key(key_file)
    straight = tmp_path / "straight"
    run_folder(sample_collection.root, straight, default_recipe(), key,
               options=RunOptions(workers=1))
    dst = tmp_path / "out"
    removed: list[str] = []

    def remove_outputs_before_they_are_flushed(outcome: FileOutcome | None,
                                               _session: SessionStats) -> None:
        # Called once the outcome is staged, before the flush that makes it durable:
        # another program removes the output (and, once, its whole folder) meanwhile.
        if outcome is None or outcome.status is not Status.WRITTEN or len(removed) >= 2:
            return
        assert outcome.output is not None
        target = dst / outcome.output
        target.unlink()
        if not removed and not any(target.parent.iterdir()):
            target.parent.rmdir()
        removed.append(outcome.output)

    run_folder(sample_collection.root, dst, default_recipe(), key,
               options=RunOptions(workers=1),
               on_progress=remove_outputs_before_they_are_flushed)
    assert len(removed) == 2
    assert not any((dst / relative).exists() for relative in removed)
    again = run_folder(sample_collection.root, dst, default_recipe(), key,
                       options=RunOptions(workers=1))
    assert again.report.session.outputs_redone == 2
    assert make_tree_snapshot(dst) == make_tree_snapshot(straight)
