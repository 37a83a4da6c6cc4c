"""Region rules: known vendor layouts blanked without OCR, through every door."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np
import pydicom
import pytest

import medanon
from medanon.custody.keys import SecretKey
from medanon.pixels.regions import matches, region_boxes
from medanon.pixels.settings import RegionRule
from medanon.profile.recipe import parse_recipe
from medanon.runner.run import RunOptions, run_folder

RULE = '''
[pixels]
ocr = "off"
{extra}
[[pixels.regions]]
Modality = "US"
Manufacturer = "ACME*"
ManufacturerModelName = "SONO*"
Rows = 120
Columns = 160
boxes = [[0, 0, 160, 20]]
'''
KEY = SecretKey(bytes(range(32)))


def _us(generate: ModuleType, syntax: str = "1.2.840.10008.1.2.1", kind: str = "mono8",
        frames: int = 1) -> pydicom.Dataset:
    item = generate.sample(11, kind=kind, rows=120, columns=160, frames=frames, lines=1)
    return generate.dataset_of(item, syntax, burned_in="YES")


def test_globs_rows_and_columns_decide_a_match() -> None:
    ds = pydicom.Dataset()
    ds.Modality, ds.Manufacturer, ds.ManufacturerModelName = "US", "Acme Medical", "Sono 9"
    ds.Rows, ds.Columns = 120, 160
    rule = RegionRule("US", "ACME*", "SONO*", 120, 160, ((0, 0, 5, 5),))
    assert matches(rule, ds)
    assert region_boxes(ds, (rule, RegionRule("CT", boxes=((1, 1, 2, 2),)))) == ((0, 0, 5, 5),)
    ds.Rows = 121
    assert not matches(rule, ds)


@pytest.mark.parametrize("syntax", ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2.5",
                                    "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.90",
                                    "1.2.840.10008.1.2.4.50"])
def test_a_region_is_blanked_and_the_rest_kept(generate: ModuleType, syntax: str) -> None:
    ds = _us(generate, syntax)
    before = ds.pixel_array.copy()
    out = medanon.deidentify_dataset(ds, KEY, parse_recipe(RULE.format(extra="margin = 0")))
    after = out.pixel_array
    assert not after[:20].any()
    lossy = syntax == "1.2.840.10008.1.2.4.50"
    assert np.array_equal(after[20:], before[20:])  # a lossy input: its decoded values
    assert out.BurnedInAnnotation == "NO"
    assert "113101" in [item.CodeValue for item in out.DeidentificationMethodCodeSequence]
    assert (out.get("LossyImageCompression") == "01") == lossy
    if lossy:
        assert out.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.80"


def test_the_margin_and_min_fill_apply(generate: ModuleType) -> None:
    ds = _us(generate, kind="mono16")
    ds.PixelData = (np.frombuffer(ds.PixelData, "<u2") + 100).astype("<u2").tobytes()
    out = medanon.deidentify_dataset(
        ds, KEY, parse_recipe(RULE.format(extra='margin = 3\nfill = "min"')))
    after = out.pixel_array
    assert (after[:23] == 100).all() and after[23:].min() >= 100


def test_keyed_uids_survive_the_pixel_step(generate: ModuleType) -> None:
    ds = _us(generate, "1.2.840.10008.1.2.5")
    cleaned = medanon.deidentify_dataset(ds, KEY, parse_recipe(RULE.format(extra="")))
    ds.Manufacturer = "OTHER"  # no rule matches: no pixel step, the same keyed UID
    unchecked = 'allow_unchecked_burned_in = true\n[pixels]\nocr = "off"\n'
    untouched = medanon.deidentify_dataset(ds, KEY, parse_recipe(unchecked))
    assert cleaned.SOPInstanceUID == untouched.SOPInstanceUID != ds.SOPInstanceUID
    assert cleaned.file_meta.MediaStorageSOPInstanceUID == cleaned.SOPInstanceUID


def test_no_rule_and_ocr_off_keeps_todays_withhold(generate: ModuleType) -> None:
    ds = _us(generate)
    ds.Manufacturer = "OTHER"
    with pytest.raises(medanon.DeidentificationError, match="BurnedInAnnotation"):
        medanon.deidentify_dataset(ds, KEY, parse_recipe(RULE.format(extra="")))


@pytest.mark.parametrize("syntax", ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2.4.90",
                                    "1.2.840.10008.1.2.4.50"])
def test_the_folder_runner_cleans_exactly_as_the_api(generate: ModuleType, tmp_path: Path,
                                                     syntax: str) -> None:
    ds = _us(generate, syntax, frames=2, kind="mono8")
    src = tmp_path / "in"
    src.mkdir()
    ds.save_as(src / "us.dcm", enforce_file_format=True)
    recipe = parse_recipe(RULE.format(extra=""))
    result = run_folder(src, tmp_path / "out", recipe, KEY, options=RunOptions(workers=1))
    assert result.report.counts["written"] == 1
    written = pydicom.dcmread(next((tmp_path / "out").rglob("*.dcm")))
    api = medanon.deidentify_dataset(pydicom.dcmread(src / "us.dcm"), KEY, recipe)
    assert written.file_meta.TransferSyntaxUID == api.file_meta.TransferSyntaxUID
    assert np.array_equal(written.pixel_array, api.pixel_array)
    assert written.SOPInstanceUID == api.SOPInstanceUID
    assert not written.pixel_array[:, :20].any()
