"""The public API at the package root."""

from __future__ import annotations

import io
from pathlib import Path

import pydicom
import pytest

import medanon
from medanon.sample import generate_sample


def test_deidentify_dataset_returns_a_new_saveable_dataset(tmp_path: Path) -> None:
    collection = generate_sample(tmp_path / "sample")
    image = next(e for e in collection.expected if e.kind.value == "image" and e.modality == "CT")
    original = pydicom.dcmread(collection.root / image.path)
    name_before = str(original.PatientName)
    key = medanon.SecretKey(b"api-test-key".ljust(32, b"."))
    result = medanon.deidentify_dataset(original, key)
    assert str(original.PatientName) == name_before  # the input is untouched
    assert str(result.PatientName) != name_before
    assert result.PatientIdentityRemoved == "YES"
    assert result.file_meta.MediaStorageSOPInstanceUID == result.SOPInstanceUID
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, result, enforce_file_format=True)
    again = pydicom.dcmread(io.BytesIO(buffer.getvalue()))
    assert (again.pixel_array == original.pixel_array).all()
    # Same key, same answer; another key, another answer.
    assert medanon.deidentify_dataset(original, key).SOPInstanceUID == result.SOPInstanceUID
    other = medanon.deidentify_dataset(original, medanon.generate_key())
    assert other.SOPInstanceUID != result.SOPInstanceUID


def test_burned_in_dataset_is_refused_when_pixel_cleaning_is_off(tmp_path: Path) -> None:
    collection = generate_sample(tmp_path / "sample")
    withheld = next(e for e in collection.expected if e.kind.value == "burned-in")
    ds = pydicom.dcmread(collection.root / withheld.path)
    recipe = medanon.parse_recipe('[pixels]\nocr = "off"\n')
    with pytest.raises(medanon.DeidentificationError, match="BurnedInAnnotation"):
        medanon.deidentify_dataset(ds, medanon.generate_key(), recipe)


def test_deidentify_folder_and_recipe_round_trip(tmp_path: Path) -> None:
    collection = generate_sample(tmp_path / "sample")
    recipe = medanon.parse_recipe(
        'mode = "blacklist"\noptions = ["retain-patient-characteristics"]\n')
    result = medanon.deidentify_folder(collection.root, tmp_path / "out", medanon.generate_key(),
                                       recipe)
    assert result.report.counts["written"] == collection.counts.written
    assert result.report_path.exists()


def test_privacy_names_load_lazily() -> None:
    assert callable(medanon.anonymize) and callable(medanon.check)
    with pytest.raises(AttributeError):
        _ = medanon.no_such_name  # type: ignore[attr-defined]
