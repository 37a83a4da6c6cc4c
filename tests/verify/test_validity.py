"""dciodvfy (Debian's dicom3tools): an error the output has and its input had not is found.

Under CI a missing dciodvfy fails the test (scripts/test installs dicom3tools)."""

from __future__ import annotations

import os
from pathlib import Path

import pydicom
import pytest

from medanon.custody.keys import SecretKey
from medanon.sample import SampleCollection
from medanon.verify import VerifyOptions, validity, verify_folder


def _need_dciodvfy() -> None:
    if validity.available():
        return
    if os.environ.get("CI"):
        pytest.fail("dciodvfy is not installed (Debian package dicom3tools)")
    pytest.skip("dciodvfy is not installed")


def test_a_new_dciodvfy_error_is_a_validity_finding(output_copy: Path,
                                                    collection: SampleCollection,
                                                    key: SecretKey) -> None:
    _need_dciodvfy()
    path = next(p for p in sorted(output_copy.rglob("*.dcm"))
                if pydicom.dcmread(p, stop_before_pixels=True).Modality == "CT")
    ds = pydicom.dcmread(path)
    del ds.Rows  # Type 1 in the Image Pixel module: dciodvfy reports it missing
    ds.save_as(path)
    result = verify_folder(output_copy, VerifyOptions(against=collection.root, key=key,
                                                      workers=1, dciodvfy="all"))
    relative = path.relative_to(output_copy).as_posix()
    validity_findings = [f for f in result.findings if f.category == "validity"]
    assert validity_findings and {f.file for f in validity_findings} == {relative}
    assert all(f.check.startswith("dciodvfy: Error") for f in validity_findings)
    assert result.summary["dciodvfy"].startswith(f"{collection.counts.written} of ")


def test_a_clean_output_has_no_new_dciodvfy_error(clean_output: Path,
                                                  collection: SampleCollection,
                                                  key: SecretKey) -> None:
    _need_dciodvfy()
    result = verify_folder(clean_output, VerifyOptions(against=collection.root, key=key,
                                                       workers=1, dciodvfy="sample"))
    assert [f for f in result.findings if f.category == "validity"] == []
    assert result.summary["dciodvfy"] == f"20 of {collection.counts.written} paired files checked"
