"""What each source file tells the verifier: its identifying values and how to pair it.

Read with plain public pydicom (``dcmread``), never with medanon's reader: the verifier
must not share a bug with the code it checks. Values are gathered at every depth of the
data set; what counts as identifying is decided here by keyword and VR, independently of
the recipe.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from medanon.dicom.framing import without_part10_header
from medanon.verify.elements import (
    MEMO_ENTRIES,
    Charset,
    Facts,
    Memo,
    charset_of,
    facts_of,
    resolve,
    vr_of,
)

#: Keyword -> (category, check) of the source values searched for in outputs.
IDENTIFYING: dict[str, tuple[str, str]] = {
    "PatientName": ("name", "source patient name"),
    "OtherPatientNames": ("name", "source patient name"),
    "PatientBirthName": ("name", "source patient name"),
    "PatientMotherBirthName": ("name", "source patient name"),
    "ResponsiblePerson": ("name", "source patient name"),
    "PatientID": ("id", "source patient ID"),
    "OtherPatientIDs": ("id", "source other patient ID"),
    "IssuerOfPatientID": ("institution", "source issuer of patient ID"),
    "MedicalRecordLocator": ("id", "source medical record locator"),
    "AccessionNumber": ("id", "source accession number"),
    "StudyID": ("id", "source study ID"),
    "RequestedProcedureID": ("id", "source procedure ID"),
    "ScheduledProcedureStepID": ("id", "source procedure ID"),
    "PerformedProcedureStepID": ("id", "source procedure ID"),
    "AdmissionID": ("id", "source admission ID"),
    "PlacerOrderNumberImagingServiceRequest": ("id", "source order number"),
    "FillerOrderNumberImagingServiceRequest": ("id", "source order number"),
    "PatientAddress": ("address", "source address"),
    "InstitutionAddress": ("address", "source address"),
    "PatientTelephoneNumbers": ("phone", "source phone number"),
    "PersonTelephoneNumbers": ("phone", "source phone number"),
    "OrderCallbackPhoneNumber": ("phone", "source phone number"),
    "InstitutionName": ("institution", "source institution name"),
    "InstitutionalDepartmentName": ("institution", "source department name"),
    "StationName": ("device", "source station name"),
    "DeviceSerialNumber": ("device", "source device serial number"),
}
#: Dates searched (in every common format) in the outputs of the same patient.
DATES: dict[str, str] = {
    "PatientBirthDate": "source birth date",
    "StudyDate": "source study date", "SeriesDate": "source study date",
    "AcquisitionDate": "source study date", "ContentDate": "source study date",
    "PerformedProcedureStepStartDate": "source study date",
}
_WANTED_TAGS = frozenset(int(tag_for_keyword(k) or 0) for k in (*IDENTIFYING, *DATES))
_PATIENT_NAMES = frozenset(k for k, (c, _) in IDENTIFYING.items() if c == "name")
_NOT_INSTANCE_UIDS = frozenset({"TransferSyntaxUID", "ImplementationClassUID",
                                "CodingSchemeUID", "PrivateInformationCreatorUID"})
STANDARD_ROOT = "1.2.840.10008."
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


@dataclass(frozen=True)
class SourceValue:
    """One identifying value of a source file."""

    category: str
    value: str
    check: str
    dated: bool = False  # a date: searched only in the same patient's outputs


@dataclass(frozen=True)
class SourceRecord:
    """One source file, as the verifier sees it."""

    relative: str
    relative_bytes: bytes
    parsed: bool
    patient: str = ""
    sop_uid: str = ""
    containers: tuple[str, ...] = ()  # its study and series UIDs
    pixel_hash: str = ""
    values: tuple[SourceValue, ...] = ()
    uids: tuple[str, ...] = ()
    modality: str = ""


@dataclass
class _Collector:
    values: list[SourceValue] = field(default_factory=list)
    uids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SourceContext:
    """What every worker reading sources needs: how to pair, and its memo of values.

    The files of one series repeat most of their values; each distinct raw value is
    converted, and its identifying values worked out, once per worker.
    """

    hash_pixels: bool = True  # False when inputs are paired by keyed UID
    memo: Memo = field(default_factory=Memo, compare=False, repr=False)
    collected: dict[Facts, tuple[tuple[SourceValue, ...], tuple[str, ...]]] = field(
        default_factory=dict, compare=False, repr=False)

    def collect(self, facts: Facts, out: _Collector) -> None:
        """Add the identifying values and UIDs of one element to ``out``."""
        found = self.collected.get(facts)
        if found is None:
            one = _Collector()
            _collect(facts, one)
            found = tuple(one.values), tuple(one.uids)
            if len(self.collected) >= MEMO_ENTRIES:
                self.collected.clear()
            self.collected[facts] = found
        out.values += found[0]
        out.uids += found[1]


def read_source(path: Path, root: Path, ctx: SourceContext | None = None) -> SourceRecord:
    """Read one source file; a file pydicom cannot parse is recorded as such.

    ``ctx.hash_pixels`` False (pairing by keyed UID) skips reading the pixel data at all.
    """
    ctx = ctx or SourceContext()
    relative_bytes = os.fsencode(path.relative_to(root))
    relative = os.fsdecode(relative_bytes)
    try:
        return _record(path, relative, relative_bytes, ctx)
    except Exception:  # pydicom reports malformed bytes with many exception types
        # One source that cannot be read whole never stops the check of the others: it is
        # counted as a source pydicom cannot parse, as in medanon run.
        return SourceRecord(relative, relative_bytes, parsed=False)


def _record(path: Path, relative: str, relative_bytes: bytes,
            ctx: SourceContext) -> SourceRecord:
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=not ctx.hash_pixels)
    except InvalidDicomError:
        if not without_part10_header(path):
            raise
        # What medanon run --accept-no-meta reads (and writes) must be read here too, or
        # its output could not be checked against it.
        ds = pydicom.dcmread(path, stop_before_pixels=not ctx.hash_pixels, force=True)
    collector = _Collector()
    for facts in _wanted_elements(ds, ctx.memo, charset_of(ds, None)):
        ctx.collect(facts, collector)
    for element in ds.file_meta:
        ctx.collect(facts_of(element), collector)
    return SourceRecord(
        relative=relative, relative_bytes=relative_bytes, parsed=True,
        patient=patient_key(ds), sop_uid=str(ds.get("SOPInstanceUID", "") or ""),
        containers=tuple(str(ds.get(k, "") or "") for k in ("StudyInstanceUID",
                                                           "SeriesInstanceUID")),
        pixel_hash=pixel_hash(ds) if ctx.hash_pixels else "",
        values=tuple(dict.fromkeys(collector.values)),
        uids=tuple(dict.fromkeys(collector.uids)), modality=str(ds.get("Modality", "") or ""))


def _wanted_elements(ds: Dataset, memo: Memo, charset: Charset) -> Iterator[Facts]:
    """The standard elements that may hold identifying values, at every depth.

    Only these are converted from their raw bytes (``get_item`` gives the raw element):
    decoding every measurement and code of every source file would double the cost of
    reading the source for nothing. Private elements repeat the standard ones' values,
    which are searched for everywhere in the output anyway.
    """
    for tag in list(ds.keys()):
        if tag.is_private:
            continue
        vr = vr_of(ds.get_item(tag))
        if vr == "SQ":
            for item in ds[tag].value or []:
                yield from _wanted_elements(item, memo, charset_of(item, charset))
        elif vr in ("PN", "UI") or vr is not None and tag in _WANTED_TAGS:
            yield resolve(ds, tag, memo, charset)[0]


def patient_key(ds: Dataset) -> str:
    """Who a source file belongs to: its PatientID, else its name and birth date."""
    patient_id = str(ds.get("PatientID", "") or "").strip()
    if patient_id:
        return "id:" + patient_id
    return f"name:{ds.get('PatientName', '')}|{ds.get('PatientBirthDate', '')}"


def pixel_hash(ds: Dataset) -> str:
    """A hash of the image that survives header changes and JPEG comment cleaning.

    Native pixel data is hashed whole; encapsulated data from its first start-of-scan
    marker on (comment and application segments precede it and may be cleaned). Pixel
    data is encapsulated when its length is undefined: that holds for every transfer
    syntax, including ones newer than the installed pydicom (which cannot say whether a
    syntax it does not know is compressed).
    """
    element = ds.get((0x7FE0, 0x0010))
    if element is None or not isinstance(element.value, bytes | bytearray):
        return ""
    data = bytes(element.value)
    if element.is_undefined_length:
        start = data.find(b"\xff\xda")
        data = data[start:] if start >= 0 else data
    return hashlib.sha256(data).hexdigest()


def _texts(facts: Facts) -> list[str]:
    return [t.strip() for t in facts.texts if t.strip()]


def _collect(facts: Facts, out: _Collector) -> None:
    """The identifying values and UIDs of one standard element."""
    keyword = facts.keyword
    if facts.vr == "SQ":
        return
    if facts.vr == "UI":
        if keyword.endswith("ClassUID") or keyword in _NOT_INSTANCE_UIDS:
            return
        out.uids += [u for u in _texts(facts) if not u.startswith(STANDARD_ROOT)]
        return
    if keyword in DATES:
        for text in _texts(facts):
            out.values += [SourceValue("date", v, DATES[keyword], dated=True)
                           for v in date_renderings(text)]
        return
    category, check = IDENTIFYING.get(keyword, ("", ""))
    if not category and facts.vr == "PN":
        category, check = "physician", "source staff name"
    if not category:
        return
    for text in _texts(facts):
        out.values.append(SourceValue(category, text, check))
        if facts.vr == "PN" or keyword in _PATIENT_NAMES:
            out.values += [SourceValue(category, part, check) for part in name_parts(text)]


def name_parts(value: str) -> list[str]:
    """The renderings of a PN value people write, and each component of 3 letters or more."""
    parts: list[str] = []
    for group in value.split("="):
        components = [c.strip() for c in group.split("^") if c.strip()]
        if len(components) >= 2:
            family, given = components[0], components[1]
            parts += [f"{given} {family}", f"{family} {given}"]
        for component in components:
            parts += [w for w in component.replace(",", " ").split()
                      if sum(ch.isalpha() for ch in w) >= 3]
            parts.append(component)
    return list(dict.fromkeys(parts))


def date_renderings(value: str) -> list[str]:
    """A DA value in the formats DICOM and people write it.

    20240411, 2024-04-11, 11.04.2024, 04/11/2024, 11 April 2024, April 11, 2024, ...
    """
    text = value.strip().replace(".", "")[:8]
    try:
        day = dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return [value.strip()] if value.strip() else []
    month = _MONTHS[day.month - 1]
    return [day.strftime("%Y%m%d"), day.isoformat(), day.strftime("%d.%m.%Y"),
            day.strftime("%d/%m/%Y"), day.strftime("%m/%d/%Y"), day.strftime("%Y/%m/%d"),
            f"{day.day} {month} {day.year}", f"{month} {day.day}, {day.year}",
            f"{day.day:02d} {month[:3]} {day.year}"]
