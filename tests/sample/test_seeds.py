"""The generator's contract holds for other seeds too (other names, charsets' corner cases)."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest

from medanon.sample import byte_patterns, generate_sample


@pytest.mark.parametrize("seed", [1, 2, 3, 5])
def test_contract_holds_for_other_seeds(seed: int, tmp_path: Path) -> None:
    collection = generate_sample(tmp_path / "s", seed=seed, cohort=True)
    assert (collection.counts.written, collection.counts.withheld) == (119, 0)
    blobs = [(collection.root / p).read_bytes() for p in collection.files]
    haystack = b"\x00".join([*blobs, "\n".join(collection.files).encode()])
    assert [v for v in collection.planted
            if not any(p in haystack for p in byte_patterns(v))] == []
    for expected in collection.dicom_files:
        ds = pydicom.dcmread(collection.root / expected.path)
        assert ds.SOPInstanceUID == expected.sop_instance_uid
        assert str(ds.PatientName.alphabetic) in collection.planted
