"""A scan with a state folder resumes after an interruption and gives the same result."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from medanon.custody.keys import SecretKey
from medanon.errors import ConfigurationError
from medanon.runner.context import RunContext
from medanon.sample import SampleCollection
from medanon.scan import ScanResult, scan_folder
from medanon.scan.api import source_id
from medanon.scan.tally import CollectionTally


class Interrupted(Exception):
    pass


def _without_timing(result: ScanResult) -> dict[str, object]:
    summary = result.summary()
    del summary["scan"]
    return {"summary": summary, "census": result.census_rows(),
            "patients": result.patient_rows()}


def _interrupt_after(files: int):  # type: ignore[no-untyped-def]
    def progress(tally: CollectionTally) -> None:
        if tally.files_done >= files:
            raise Interrupted
    return progress


@pytest.mark.parametrize("workers", [1, 2])
def test_an_interrupted_scan_resumes_to_the_same_result(
        sample: SampleCollection, scan_key: SecretKey, tmp_path: Path, workers: int) -> None:
    reference = scan_folder(sample.root, scan_key, workers=1)
    state = tmp_path / "state"
    with pytest.raises(Interrupted):
        scan_folder(sample.root, scan_key, workers=workers, batch_files=4, state=state,
                    on_progress=_interrupt_after(10))
    resumed = scan_folder(sample.root, scan_key, workers=workers, batch_files=4, state=state)
    assert 10 <= resumed.resumed_files < len(sample.files)
    assert _without_timing(resumed) == _without_timing(reference)
    again = scan_folder(sample.root, scan_key, workers=workers, state=state)
    assert again.resumed_files == len(sample.files) and again.scanned == 0
    assert _without_timing(again) == _without_timing(reference)


def test_the_state_is_pinned_to_key_and_values(sample: SampleCollection, scan_key: SecretKey,
                                               other_key: SecretKey, tmp_path: Path) -> None:
    state = tmp_path / "state"
    scan_folder(sample.root, scan_key, workers=1, state=state)
    with pytest.raises(ConfigurationError, match="key differs"):
        scan_folder(sample.root, other_key, workers=1, state=state)
    with pytest.raises(ConfigurationError, match="values collected differs"):
        scan_folder(sample.root, scan_key, workers=1, state=state, collect_values=True)
    fresh = scan_folder(sample.root, other_key, workers=1, state=state, restart=True)
    assert fresh.resumed_files == 0


def test_a_changed_file_asks_for_a_restart(sample: SampleCollection, scan_key: SecretKey,
                                           tmp_path: Path) -> None:
    root = tmp_path / "copy"
    shutil.copytree(sample.root, root)
    state = tmp_path / "state"
    scan_folder(root, scan_key, workers=1, state=state)
    readme = next(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() == ".txt")
    readme.write_text("changed and longer than before " * 10)
    with pytest.raises(ConfigurationError, match="--restart") as raised:
        scan_folder(root, scan_key, workers=1, state=state)
    assert readme.name not in str(raised.value)


def test_files_are_named_as_the_run_manifest_names_them(sample: SampleCollection,
                                                       scan_key: SecretKey) -> None:
    from medanon.profile.recipe import default_recipe
    from medanon.profile.ruleset import build_ruleset

    ctx = RunContext(sample.root, sample.root, build_ruleset(default_recipe()), scan_key)
    for relative in sample.files[:5]:
        path = sample.root / relative
        assert source_id(scan_key, sample.root, path) == ctx.source_id(path)
