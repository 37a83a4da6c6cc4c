"""Scan one output file: every element at every depth, its raw bytes and its path.

The file is read once; pydicom parses it from memory (decoding text with the file's
own Specific Character Set), and the same bytes are searched raw, so a value hidden in
the preamble, the file meta, a binary private blob or a JPEG comment inside the pixel
data is found too. Raw hits inside an element already reported are not repeated.

The elements are walked once (:mod:`medanon.verify.elements`); each place feeds the
structure checks, the value search and the census in the same pass.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from medanon.verify.census import census_entry
from medanon.verify.elements import Memo, Place, walk
from medanon.verify.findings import Finding
from medanon.verify.needles import ANY_PATIENT, NeedleIndex, group_by_category
from medanon.verify.sources import pixel_hash
from medanon.verify.structure import check_dataset, check_place

_FREE_TEXT_VRS = frozenset({"LO", "SH", "ST", "LT", "UT", "UC"})
#: Decimal strings: a value is one number, whose digits after the point are not an
#: identifier (a serial number 123456 is not in a slope of 0.123456).
_DECIMAL_VRS = frozenset({"DS"})
_PIXEL_DATA = 0x7FE00010
_PIXEL_TAG_BYTES = b"\xe0\x7f\x10\x00"
SEARCHES_KEPT = 20_000
#: Values longer than this (the pixel data) are not copied out of the file's bytes at
#: parse time; pydicom reads one when it is converted (the raw search reads ``data``).
DEFER_BYTES = 64 * 1024
#: A needle matched inside pixel data must be this long: shorter ones occur by chance.
MIN_PIXEL_MATCH = 6
_DATE_IN_TEXT = re.compile(r"(?<!\d)(?:(?:19|20)\d\d[-/.]?(?:0[1-9]|1[0-2])[-/.]?"
                           r"(?:0[1-9]|[12]\d|3[01])|(?:0[1-9]|[12]\d|3[01])[./]"
                           r"(?:0[1-9]|1[0-2])[./](?:19|20)\d\d)(?!\d)")


@dataclass
class ScanResult:
    """What one output file yielded."""

    relative: str
    parsed: bool
    findings: list[Finding] = field(default_factory=list)
    sop_uid: str = ""
    container_uids: tuple[str, ...] = ()  # its study and series: references may name them
    pixel_hash: str = ""
    references: list[tuple[str, str]] = field(default_factory=list)  # (location, uid)
    census: list[tuple[str, str, str, str]] = field(default_factory=list)
    bytes_read: int = 0  # the file's size (read whole only when searched raw)


@dataclass(frozen=True)
class ScanContext:
    """What every worker needs to scan outputs (sent once per worker)."""

    index: NeedleIndex | None  # None: no --against, pattern checks only
    patient_by_uid: dict[str, int] = field(default_factory=dict)  # output SOP UID -> patient
    patient_by_pixels: dict[str, int] = field(default_factory=dict)  # pixel hash -> patient
    hash_pixels: bool = True  # False when inputs are paired by keyed UID
    # Per worker, for one verification: the converted values and search results of the
    # raw values seen so far (the slices of a series repeat most of theirs).
    memo: Memo = field(default_factory=Memo, compare=False, repr=False)
    searches: dict[tuple[str, ...], tuple[frozenset[int], tuple[str, ...]]] = field(
        default_factory=dict, compare=False, repr=False)

    def search(self, index: NeedleIndex, texts: tuple[str, ...]
               ) -> tuple[frozenset[int], tuple[str, ...]]:
        """The needles and original UIDs in ``texts`` (remembered: the index is fixed)."""
        found = self.searches.get(texts)
        if found is None:
            numbers: set[int] = set()
            for text in texts:
                numbers |= index.match_text(text)
            found = frozenset(numbers), tuple(u for t in texts for u in index.match_uids(t))
            if len(self.searches) >= SEARCHES_KEPT:
                self.searches.clear()
            self.searches[texts] = found
        return found


def scan_output(path: Path, root: Path, ctx: ScanContext) -> ScanResult:
    """Scan one file of OUT; a file that does not parse is a finding."""
    relative = path.relative_to(root).as_posix()
    result = ScanResult(relative, parsed=False)
    _scan_path(result, ctx)
    if path.is_symlink():
        result.findings.append(Finding(relative, "file", "structure",
                                       "symbolic link (it may point outside OUT)"))
    try:
        with path.open("rb") as handle:
            _scan_file(result, handle, ctx)
    except OSError:  # opening or reading it (a parse error is a finding of its own)
        result.findings.append(Finding(relative, "file", "structure", "file cannot be read"))
    return result


def _scan_file(result: ScanResult, handle: BinaryIO, ctx: ScanContext) -> None:
    """Parse the open file and check it; its raw bytes are read only to be searched.

    Without the source (``ctx.index`` None) nothing searches the raw bytes: only the
    header is read, the pixel data is skipped on disk (the run's own report checks a
    thousand outputs this way).
    """
    relative = result.relative
    data = b""
    if ctx.index is None:
        source: BinaryIO = handle
        result.bytes_read = os.fstat(handle.fileno()).st_size
    else:
        data = handle.read()
        source = io.BytesIO(data)
        result.bytes_read = len(data)
    try:
        ds = pydicom.dcmread(source, defer_size=DEFER_BYTES)
        pixels = ds.get_item(_PIXEL_DATA)  # still raw: where its value lies in ``data``
        places = list(walk(ds, ctx.memo))
        result.sop_uid = str(ds.get("SOPInstanceUID", "") or "")
        result.container_uids = tuple(str(ds.get(k, "") or "") for k in
                                      ("StudyInstanceUID", "SeriesInstanceUID"))
    except (InvalidDicomError, OSError, ValueError, TypeError, KeyError, EOFError,
            AttributeError, NotImplementedError):
        result.findings.append(Finding(relative, "file", "structure",
                                       "not a DICOM file pydicom can read"))
        if ctx.index is not None:
            _scan_raw(result, data, None, ctx.index, set())
        return
    result.parsed = True
    result.pixel_hash = pixel_hash(ds) if ctx.hash_pixels else ""
    patient = ctx.patient_by_uid.get(result.sop_uid,
                                     ctx.patient_by_pixels.get(result.pixel_hash, ANY_PATIENT))
    found_here: set[int] = set()
    against = ctx.index is not None
    for place in places:
        result.findings += check_place(relative, place, against=against)
        _scan_element(result, place, ctx, patient, found_here)
        entry = census_entry(place)
        if entry is not None:
            result.census.append(entry)
    result.findings += check_dataset(relative, ds)
    for place in walk(ds.file_meta, ctx.memo):
        _scan_element(result, place, ctx, patient, found_here, prefix="file-meta:")
    if ctx.index is not None:
        layout = _layout(data, ds, pixels if isinstance(pixels, RawDataElement) else None)
        _scan_raw(result, data, layout, ctx.index, found_here, patient)


def _scan_path(result: ScanResult, ctx: ScanContext) -> None:
    if ctx.index is None:
        return
    numbers = ctx.index.match_text(result.relative)
    _add_hits(result, "path", numbers, ctx.index, ANY_PATIENT)
    if ctx.index.match_uids(result.relative):
        result.findings.append(Finding(result.relative, "path", "uid",
                                       "original UID in the output path"))


def _scan_element(result: ScanResult, place: Place, ctx: ScanContext, patient: int,
                  found_here: set[int], prefix: str = "") -> None:
    texts = place.texts
    if not texts:
        return
    location = prefix + place.path
    vr = place.vr
    if vr == "UI" or vr in _FREE_TEXT_VRS:
        result.references += _references(place, texts)
    if ctx.index is None:
        if vr in _FREE_TEXT_VRS and any(_DATE_IN_TEXT.search(t) for t in texts):
            result.findings.append(Finding(result.relative, location, "date",
                                           "date written in free text",
                                           tuple(m for t in texts
                                                 for m in _DATE_IN_TEXT.findall(t))))
        return
    if vr in _DECIMAL_VRS:
        texts = tuple(_whole_number(t) for t in texts)
    numbers, uids = ctx.search(ctx.index, texts)
    if numbers:
        found_here |= _add_hits(result, location, set(numbers), ctx.index, patient)
    if uids:
        result.findings.append(Finding(result.relative, location, "uid",
                                       "original UID not remapped", uids))


def _whole_number(text: str) -> str:
    """A decimal value as one token: its point dropped, so only a whole value meets a needle.

    ``0.123456`` becomes ``0123456``, which no needle ``123456`` matches; a value that is
    exactly ``123456`` (an identifier stored in a number) still does.
    """
    return text.replace(".", "")


def _references(place: Place, texts: tuple[str, ...]) -> list[tuple[str, str]]:
    if place.keyword != "ReferencedSOPInstanceUID":
        return []
    return [(place.path, t.strip("\x00 ")) for t in texts if t.strip("\x00 ")]


def _add_hits(result: ScanResult, location: str, numbers: set[int], index: NeedleIndex,
              patient: int) -> set[int]:
    """Findings for needles found in one place; dates only of the output's own patient."""
    kept = {n for n in numbers if index.needles[n].patient in (ANY_PATIENT, patient)
            or patient == ANY_PATIENT}
    for category, needles in group_by_category(kept, index).items():
        checks = sorted({n.check for n in needles})
        result.findings.append(Finding(result.relative, location, category,
                                       "; ".join(checks) + " found",
                                       tuple(sorted({n.value for n in needles}))))
    return kept


@dataclass(frozen=True)
class _Layout:
    """Where the parts of one file lie, as byte offsets."""

    parsed: bool
    meta_end: int  # end of the file meta (132 without one)
    pixel_start: int  # the pixel data element's first byte (the file's end without one)
    native: tuple[int, int] | None  # native pixel values, which hold no text


def _layout(data: bytes, ds: Dataset | None, pixels: RawDataElement | None) -> _Layout:
    """The layout of ``data``; with the parsed pixel data element, from its own offsets.

    pydicom records where the pixel values start (``value_tell``) and how long they are,
    so the half megabyte of a CT slice is neither searched backwards for the pixel data
    tag nor for JPEG markers. Without it (or where its offsets do not check out), the
    last pixel data tag in the bytes marks the start.
    """
    meta_end = 132
    if ds is not None and data[128:132] == b"DICM":
        length = ds.file_meta.get("FileMetaInformationGroupLength")
        meta_end = 144 + int(length) if length is not None else 132
    start, native = -1, None
    if pixels is not None:
        start = pixels.value_tell - (8 if pixels.is_implicit_VR else 12)
        if start < 0 or data[start:start + 4] != _PIXEL_TAG_BYTES:
            start = -1
        elif pixels.length != 0xFFFFFFFF and \
                pixels.value_tell + pixels.length <= len(data):
            native = pixels.value_tell, pixels.value_tell + pixels.length
    if start < 0:
        start = data.rfind(_PIXEL_TAG_BYTES)
        native = _native_pixels(data, start) if ds is not None and start >= 0 else None
    return _Layout(ds is not None, meta_end, start if start >= 0 else len(data), native)


def _jpeg_headers(data: bytes, start: int) -> list[tuple[int, int]]:
    """Byte ranges of JPEG headers (start of image to start of scan) in encapsulated frames.

    Comment and application segments live there: text, not compressed noise, so every
    needle is searched there, however short.
    """
    ranges = []
    position = data.find(b"\xff\xd8\xff", start)
    while position >= 0:
        end = data.find(b"\xff\xda", position)
        end = len(data) if end < 0 else end
        ranges.append((position, end))
        position = data.find(b"\xff\xd8\xff", end)
    return ranges


def _native_pixels(data: bytes, start: int) -> tuple[int, int] | None:
    """The byte range of native (not encapsulated) pixel values, which hold no text.

    Skipping them keeps the raw search to the bytes where text can hide (the header, JPEG
    headers, anything after the pixels); half a megabyte per CT slice is not searched.
    """
    header = data[start:start + 12]
    if len(header) < 8:
        return None
    if header[4:6] in (b"OB", b"OW", b"UN") and len(header) == 12:
        length, value_start = int.from_bytes(header[8:12], "little"), start + 12
    else:
        length, value_start = int.from_bytes(header[4:8], "little"), start + 8
    if length == 0xFFFFFFFF or value_start + length > len(data):
        return None  # encapsulated (or damaged): searched whole
    return value_start, value_start + length


def _scan_raw(result: ScanResult, data: bytes, layout: _Layout | None, index: NeedleIndex,
              found_here: set[int], patient: int = ANY_PATIENT) -> None:
    """The raw bytes: preamble, file meta, pixel data, and anything the parse left out.

    ``layout`` None: the file did not parse.
    """
    layout = layout or _layout(data, None, None)
    meta_end, pixel_start, pixel_end = layout.meta_end, layout.pixel_start, len(data)
    has_preamble = data[128:132] == b"DICM"
    by_region: dict[str, set[int]] = {}
    native = layout.native
    headers = _jpeg_headers(data, pixel_start if native is None else native[1])
    segments = [(0, data)] if native is None else \
        [(0, data[:native[0]]), (native[1], data[native[1]:])]
    hits = [(base + o, n, length) for base, segment in segments
            for o, n, length in index.match_bytes(segment)]
    uid_hits = [(base + o, uid) for base, segment in segments
                for o, uid in index.match_uid_bytes(segment)]
    for offset, number, length in hits:
        needle = index.needles[number]
        if needle.patient not in (ANY_PATIENT, patient) and patient != ANY_PATIENT:
            continue
        if has_preamble and offset < 128:
            region = "preamble"
        elif has_preamble and offset < meta_end:
            region = "file-meta"
        elif pixel_start <= offset < pixel_end:
            if length < MIN_PIXEL_MATCH and not any(a <= offset < b for a, b in headers):
                continue
            region = "pixel-data"
        elif number in found_here:
            continue  # inside an element already reported
        else:
            region = "bytes"
        by_region.setdefault(region, set()).add(number)
    for offset, _uid in uid_hits:
        if not layout.parsed:
            region = "bytes"
        elif has_preamble and offset < 128:
            region = "preamble"
        elif offset >= pixel_start:
            region = "pixel-data"
        else:
            continue  # inside an element: reported by the element search
        result.findings.append(Finding(result.relative, region, "uid",
                                       "original UID in the raw bytes"))
    for region, numbers in sorted(by_region.items()):
        if region == "file-meta":
            numbers = {n for n in numbers if n not in found_here}
        _add_hits(result, region, numbers, index, ANY_PATIENT)
