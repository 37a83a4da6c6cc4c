"""Float and double float pixel data (parametric maps) are cleaned in their own element.

OT is a modality where burned-in text is common, so a parametric map is searched like
any other image; its floats are viewed as floats, blanked to their lowest value and
written back as Float (OF) or Double Float (OD) Pixel Data, never as Pixel Data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import UID

import medanon
from medanon.custody.keys import SecretKey
from medanon.pixels.render import to_rgb8
from medanon.profile.recipe import parse_recipe
from medanon.runner.run import RunOptions, run_folder
from tests.dicom.builders import ct_dataset, write_part10
from tests.pixels.conftest import region_rule

KEY = SecretKey(bytes(range(32)))
PARAMETRIC_MAP = "1.2.840.10008.5.1.4.1.1.30"
#: A region rule with OCR off: the step runs on the floats without the detector.
RULE = region_rule("OT", (0, 0, 16, 8))
KINDS = {"FloatPixelData": ("<f4", "OF"), "DoubleFloatPixelData": ("<f8", "OD")}


def _float_map(keyword: str) -> tuple[Dataset, np.ndarray]:
    ds = ct_dataset()
    ds.Modality, ds.SOPClassUID = "OT", UID(PARAMETRIC_MAP)
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows, ds.Columns, ds.BitsAllocated = 24, 32, 32 if keyword == "FloatPixelData" else 64
    dtype, _vr = KINDS[keyword]
    values = (np.linspace(-1.5, 2.5, 24 * 32).reshape(24, 32)).astype(dtype)
    setattr(ds, keyword, values.tobytes())
    return ds, values


@pytest.mark.parametrize("keyword", sorted(KINDS))
def test_a_float_map_is_blanked_in_its_own_element(keyword: str) -> None:
    ds, values = _float_map(keyword)
    out = medanon.deidentify_dataset(ds, KEY, parse_recipe(RULE))
    dtype, vr = KINDS[keyword]
    assert "PixelData" not in out
    assert vr == out[keyword].VR
    after = np.frombuffer(out[keyword].value, dtype).reshape(24, 32)
    assert (after[:8, :16] == values.min()).all()  # blanked to the map's lowest value
    kept = np.ones(after.shape, bool)
    kept[:8, :16] = False
    assert np.array_equal(after[kept], values[kept])  # bit for bit elsewhere
    assert out.BurnedInAnnotation == "NO"


def test_the_folder_runner_cleans_a_float_map_as_the_api(tmp_path: Path) -> None:
    """The runner streams the element from the file: it must still know it is a float one."""
    ds, _values = _float_map("FloatPixelData")
    write_part10(tmp_path / "in" / "map.dcm", ds)
    recipe = parse_recipe(RULE)
    result = run_folder(tmp_path / "in", tmp_path / "out", recipe, KEY,
                        options=RunOptions(workers=1))
    assert result.report.counts["written"] == 1
    written = pydicom.dcmread(next((tmp_path / "out").rglob("*.dcm")))
    api = medanon.deidentify_dataset(pydicom.dcmread(tmp_path / "in" / "map.dcm"), KEY, recipe)
    assert "PixelData" not in written and written["FloatPixelData"].VR == "OF"
    assert written.FloatPixelData == api.FloatPixelData


def test_floats_render_from_their_lowest_to_their_highest_finite_value() -> None:
    frame = np.array([[-2.0, 0.0], [np.nan, 6.0]], dtype="<f4")[..., None]
    picture = to_rgb8(frame, "MONOCHROME2", 32, True)
    assert picture[..., 0].tolist() == [[0, 63], [0, 255]]
