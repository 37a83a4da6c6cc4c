from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from pydicom.dataset import FileDataset
from pydicom.encaps import generate_frames

from medanon.sample import SampleCollection
from medanon.sample.jpeg import (
    EOI,
    SOI,
    app_segment,
    comment_segment,
    encode_baseline,
    insert_after_soi,
    marker_segments,
    quantisation_table,
)

Image = pytest.importorskip("PIL.Image")


def _decode(stream: bytes) -> NDArray[np.int64]:
    with Image.open(io.BytesIO(stream)) as image:
        assert image.format == "JPEG" and image.mode == "L"
        return np.asarray(image).astype(np.int64)


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(1, 40), cols=st.integers(1, 40), seed=st.integers(0, 2**32 - 1))
def test_near_lossless_round_trip_on_any_size(rows: int, cols: int, seed: int) -> None:
    image = np.random.default_rng(seed).integers(0, 256, size=(rows, cols), dtype=np.uint8)
    decoded = _decode(encode_baseline(image, quality=100))
    assert decoded.shape == (rows, cols)
    assert np.abs(decoded - image).max() <= 3


def test_smooth_image_at_quality_90_is_close() -> None:
    y, x = np.mgrid[0:64, 0:72]
    image = (128 + 60 * np.sin(x / 6.0) * np.cos(y / 9.0)).astype(np.uint8)
    stream = encode_baseline(image, quality=90)
    assert stream.startswith(SOI) and stream.endswith(EOI)
    assert stream[2:4] == b"\xff\xdb"  # no JFIF/APPn segment of its own
    assert np.abs(_decode(stream) - image).mean() < 2.0


def test_long_zero_runs_and_flat_blocks() -> None:
    image = np.full((16, 16), 200, dtype=np.uint8)
    image[0, 0] = 0  # one sharp pixel: long runs of zeros (ZRL) in its block
    assert np.abs(_decode(encode_baseline(image, quality=100)) - image).max() <= 3


def test_segments_inserted_after_soi_keep_the_stream_decodable() -> None:
    image = np.arange(64 * 64, dtype=np.uint32).reshape(64, 64).astype(np.uint8)
    stream = insert_after_soi(encode_baseline(image), [
        comment_segment(b"for Jane Roe"), app_segment(11, b"VENDOR\x00Jane Roe")])
    segments = marker_segments(stream)
    assert segments[0] == (0xFE, b"for Jane Roe")
    assert segments[1] == (0xEB, b"VENDOR\x00Jane Roe")
    assert [m for m, _ in segments][-1] == 0xDA
    with Image.open(io.BytesIO(stream)) as decoded:
        assert decoded.info["comment"] == b"for Jane Roe"
        decoded.load()


def test_invalid_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        encode_baseline(np.zeros((8, 8), dtype=np.uint16))
    with pytest.raises(ValueError):
        insert_after_soi(b"not a jpeg", [])
    with pytest.raises(ValueError):
        app_segment(16, b"")
    with pytest.raises(ValueError):
        comment_segment(b"x" * 70000)
    assert quantisation_table(100).max() == 1 and quantisation_table(1).max() == 255


def test_sample_jpeg_frame_carries_personal_data_and_decodes(
    sample: SampleCollection, datasets: dict[str, FileDataset]
) -> None:
    expected = [f for f in sample.dicom_files if "jpeg-segments" in f.features]
    assert len(expected) == 1
    ds = datasets[expected[0].path]
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.50"
    assert ds.BurnedInAnnotation == "NO" and ds.LossyImageCompression == "01"
    frames = list(generate_frames(ds.PixelData, number_of_frames=1))
    assert len(frames) == 1
    segments = dict(marker_segments(frames[0]))
    names = sample.planted_of("patient-name")
    ids = sample.planted_of("patient-id")
    comment = segments[0xFE].decode("latin-1")
    assert any(n in comment for n in names) and any(i in comment for i in ids)
    assert segments[0xE1].startswith(b"http://ns.adobe.com/xap/1.0/\x00")
    xmp = segments[0xE1].decode("utf-8")
    assert any(n in xmp for n in names)
    decoded = _decode(frames[0])
    assert decoded.shape == (ds.Rows, ds.Columns)
    assert np.abs(decoded - ds.pixel_array.astype(np.int64)).max() <= 1
