"""Comment and application segments are removed from encapsulated frames, pixels untouched."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.encaps import encapsulate, generate_frames
from pydicom.uid import JPEGBaseline8Bit

from medanon.custody.keys import SecretKey
from medanon.dicom.jpeg_segments import clean_encapsulated, strip_fragment, strip_jpeg
from medanon.errors import DeidentificationError
from medanon.runner.outcome import Status
from medanon.runner.process import RunContext, process_file
from tests.dicom.builders import ct_dataset, ruleset, write_part10

JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
JPEG_2000_LOSSLESS = "1.2.840.10008.1.2.4.90"
NAME = b"DOE^JOHN"
KEY = SecretKey(b"k" * 32)
PIXEL_DATA_HEADER = struct.pack("<HH2sHL", 0x7FE0, 0x0010, b"OB", 0, 0xFFFFFFFF)
SEQUENCE_DELIMITER = struct.pack("<HHL", 0xFFFE, 0xE0DD, 0)


def picture(seed: int, size: int = 32, mode: str = "L") -> Image.Image:
    rng = np.random.default_rng(seed)
    shape = (size, size) if mode == "L" else (size, size, 3)
    return Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8), mode)


def jpeg(seed: int, mode: str = "L") -> bytes:
    out = io.BytesIO()
    picture(seed, mode=mode).save(out, "JPEG", quality=90)
    return out.getvalue()


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def with_name(frame: bytes, *, com: bool = True, app1: bool = True, pad: int = 0) -> bytes:
    """Insert a COM and an APP1 (EXIF-like) segment carrying a name right after SOI."""
    extra = b""
    if com:
        extra += segment(0xFE, b"Patient: " + NAME + b"!" * pad)
    if app1:
        extra += segment(0xE1, b"Exif\x00\x00" + b"Artist " + NAME)
    return frame[:2] + extra + frame[2:]


def decode(frame: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(frame)))


def assert_same_pixels(cleaned: bytes, original: bytes, what: str) -> None:
    new, old = decode(cleaned), decode(original)
    differing = int(np.count_nonzero(new != old))
    assert differing == 0, (f"{what} decodes differently after cleaning: {differing} of "
                            f"{old.size} samples differ")


def items(element: bytes) -> list[bytes]:
    """The items of an encapsulated Pixel Data element (the header's 12 bytes skipped)."""
    assert element[:12] == PIXEL_DATA_HEADER
    out: list[bytes] = []
    pos = 12
    while True:
        group, elem, length = struct.unpack("<HHL", element[pos:pos + 8])
        pos += 8
        if (group, elem) == (0xFFFE, 0xE0DD):
            assert length == 0 and pos == len(element)
            return out
        assert (group, elem) == (0xFFFE, 0xE000)
        out.append(element[pos:pos + length])
        pos += length


def frames_of(element: bytes, fragments_per_frame: int) -> tuple[bytes, list[bytes]]:
    parsed = items(element)
    offsets, fragments = parsed[0], parsed[1:]
    for fragment in fragments:
        assert len(fragment) % 2 == 0, "fragments have even length (PS3.5 A.4)"
    frames = [b"".join(fragments[i:i + fragments_per_frame])
              for i in range(0, len(fragments), fragments_per_frame)]
    return offsets, frames


def element_of(frames: list[bytes], *, has_bot: bool, fragments_per_frame: int = 1) -> bytes:
    """A whole Pixel Data element as it lies in a file (encapsulate() leaves out the delimiter)."""
    return (PIXEL_DATA_HEADER
            + encapsulate(frames, fragments_per_frame=fragments_per_frame, has_bot=has_bot)
            + SEQUENCE_DELIMITER)


@pytest.mark.parametrize("has_bot", [True, False], ids=["with-BOT", "without-BOT"])
@pytest.mark.parametrize("fragments_per_frame", [1, 2])
@pytest.mark.parametrize("pad", [0, 1], ids=["even-removal", "odd-removal"])
def test_names_are_removed_and_pixels_decode_identically(
        has_bot: bool, fragments_per_frame: int, pad: int) -> None:
    originals = [with_name(jpeg(seed), pad=pad) for seed in range(3)]
    element = element_of(originals, has_bot=has_bot, fragments_per_frame=fragments_per_frame)
    assert element.count(NAME) == 6
    cleaned = clean_encapsulated(element, JPEG_BASELINE)
    assert cleaned is not None
    assert NAME not in cleaned and b"Exif" not in cleaned
    offsets, frames = frames_of(cleaned, fragments_per_frame)
    assert len(frames) == 3
    for index, (original, frame) in enumerate(zip(originals, frames, strict=True)):
        assert_same_pixels(frame, original, f"frame {index}")
        assert frame.startswith(b"\xff\xd8\xff\xe0") and b"JFIF" in frame[:20], "JFIF kept"
    if has_bot:
        table = struct.unpack(f"<{len(offsets) // 4}L", offsets)
        assert len(table) == 3
        first_item = 12 + 8 + len(offsets)  # after the header and the offset table item
        for offset in table:
            assert cleaned[first_item + offset + 8:first_item + offset + 10] == b"\xff\xd8"
    else:
        assert offsets == b""


def test_colour_frames_with_adobe_segment_keep_it() -> None:
    frame = jpeg(7, mode="RGB")
    adobe = segment(0xEE, b"Adobe\x00\x64\x00\x00\x00\x00\x01")
    frame = frame[:2] + adobe + with_name(frame)[2:]
    cleaned = strip_jpeg(frame)
    assert adobe in cleaned and NAME not in cleaned
    assert_same_pixels(cleaned, frame, "the colour frame")


def test_jfif_with_thumbnail_is_removed() -> None:
    frame = jpeg(3)
    jfif_thumb = segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x01\x01" + b"DOE")
    frame = frame[:2] + jfif_thumb + frame[2:]
    assert b"DOE" not in strip_jpeg(frame)


def test_nothing_to_remove_returns_none() -> None:
    element = element_of([jpeg(1), jpeg(2)], has_bot=True)
    assert clean_encapsulated(element, JPEG_BASELINE) is None


def test_jpeg_2000_comments_are_removed() -> None:
    out = io.BytesIO()
    picture(5).save(out, "JPEG2000", no_jp2=True, irreversible=False)
    codestream = out.getvalue()
    assert b"Created by OpenJPEG" in codestream  # a COM segment in the main header
    cleaned = strip_fragment(codestream, JPEG_2000_LOSSLESS)
    assert b"OpenJPEG" not in cleaned and len(cleaned) % 2 == 0
    assert_same_pixels(cleaned, codestream, "the JPEG 2000 frame")


def test_jp2_wrapped_frames_are_refused() -> None:
    out = io.BytesIO()
    picture(5).save(out, "JPEG2000")  # a JP2 file: boxes around the codestream
    with pytest.raises(DeidentificationError, match="JP2"):
        strip_fragment(out.getvalue(), JPEG_2000_LOSSLESS)


@pytest.mark.parametrize("broken", [
    b"\xff\xd8\xff\xfe\x00",  # a segment length cut short
    b"\xff\xd8\xff\xfe\x00\x40DOE",  # a segment running past the fragment
    b"\xff\xd8\x00\x00",  # not a marker where one must be
    b"\xff\xd8\xff\xfe\x00\x05DOE",  # no start of scan
])
def test_malformed_frames_are_refused(broken: bytes) -> None:
    with pytest.raises(DeidentificationError):
        strip_jpeg(broken)


def test_malformed_encapsulation_is_refused() -> None:
    frame = with_name(jpeg(1))
    element = element_of([frame], has_bot=False)
    with pytest.raises(DeidentificationError):
        clean_encapsulated(element[:-40], JPEG_BASELINE)  # the fragment is cut short
    not_an_item = element[:20] + b"\x00\x00" + element[22:]
    with pytest.raises(DeidentificationError):
        clean_encapsulated(not_an_item, JPEG_BASELINE)


def test_process_file_cleans_the_frames_of_a_jpeg_file(tmp_path: Path) -> None:
    """End to end: no name byte reaches the output file, and every frame decodes the same."""
    originals = [with_name(jpeg(seed), pad=seed % 2) for seed in range(3)]
    ds = ct_dataset()
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows = ds.Columns = 32
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.NumberOfFrames = 3
    ds.PixelData = encapsulate(originals, has_bot=True)
    ds["PixelData"].VR = "OB"
    src = write_part10(tmp_path / "src" / "jpeg.dcm", ds, JPEGBaseline8Bit)
    assert src.read_bytes().count(NAME) >= 6
    ctx = RunContext(src.parent, tmp_path / "out", ruleset(), KEY, durable=False)
    outcome = process_file(src, ctx)
    assert outcome.status is Status.WRITTEN, outcome.reason
    assert outcome.output is not None
    written = (tmp_path / "out" / outcome.output).read_bytes()
    assert NAME not in written and b"Exif" not in written
    out = pydicom.dcmread(tmp_path / "out" / outcome.output)
    frames = list(generate_frames(out.PixelData, number_of_frames=3))
    for index, (original, frame) in enumerate(zip(originals, frames, strict=True)):
        assert_same_pixels(frame, original, f"frame {index} of the written file")
