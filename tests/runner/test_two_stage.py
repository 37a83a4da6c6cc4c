"""Two stages: a blacklist run at the hospital, a whitelist run on the research server."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pydicom
import pytest

from medanon.custody.keys import SecretKey
from medanon.profile.recipe import default_recipe, load_recipe
from medanon.runner.run import RunOptions, run_folder
from medanon.sample import SampleCollection, byte_patterns

RECIPES = Path(__file__).resolve().parents[2] / "recipes"


def _dciodvfy_errors(path: Path) -> set[str]:
    out = subprocess.run(["dciodvfy", "-new", str(path)], capture_output=True, text=True,
                         timeout=60).stderr
    return {re.sub(r"\[\d+\]", "", re.sub(r"= <[^>]*>", "", line))
            for line in out.splitlines() if line.startswith("Error")}


def test_whitelist_after_blacklist(sample_collection: SampleCollection, tmp_path: Path) -> None:
    hospital, research = SecretKey(b"hospital-key".ljust(32)), SecretKey(b"research".ljust(32))
    stage1 = run_folder(sample_collection.root, tmp_path / "stage1", default_recipe(), hospital,
                        options=RunOptions(workers=1))
    assert stage1.report.counts["written"] == sample_collection.counts.written
    recipe = load_recipe(RECIPES / "whitelist-ct-mr.toml")
    stage2 = run_folder(tmp_path / "stage1", tmp_path / "stage2", recipe, research,
                        options=RunOptions(workers=1))
    # Every stage-1 output is valid input for stage 2.
    assert stage2.report.counts["written"] == stage1.report.counts["written"]
    assert stage2.report.counts["failed"] == stage2.report.counts["withheld"] == 0

    review = {row["keyword"]: row for row in stage2.report.review}
    assert review, "a whitelist run must list what it removed"
    for row in review.values():
        assert row["files"] >= 1 and row["distinct_values"] >= 1
        assert re.fullmatch(r"\(\w{4},\w{4}\)", row["tag"])
    # Attributes the whitelist does not approve are gone from every output.
    for path in (tmp_path / "stage2").rglob("*.dcm"):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        for keyword in review:
            if keyword:
                assert keyword not in ds, (keyword, path.name)
        methods = ds.DeidentificationMethod
        assert isinstance(methods, pydicom.multival.MultiValue) and len(methods) == 2
        assert ds.PatientIdentityRemoved == "YES"

    leaks = [value for value in sample_collection.planted
             for path in (tmp_path / "stage2").rglob("*")
             if path.is_file() and any(p in path.read_bytes() for p in byte_patterns(value))
             and not re.fullmatch(r"\d{8}|\d{4}-\d{2}-\d{2}", value)]
    assert not leaks


@pytest.mark.skipif(shutil.which("dciodvfy") is None and not __import__("os").environ.get("CI"),
                    reason="dciodvfy (Debian dicom3tools) is not installed")
def test_outputs_add_no_validator_errors(sample_collection: SampleCollection,
                                          tmp_path: Path) -> None:
    key = SecretKey(b"validator-key".ljust(32))
    result = run_folder(sample_collection.root, tmp_path / "out", default_recipe(), key,
                        options=RunOptions(workers=1))
    assert result.report.counts["written"] > 30
    by_uid: dict[str, Path] = {}
    for item in sample_collection.expected:
        if item.sop_instance_uid:
            by_uid[item.sop_instance_uid] = sample_collection.root / item.path
    from medanon.dicom.uids import remap_uid

    remapped = {remap_uid(key, uid): source for uid, source in by_uid.items()}
    checked = 0
    for output in (tmp_path / "out").rglob("*.dcm"):
        source = remapped[output.stem]
        new_errors = _dciodvfy_errors(output) - _dciodvfy_errors(source)
        assert not new_errors, (source.name, new_errors)
        checked += 1
    assert checked == result.report.counts["written"]
