"""The bundled sample collection, de-identified end to end: nothing planted survives."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path

import pydicom

from medanon.custody.keys import load_key
from medanon.dicom.dates import date_offset_days
from medanon.profile.recipe import default_recipe
from medanon.runner.run import RunOptions, run_folder
from medanon.sample import SampleCollection, byte_patterns


def _shifted_dates(collection: SampleCollection, offsets: set[int]) -> set[str]:
    """Every planted date moved by every patient's offset: a shifted date may, by chance,
    equal some other original date, and that is not a leak."""
    out: set[str] = set()
    for value in collection.planted:
        for fmt in ("%Y%m%d", "%Y-%m-%d"):
            try:
                day = dt.datetime.strptime(value, fmt).date()
            except ValueError:
                continue
            for offset in offsets:
                shifted = day + dt.timedelta(days=offset)
                out.add(shifted.strftime(fmt))
    return out


def test_nothing_planted_survives_in_bytes_or_paths(
        sample_collection: SampleCollection, tmp_path: Path, key_file: Path) -> None:
    dst = tmp_path / "out"
    key = load_key(key_file)
    result = run_folder(sample_collection.root, dst, default_recipe(), key,
                        options=RunOptions(workers=1))
    counts = sample_collection.counts
    assert result.report.counts["written"] == counts.written
    assert result.report.counts["withheld"] == counts.withheld
    assert result.report.counts["failed"] == counts.failed
    assert result.report.counts["excluded"] == counts.excluded

    for path in dst.rglob("*.dcm"):
        assert pydicom.dcmread(path, stop_before_pixels=True).PatientIdentityRemoved == "YES"
    coincidences = _shifted_dates(sample_collection, {
        date_offset_days(key, f"id:{pid}") for pid in _patient_ids(sample_collection)})

    every_file = [p for p in dst.rglob("*") if p.is_file()]
    assert every_file, "the run wrote nothing"
    leaks = []
    for value in sample_collection.planted:
        if value in coincidences:
            continue
        patterns = byte_patterns(value)
        for path in every_file:
            data = path.read_bytes()
            name = path.relative_to(dst).as_posix().encode()
            if any(p in data or p in name for p in patterns):
                leaks.append((value, path.relative_to(dst).as_posix()))
    assert not leaks, f"{len(leaks)} planted values survived, e.g. {leaks[:5]}"


def _patient_ids(collection: SampleCollection) -> set[str]:
    ids = set()
    for item in collection.expected:
        if item.sop_instance_uid:
            ds = pydicom.dcmread(collection.root / item.path, stop_before_pixels=True)
            ids.add(str(ds.get("PatientID", "")))
    return ids


def test_report_names_files_by_hash_only(sample_collection: SampleCollection, tmp_path: Path,
                                         key_file: Path) -> None:
    dst = tmp_path / "out"
    result = run_folder(sample_collection.root, dst, default_recipe(), load_key(key_file))
    text = result.report_path.read_text()
    report = json.loads(text)
    assert len(report["problems"]) == 3  # the excluded DICOMDIR and two non-DICOM files
    for problem in report["problems"]:
        assert re.fullmatch(r"[0-9a-f]{20}", problem["file"])
        assert problem["reason"]
    for relative in sample_collection.files:
        assert Path(relative).name not in text or Path(relative).name == "DICOMDIR"


def test_two_runs_are_byte_identical(sample_collection: SampleCollection, tmp_path: Path,
                                     key_file: Path,
                                     make_tree_snapshot: Callable[[Path], dict[str, bytes]]
                                     ) -> None:
    key = load_key(key_file)
    first = tmp_path / "one"
    second = tmp_path / "two"
    run_folder(sample_collection.root, first, default_recipe(), key,
               options=RunOptions(workers=1))
    run_folder(sample_collection.root, second, default_recipe(), key,
               options=RunOptions(workers=2))
    assert make_tree_snapshot(first) == make_tree_snapshot(second)


def test_report_counts_where_the_safety_net_fired(sample_collection: SampleCollection,
                                                  tmp_path: Path, key_file: Path) -> None:
    """The sample plants names where Table E.1-1 does not look: the report says where, by
    attribute only, so a site can add a rule; never a value."""
    dst = tmp_path / "out"
    result = run_folder(sample_collection.root, dst, default_recipe(), load_key(key_file),
                        options=RunOptions(workers=1))
    report = json.loads(result.report_path.read_text())
    net = report["safety_net"]
    assert net, "the sample's plantings in unlisted attributes were not counted"
    for row in net:
        assert re.fullmatch(r"\([0-9A-F]{4},[0-9A-F]{4}\) \w+", row["attribute"])
        assert 1 <= row["files"] <= row["values"]
        assert row["files"] <= report["counts"]["written"]
    text = json.dumps(net)
    leaked = [v for v in sample_collection.planted if len(v) >= 4 and v in text]
    assert not leaked
