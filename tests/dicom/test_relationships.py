"""A small collection through ``run_folder``: references survive, output is deterministic,
and runs under different keys cannot be linked."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from medanon.custody.keys import SecretKey
from medanon.dicom.quiet import quiet_pydicom
from medanon.dicom.write import IMPLEMENTATION_CLASS_UID
from medanon.profile.recipe import default_recipe
from medanon.runner.outcome import Status
from medanon.runner.run import RunOptions, run_folder
from medanon.runner.walk import STATE_DIR_NAME
from tests.dicom.builders import CT_IMAGE_STORAGE, add_pixels, ct_dataset, uid, write_part10

KEY_HEX = "00" * 16 + "a5" * 16
KEY = SecretKey(bytes.fromhex(KEY_HEX))
OTHER_KEY = SecretKey(b"\x5a" * 32)
DANGLING = uid(99, 99, 99)  # referenced, but not in the collection
REFERENCE_TAGS = {0x00081155: "instance", 0x00081150: "class", 0x0020000E: "series"}


def reference(sop_uid: str) -> Dataset:
    item = Dataset()
    item.ReferencedSOPClassUID = CT_IMAGE_STORAGE
    item.ReferencedSOPInstanceUID = sop_uid
    return item


def build_collection(root: Path) -> None:
    """Two patients; patient 1 has originals, derived images and a series-level reference."""
    number = iter(range(1, 100))

    def instance(patient: str, study: int, series: int, index: int) -> Dataset:
        ds = add_pixels(ct_dataset(patient_id=patient, name=f"{patient}^TEST", study=study,
                                   series=series, instance=index), seed=index)
        ds.InstanceNumber = next(number)  # unique across the collection: pairs in and out
        return ds

    originals = [instance("PIDA", 1, 1, i) for i in range(1, 4)]
    derived = [instance("PIDA", 1, 2, i) for i in range(1, 3)]
    for ds in derived:
        ds.SourceImageSequence = Sequence([reference(originals[0].SOPInstanceUID),
                                           reference(originals[1].SOPInstanceUID)])
        ds.ReferencedImageSequence = Sequence([reference(originals[2].SOPInstanceUID),
                                               reference(DANGLING)])
    summary = instance("PIDA", 1, 3, 1)
    series_items = []
    for series in (originals, derived):
        item = Dataset()
        item.SeriesInstanceUID = series[0].SeriesInstanceUID
        item.ReferencedInstanceSequence = Sequence([reference(ds.SOPInstanceUID)
                                                    for ds in series])
        series_items.append(item)
    summary.ReferencedSeriesSequence = Sequence(series_items)
    other_patient = [instance("PIDB", 2, 1, 1)]
    other_patient[0].FrameOfReferenceUID = uid(2, 8888)
    for index, ds in enumerate([*originals, *derived, summary, *other_patient]):
        write_part10(root / f"site{index % 2}" / f"IM{index:04d}.dcm", ds)


def walk(ds: Dataset, path: tuple[object, ...] = ()) -> Iterator[tuple[tuple[object, ...],
                                                                       str, str]]:
    """(where, kind, value) of every reference inside the sequences of ``ds``."""
    for element in ds:
        if element.VR == "SQ":
            for index, item in enumerate(element.value):
                yield from walk(item, (*path, element.keyword, index))
        elif path and int(element.tag) in REFERENCE_TAGS:
            yield path + (element.keyword,), REFERENCE_TAGS[int(element.tag)], str(element.value)


def read_tree(root: Path) -> dict[str, Dataset]:
    with quiet_pydicom():
        return {p.relative_to(root).as_posix(): pydicom.dcmread(p)
                for p in sorted(root.rglob("*.dcm")) if STATE_DIR_NAME not in p.parts}


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and STATE_DIR_NAME not in p.relative_to(root).parts}


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("collection") / "src"
    build_collection(root)
    return root


@pytest.fixture(scope="module")
def output(collection: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dst = tmp_path_factory.mktemp("out") / "dst"
    result = run_folder(collection, dst, default_recipe(), KEY)
    assert result.report.counts[Status.WRITTEN.value] == 7, result.report.to_dict()
    assert result.report.exit_code == 0
    return dst


def test_every_reference_resolves_to_the_right_output_instance(collection: Path,
                                                               output: Path) -> None:
    inputs = {int(ds.InstanceNumber): ds for ds in read_tree(collection).values()}
    outputs = {int(ds.InstanceNumber): ds for ds in read_tree(output).values()}
    assert sorted(inputs) == sorted(outputs)
    by_uid = {ds.SOPInstanceUID: number for number, ds in inputs.items()}
    series = {ds.SeriesInstanceUID: number for number, ds in inputs.items()}
    checked = 0
    for number, source in inputs.items():
        before = {where: (kind, value) for where, kind, value in walk(source)}
        after = {where: (kind, value) for where, kind, value in walk(outputs[number])}
        assert before.keys() == after.keys(), f"instance {number}: references lost or added"
        for where, (kind, value) in before.items():
            new = after[where][1]
            if kind == "instance" and value in by_uid:
                assert new == outputs[by_uid[value]].SOPInstanceUID, where
                checked += 1
            elif kind == "series" and value in series:
                assert new == outputs[series[value]].SeriesInstanceUID, where
                checked += 1
            elif kind == "class":
                assert new == value, "a SOP class is a standard UID"
            else:
                assert value == DANGLING and new != value, "a dangling reference is remapped"
    assert checked == 2 * 3 + 5 + 2, "every reference of the collection was checked"


def test_shared_identifiers_stay_shared(collection: Path, output: Path) -> None:
    inputs = {int(ds.InstanceNumber): ds for ds in read_tree(collection).values()}
    outputs = {int(ds.InstanceNumber): ds for ds in read_tree(output).values()}
    for keyword in ("FrameOfReferenceUID", "StudyInstanceUID", "SeriesInstanceUID",
                    "PatientID"):
        for a in inputs:
            for b in inputs:
                same_in = inputs[a][keyword].value == inputs[b][keyword].value
                same_out = outputs[a][keyword].value == outputs[b][keyword].value
                assert same_in == same_out, f"{keyword} of instances {a} and {b}"
        for number in inputs:
            assert outputs[number][keyword].value != inputs[number][keyword].value


def test_two_runs_give_identical_trees(collection: Path, output: Path,
                                       tmp_path: Path) -> None:
    """A second run, sequential this time (the first used a process pool)."""
    again = tmp_path / "again"
    run_folder(collection, again, default_recipe(), KEY, options=RunOptions(workers=1))
    first, second = tree_bytes(output), tree_bytes(again)
    assert len(first) == 7 and first == second


def test_another_process_gives_identical_bytes(collection: Path, output: Path,
                                               tmp_path: Path) -> None:
    elsewhere = tmp_path / "subprocess"
    code = (
        "from pathlib import Path\n"
        "from medanon.custody.keys import SecretKey\n"
        "from medanon.profile.recipe import default_recipe\n"
        "from medanon.runner.run import RunOptions, run_folder\n"
        f"run_folder(Path({str(collection)!r}), Path({str(elsewhere)!r}), default_recipe(), "
        f"SecretKey(bytes.fromhex({KEY_HEX!r})), options=RunOptions(workers=1))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)
    assert tree_bytes(elsewhere) == tree_bytes(output)


def identifiers(root: Path) -> dict[str, set[str]]:
    """Every value that could link two releases: UIDs, names, IDs, dates, path parts."""
    found: dict[str, set[str]] = {"uid": set(), "name": set(), "id": set(), "date": set(),
                                  "path": set()}
    for relative, ds in read_tree(root).items():
        found["path"].update(Path(relative).parts)
        elements = [*ds.iterall(), *ds.file_meta]
        for element in elements:
            values = element.value if element.VM > 1 else [element.value]
            for value in values:
                text = str(value)
                if element.VR == "UI" and not text.startswith("1.2.840.10008."):
                    if text != IMPLEMENTATION_CLASS_UID:  # names medanon, not the data
                        found["uid"].add(text)
                elif element.VR == "PN" and text:
                    found["name"].add(text)
                elif element.keyword == "PatientID":
                    found["id"].add(text)
                elif element.VR in ("DA", "DT") and text:
                    found["date"].add(text)
    return found


def test_another_key_gives_unlinkable_output(collection: Path, output: Path,
                                             tmp_path: Path) -> None:
    other = tmp_path / "other-key"
    run_folder(collection, other, default_recipe(), OTHER_KEY, options=RunOptions(workers=1))
    mine, theirs = identifiers(output), identifiers(other)
    for kind in mine:
        assert mine[kind], f"no {kind} found: the comparison would be empty"
        common = mine[kind] & theirs[kind]
        assert not common, f"{kind} values shared by runs under different keys: {sorted(common)}"
