"""Native YBR_FULL_422 (two pixels share one chroma pair) is cleaned and written as YBR_FULL.

pydicom's native decoder gives every pixel its own chroma pair; blanking a box in that
is exact, and writing it back as YBR_FULL loses nothing (the shared pair is repeated).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pydicom
import pytest

import medanon
from medanon.custody.keys import SecretKey
from medanon.profile.recipe import parse_recipe
from tests.pixels.conftest import region_rule

SOURCE = Path(pydicom.__file__).parent / "data" / "test_files" / \
    "SC_ybr_full_422_uncompressed.dcm"
RULE = region_rule("OT", (0, 0, 50, 20))


@pytest.mark.parametrize("syntax", ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"])
def test_a_native_subsampled_image_is_blanked_and_written_as_ybr_full(syntax: str) -> None:
    source = pydicom.dcmread(SOURCE)
    assert source.PhotometricInterpretation == "YBR_FULL_422"
    if syntax != source.file_meta.TransferSyntaxUID:  # the same data set, implicit VR
        buffer = io.BytesIO()
        source.file_meta.TransferSyntaxUID = pydicom.uid.UID(syntax)
        source.save_as(buffer, enforce_file_format=True)
        source = pydicom.dcmread(io.BytesIO(buffer.getvalue()))
    out = medanon.deidentify_dataset(source, SecretKey(bytes(range(32))), parse_recipe(RULE))
    buffer = io.BytesIO()
    out.save_as(buffer, enforce_file_format=True)
    written = pydicom.dcmread(io.BytesIO(buffer.getvalue()))
    assert written.file_meta.TransferSyntaxUID == syntax
    assert written.PhotometricInterpretation == "YBR_FULL"
    before = source.pixel_array.astype(int)  # both shown as RGB by pydicom
    after = written.pixel_array.astype(int)
    kept = np.ones(before.shape[:2], bool)
    kept[:20, :50] = False
    assert np.array_equal(after[kept], before[kept])
    assert (after[:20, :50] <= 1).all()  # black, give or take the colour conversion
    assert written.BurnedInAnnotation == "NO"
