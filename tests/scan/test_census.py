"""The attribute census against a plain pydicom walk of the same files."""

from __future__ import annotations

from collections import defaultdict

import pydicom
from hypothesis import given
from hypothesis import strategies as st
from pydicom.dataset import Dataset

from medanon.sample import SampleCollection
from medanon.scan import ScanResult
from medanon.scan import distinct as distinct_module
from medanon.scan.distinct import DistinctCounter


def _reference(sample: SampleCollection) -> tuple[dict[str, int], dict[str, set[bytes]]]:
    """Files and distinct raw values per public path, by pydicom (recursing into items)."""
    files: dict[str, int] = defaultdict(int)
    values: dict[str, set[bytes]] = defaultdict(set)

    def walk(ds: Dataset, prefix: str, seen: set[str]) -> None:
        for element in ds:
            if element.tag.is_private:
                continue
            path = f"{prefix}({element.tag.group:04X},{element.tag.element:04X})"
            if path not in seen:
                seen.add(path)
                files[path] += 1
            if element.VR == "SQ":
                for item in element.value:
                    walk(item, path + ">", seen)

    for f in sample.dicom_files:
        ds = pydicom.dcmread(sample.root / f.path, stop_before_pixels=True)
        walk(ds, "", set())
        raw = pydicom.dcmread(sample.root / f.path, stop_before_pixels=True)
        for tag, element in raw._dict.items():  # top level, as read (raw bytes)
            if not tag >> 16 & 1 and element.VR != "SQ" and isinstance(element.value, bytes):
                values[f"({tag >> 16:04X},{tag & 0xFFFF:04X})"].add(
                    element.value.rstrip(b" \x00"))
    return files, values


def test_files_per_attribute_match_pydicom(sample: SampleCollection,
                                           scanned: ScanResult) -> None:
    files, values = _reference(sample)
    rows = [r for r in scanned.census_rows() if not r["private"] and
            not r["path"].startswith("(0002,")]
    census: dict[str, int] = defaultdict(int)
    for row in rows:
        census[row["path"]] += row["files"]  # a path read with two VRs has two rows
    assert dict(census) == dict(files)
    top = {r["path"]: r["distinct_values"] for r in rows if r["depth"] == 0 and r["vr"] != "SQ"}
    for path, found in values.items():
        assert top[path] == len(found), path


def test_private_attributes_carry_their_creator(scanned: ScanResult) -> None:
    private = [r for r in scanned.census_rows() if r["private"]]
    assert private
    for row in private:
        if row["keyword"] != "GroupLength" and row["creator"] is not None:
            assert "xx" in row["tag"]
    creators = {r["creator"] for r in private if r["keyword"] == "PrivateCreator"}
    assert "SIEMENS CSA HEADER" in creators


def test_free_text_is_flagged(scanned: ScanResult) -> None:
    flagged = {r["keyword"] for r in scanned.census_rows() if r["free_text"]}
    assert {"PatientComments", "ImageComments", "StudyDescription"} <= flagged
    assert "PatientSex" not in flagged and "SOPInstanceUID" not in flagged


@given(st.lists(st.lists(st.integers(0, 2**64 - 1), max_size=300), max_size=6))
def test_distinct_counter_counts_exactly(parts: list[list[int]]) -> None:
    total = DistinctCounter()
    for values in parts:
        part = DistinctCounter()
        for value in values:
            part.add(value)
        total.merge(part)
        assert len(part) == len(set(values))
    assert len(total) == len({v for values in parts for v in values})
    assert total.exact


def test_distinct_counter_becomes_a_lower_bound_past_its_limit(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(distinct_module, "LIMIT", 100)
    counter = DistinctCounter()
    counter.update(range(250))
    assert len(counter) == 100 and not counter.exact
