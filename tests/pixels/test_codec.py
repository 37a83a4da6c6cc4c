"""Decode, blank, encode, decode again: pixels outside the boxes are unchanged.

Bit for bit for native and lossless syntaxes, on pydicom's own compressed files and on
generated ones; a lossy input becomes JPEG-LS lossless and stays marked lossy.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

from medanon.errors import DeidentificationError
from medanon.pixels import codec

PYDICOM_FILES = ["CT_small.dcm", "MR_small_RLE.dcm", "SC_rgb_rle.dcm", "SC_rgb_rle_2frame.dcm",
                 "SC_rgb_rle_16bit.dcm", "MR_small_jpeg_ls_lossless.dcm",
                 "MR_small_jp2klossless.dcm", "GDCMJ2K_TextGBR.dcm", "examples_jpeg2k.dcm",
                 "SC_rgb_jpeg_gdcm.dcm", "JPEGLSNearLossless_16.dcm", "SC_rgb_small_odd_jpeg.dcm",
                 "JPGExtended.dcm", "SC_jpeg_no_color_transform.dcm", "SC_rgb_rle_32bit.dcm",
                 "examples_ybr_color.dcm", "MR_small_expb.dcm", "SC_rgb_small_odd_big_endian.dcm",
                 "examples_palette.dcm", "rtdose_expb.dcm"]
BOX = (2, 1, 7, 5)  # x0, y0, x1, y1


def _round_trip(ds: pydicom.Dataset) -> tuple[codec.Frames, codec.Frames, pydicom.Dataset, str]:
    syntax = str(ds.file_meta.TransferSyntaxUID)
    before = codec.decode(ds, bytes(ds.PixelData), syntax)
    reference = codec.decode(ds, bytes(ds.PixelData), syntax)
    x0, y0, x1, y1 = BOX
    before.array[:, y0:y1, x0:x1, :] = 0
    out = ds.copy()
    written = codec.encode(out, before, syntax)
    after = codec.decode(out, bytes(out.PixelData), written)
    return reference, after, out, written


def _outside(array: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = BOX
    keep = np.ones(array.shape[1:3], bool)
    keep[y0:y1, x0:x1] = False
    return array[:, keep]


@pytest.mark.parametrize("name", PYDICOM_FILES)
def test_pydicom_files_round_trip(name: str) -> None:
    ds = pydicom.dcmread(get_testdata_file(name))
    syntax = str(ds.file_meta.TransferSyntaxUID)
    uid = ds.SOPInstanceUID
    reference, after, out, written = _round_trip(ds)
    assert written == codec.output_syntax(syntax) or written == codec.EXPLICIT_LITTLE
    if syntax in codec.LOSSY_SYNTAXES:
        assert written not in codec.LOSSY_SYNTAXES
        assert out.LossyImageCompression == "01"
        assert "LossyImageCompressionMethod" in out
    # Bit for bit outside the box (a lossy input: exactly its decoded values, no new loss).
    assert np.array_equal(_outside(after.array), _outside(reference.array))
    x0, y0, x1, y1 = BOX
    assert not after.array[:, y0:y1, x0:x1, :].any()
    assert out.SOPInstanceUID == uid  # the encoder never makes a new instance UID


@pytest.mark.parametrize("syntax", ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2.5",
                                    "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.90"])
@pytest.mark.parametrize("kind", ["rgb", "palette", "mono8", "mono16"])
def test_generated_images_round_trip_bit_for_bit(generate: ModuleType, syntax: str,
                                                 kind: str) -> None:
    ds = generate.dataset_of(generate.sample(3, kind=kind, frames=2, rows=64, columns=80), syntax)
    reference, after, _, written = _round_trip(ds)
    assert written == syntax
    assert np.array_equal(_outside(after.array), _outside(reference.array))


def test_native_unused_high_bits_survive_outside_the_box() -> None:
    """Native pixels are edited in their own bytes: bits above BitsStored are kept as they are."""
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    raw = np.frombuffer(ds.PixelData, "<u2").copy()
    raw |= 0x8000  # an overlay-like bit above BitsStored (declared 12 below)
    ds.BitsStored, ds.HighBit = 12, 11
    ds.PixelData = raw.tobytes()
    _, after, out, _ = _round_trip(ds)
    written = np.frombuffer(out.PixelData, "<u2").reshape(ds.Rows, ds.Columns)
    assert (written[10:, 10:] & 0x8000).all()


def test_undecodable_pixels_are_an_error_to_withhold() -> None:
    ds = pydicom.dcmread(get_testdata_file("SC_rgb_jpeg_gdcm.dcm"))
    with pytest.raises(DeidentificationError, match="cannot be decoded"):
        codec.decode(ds, b"\xfe\xff\x00\xe0\x00\x00\x00\x00\xfe\xff\x00\xe0\x04\x00\x00\x00junk",
                     str(ds.file_meta.TransferSyntaxUID))


def test_one_bit_pixels_are_refused() -> None:
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.BitsAllocated = 1
    with pytest.raises(DeidentificationError, match="BitsAllocated 1"):
        codec.decode(ds, bytes(ds.PixelData), "1.2.840.10008.1.2.1")
