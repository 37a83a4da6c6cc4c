"""Pixel data in and out: a frame array to blank, then bytes in a lossless syntax.

Native (uncompressed) pixel data is viewed as an array over a copy of its own bytes, so
every pixel outside a blanked box is written back bit for bit, unused high bits included.
Encapsulated pixel data is decoded by pydicom 3's pixel backends (pylibjpeg, pyjpegls)
and re-encoded losslessly: in the input's own syntax where an encoder exists (RLE,
JPEG-LS lossless, JPEG 2000 lossless), otherwise in :data:`LOSSLESS_CHOICE`. pydicom
cannot encode JPEG baseline or extended, and a lossy input is never re-compressed
lossily: a cleaned JPEG baseline image becomes JPEG-LS lossless (still marked lossy,
with its method and ratio, since its pixels went through a lossy step once). Float and
double float pixel data (parametric maps) are always native: viewed as floats and
written back into their own element.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID

from medanon.dicom.backend.peek import peek
from medanon.errors import DeidentificationError

EXPLICIT_LITTLE = "1.2.840.10008.1.2.1"
IMPLICIT_LITTLE = "1.2.840.10008.1.2"
EXPLICIT_BIG = "1.2.840.10008.1.2.2"
DEFLATED = "1.2.840.10008.1.2.1.99"
NATIVE_SYNTAXES = frozenset({EXPLICIT_LITTLE, IMPLICIT_LITTLE, EXPLICIT_BIG, DEFLATED})
RLE = "1.2.840.10008.1.2.5"
JPEG_LS_LOSSLESS = "1.2.840.10008.1.2.4.80"
JPEG_2000_LOSSLESS = "1.2.840.10008.1.2.4.90"
#: Lossless inputs re-encoded in their own syntax (an encoder exists for each).
SAME_SYNTAX = frozenset({RLE, JPEG_LS_LOSSLESS, JPEG_2000_LOSSLESS})
#: Lossy syntaxes: JPEG baseline, extended, JPEG-LS near-lossless, JPEG 2000 (lossy allowed).
LOSSY_SYNTAXES = frozenset({"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51",
                            "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.91"})
#: Where an input whose own syntax has no encoder goes: lossless, widely read.
LOSSLESS_CHOICE = JPEG_LS_LOSSLESS
#: Decoder plugins in the order they are tried (the rest follow by name).
PLUGIN_ORDER = ("pylibjpeg", "pyjpegls", "gdcm", "pillow")
#: The pixel module attributes a decoder or encoder reads.
PIXEL_MODULE = ("SamplesPerPixel", "PhotometricInterpretation", "PlanarConfiguration", "Rows",
                "Columns", "NumberOfFrames", "BitsAllocated", "BitsStored", "HighBit",
                "PixelRepresentation")
SUBSAMPLED = frozenset({"YBR_FULL_422", "YBR_PARTIAL_422", "YBR_PARTIAL_420"})
_DTYPES = {8: "u1", 16: "u2", 32: "u4"}
PIXEL_DATA = 0x7FE00010
#: Float Pixel Data and Double Float Pixel Data: their value type and VR.
FLOAT_PIXELS = {0x7FE00008: ("f4", "OF"), 0x7FE00009: ("f8", "OD")}
#: Decode in the stored colour space: a YBR image is re-encoded as YBR, bit for bit.
_KEEP_COLOUR_SPACE: dict[str, Any] = {"as_rgb": False}
_TO_RGB: dict[str, Any] = {"as_rgb": True}


@dataclass
class Frames:
    """Decoded frames, frames × rows × columns × samples, and what they mean.

    ``array`` may be a view over ``base`` (native pixel data): writing into it changes
    ``base``, which is what gets written back.
    """

    array: NDArray[np.generic]
    photometric: str
    bits_stored: int
    signed: bool
    base: NDArray[np.generic] | None = None
    padding: bytes = b""
    tag: int = PIXEL_DATA  # the element the frames came from and go back to


def number(dataset: Dataset, keyword: str, default: int | None = None) -> int:
    """An integer of the pixel module; raises DeidentificationError when it is unusable."""
    value = peek(dataset, keyword)
    if value in (None, ""):
        if default is None:
            raise DeidentificationError(f"the pixel data cannot be cleaned: {keyword} is missing")
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DeidentificationError(
            f"the pixel data cannot be cleaned: {keyword} is not a number") from None


def photometric_of(dataset: Dataset) -> str:
    """The Photometric Interpretation, upper case and stripped."""
    return str(peek(dataset, "PhotometricInterpretation") or "").strip().upper()


def decode(dataset: Dataset, value: bytes, syntax: str, tag: int = PIXEL_DATA) -> Frames:
    """The frames of ``value`` (the value of the ``tag`` element) as a writable array.

    Raises :class:`DeidentificationError` when the pixel data cannot be decoded: the
    caller withholds the file (it must be searched and cannot be).
    """
    if tag in FLOAT_PIXELS:
        return _floats(dataset, value, syntax, tag)
    if syntax in NATIVE_SYNTAXES:
        return _native(dataset, value, syntax)
    return _decoded(dataset, value, syntax)


def _native(dataset: Dataset, value: bytes, syntax: str) -> Frames:
    rows, columns = number(dataset, "Rows"), number(dataset, "Columns")
    samples = number(dataset, "SamplesPerPixel", 1)
    frames = number(dataset, "NumberOfFrames", 1) or 1
    bits = number(dataset, "BitsAllocated")
    photometric = photometric_of(dataset)
    if bits not in _DTYPES:
        raise DeidentificationError(f"the pixel data cannot be cleaned: BitsAllocated {bits} "
                                    "is not supported (8, 16 or 32)")
    if photometric in SUBSAMPLED:
        # Two pixels share one chroma pair: pydicom's native decoder gives every pixel its
        # own (YBR_FULL), and that is what is written back, losslessly.
        return _decoded(dataset, value, syntax)
    dtype = np.dtype(_DTYPES[bits]).newbyteorder(">" if syntax == EXPLICIT_BIG else "<")
    count = rows * columns * samples * frames
    size = count * dtype.itemsize
    if len(value) < size:
        raise DeidentificationError("the pixel data cannot be cleaned: it is shorter than "
                                    "Rows, Columns, SamplesPerPixel and NumberOfFrames say")
    base = np.frombuffer(value, dtype=dtype, count=count).copy()
    planar = samples > 1 and number(dataset, "PlanarConfiguration", 0) == 1
    if planar:
        array = base.reshape(frames, samples, rows, columns).transpose(0, 2, 3, 1)
    else:
        array = base.reshape(frames, rows, columns, samples)
    return Frames(array, photometric, number(dataset, "BitsStored", bits),
                  number(dataset, "PixelRepresentation", 0) == 1, base, bytes(value[size:]))


def _floats(dataset: Dataset, value: bytes, syntax: str, tag: int) -> Frames:
    """Float pixel data: one sample a pixel, IEEE floats in the data set's byte order."""
    rows, columns = number(dataset, "Rows"), number(dataset, "Columns")
    frames = number(dataset, "NumberOfFrames", 1) or 1
    kind, _vr = FLOAT_PIXELS[tag]
    dtype = np.dtype(kind).newbyteorder(">" if syntax == EXPLICIT_BIG else "<")
    count = rows * columns * frames
    if len(value) < count * dtype.itemsize:
        raise DeidentificationError("the pixel data cannot be cleaned: it is shorter than "
                                    "Rows, Columns and NumberOfFrames say")
    base = np.frombuffer(value, dtype=dtype, count=count).copy()
    return Frames(base.reshape(frames, rows, columns, 1), "MONOCHROME2", dtype.itemsize * 8,
                  True, base, bytes(value[count * dtype.itemsize:]), tag)


def put_floats(out: Dataset, tag: int, value: bytes) -> None:
    """Store ``value`` as the float pixel element ``tag`` of ``out``, with its VR."""
    out[tag] = DataElement(tag, FLOAT_PIXELS[tag][1], value)


def _work_dataset(dataset: Dataset, value: bytes, syntax: str) -> Dataset:
    """A dataset holding only the pixel module and data: what pydicom's codecs read."""
    work = Dataset()
    for keyword in PIXEL_MODULE:
        if keyword in dataset:
            element = dataset[keyword]
            work[keyword] = DataElement(element.tag, element.VR, element.value)
    work.PixelData = value
    work["PixelData"].VR = "OB"
    work["PixelData"].is_undefined_length = syntax not in NATIVE_SYNTAXES
    work.file_meta = FileMetaDataset()
    work.file_meta.TransferSyntaxUID = UID(syntax)
    return work


def _decoded(dataset: Dataset, value: bytes, syntax: str) -> Frames:
    """Frames decoded by pydicom's pixel backends: encapsulated, or native subsampled."""
    from pydicom.pixels.decoders.base import get_decoder

    try:
        decoder = get_decoder(UID(syntax))
    except NotImplementedError:
        raise DeidentificationError(f"the pixel data cannot be cleaned: no decoder for "
                                    f"transfer syntax {syntax}") from None
    if not decoder.is_available:
        raise DeidentificationError(f"the pixel data cannot be cleaned: no decoder installed "
                                    f"for transfer syntax {syntax} (pip install medanon[jpeg])")
    work = _work_dataset(dataset, value, syntax)
    # A lossy input changes syntax: it is written as RGB, which every IOD accepts with
    # every syntax (YBR_FULL is refused by some, e.g. US with PlanarConfiguration 0).
    options = _TO_RGB if syntax in LOSSY_SYNTAXES else _KEEP_COLOUR_SPACE
    # Plugins tried in a fixed order: two JPEG decoders may differ by one in a value,
    # and every worker of a run must write the same bytes.
    # Native data has no plugins: pydicom decodes it itself ("" asks for that).
    plugins = sorted(decoder.available_plugins, key=_plugin_rank) \
        if syntax not in NATIVE_SYNTAXES else [""]
    failure = "no plugin"
    for plugin in plugins:
        try:
            array, meta = decoder.as_array(work, decoding_plugin=plugin, **options)
            break
        except Exception as exc:  # noqa: BLE001 - any codec failure: try the next one
            failure = type(exc).__name__
    else:
        raise DeidentificationError(f"the pixel data cannot be decoded ({failure})")
    samples = number(dataset, "SamplesPerPixel", 1)
    frames = number(dataset, "NumberOfFrames", 1) or 1
    array = np.ascontiguousarray(array).reshape(frames, array.shape[-3 if samples > 1 else -2],
                                                array.shape[-2 if samples > 1 else -1], samples)
    photometric = str(meta.get("photometric_interpretation", photometric_of(dataset)))
    if photometric in SUBSAMPLED:
        photometric = "YBR_FULL"  # the decoder upsampled the chroma: every pixel has all three
    return Frames(array, photometric,
                  int(meta.get("bits_stored", number(dataset, "BitsStored"))),
                  int(meta.get("pixel_representation", 0)) == 1)


def _plugin_rank(name: str) -> tuple[int, str]:
    return (PLUGIN_ORDER.index(name) if name in PLUGIN_ORDER else len(PLUGIN_ORDER), name)


def output_syntax(syntax: str) -> str:
    """The transfer syntax a cleaned image is written in (see the module docstring)."""
    if syntax in NATIVE_SYNTAXES or syntax in SAME_SYNTAX:
        return syntax
    return LOSSLESS_CHOICE


def encode(out: Dataset, frames: Frames, syntax: str) -> str:
    """Put the (blanked) frames into ``out`` as its Pixel Data; returns the output syntax.

    The pixel module of ``out`` is kept consistent (PhotometricInterpretation after a
    colour decode, PlanarConfiguration) and a lossy input keeps LossyImageCompression 01
    with its method and ratio. No UID of ``out`` changes: only a stand-in dataset is
    handed to pydicom's encoder.
    """
    if frames.tag in FLOAT_PIXELS:
        put_floats(out, frames.tag, frames.array.tobytes() + frames.padding)
        return syntax
    if frames.base is not None:
        out.PixelData = frames.base.tobytes() + frames.padding
        out["PixelData"].VR = "OB" if frames.base.dtype.itemsize == 1 else "OW"
        return syntax
    target = output_syntax(syntax)
    if target in NATIVE_SYNTAXES:  # native subsampled, decoded to a chroma pair a pixel
        _write_native(out, frames)
        return target if target in (EXPLICIT_LITTLE, IMPLICIT_LITTLE) else EXPLICIT_LITTLE
    work = _work_dataset(out, b"", syntax)
    work.PhotometricInterpretation = frames.photometric
    if target == JPEG_2000_LOSSLESS and photometric_of(out) == "YBR_RCT":
        # The decoder undid the reversible colour transform; the encoder redoes it.
        work.PhotometricInterpretation = "YBR_RCT"
    samples = frames.array.shape[-1]
    if samples > 1:
        work.PlanarConfiguration = 0
    array = frames.array if samples > 1 else frames.array[..., 0]
    if array.shape[0] == 1:
        array = array[0]
    try:
        work.compress(UID(target), np.ascontiguousarray(array), generate_instance_uid=False)
    except Exception:  # noqa: BLE001 - no encoder for this layout: write it uncompressed
        target = EXPLICIT_LITTLE
        _write_native(out, frames)
    else:
        out.PixelData = work.PixelData
        out["PixelData"].VR = "OB"
        out["PixelData"].is_undefined_length = True
        out.PhotometricInterpretation = work.PhotometricInterpretation
    if samples > 1:
        out.PlanarConfiguration = 0
    if syntax in LOSSY_SYNTAXES or str(peek(out, "LossyImageCompression") or "") == "01":
        out.LossyImageCompression = "01"
        if "LossyImageCompressionMethod" not in out:
            out.LossyImageCompressionMethod = _LOSSY_METHOD.get(syntax, "ISO_10918_1")
    return target


def _write_native(out: Dataset, frames: Frames) -> None:
    """The frames as uncompressed little-endian Pixel Data, in their own colour space."""
    out.PixelData = _native_bytes(frames.array, number(out, "BitsAllocated"))
    out["PixelData"].VR = "OB" if number(out, "BitsAllocated") == 8 else "OW"
    out.PhotometricInterpretation = frames.photometric
    if frames.array.shape[-1] > 1:
        out.PlanarConfiguration = 0


def _native_bytes(array: NDArray[np.generic], bits_allocated: int) -> bytes:
    """Frames as uncompressed little-endian bytes, colour by pixel (PlanarConfiguration 0)."""
    if bits_allocated not in _DTYPES:
        raise DeidentificationError(f"the cleaned pixel data cannot be written: BitsAllocated "
                                    f"{bits_allocated} is not supported")
    unsigned = np.dtype(_DTYPES[bits_allocated]).newbyteorder("<")
    # A signed value becomes its two's complement bit pattern, as DICOM stores it.
    result = np.ascontiguousarray(array).astype(unsigned).tobytes()
    return result + b"\0" if len(result) % 2 else result


_LOSSY_METHOD = {"1.2.840.10008.1.2.4.50": "ISO_10918_1", "1.2.840.10008.1.2.4.51": "ISO_10918_1",
                 "1.2.840.10008.1.2.4.81": "ISO_14495_1", "1.2.840.10008.1.2.4.91": "ISO_15444_1"}
