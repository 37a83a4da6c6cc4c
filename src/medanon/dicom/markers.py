"""Mark a de-identified dataset the way PS3.15 E.1.1 and the General/Patient modules ask.

PatientIdentityRemoved = YES, a DeidentificationMethod text naming medanon, its version
and the options, DeidentificationMethodCodeSequence with one CID 7050 code per option,
and LongitudinalTemporalInformationModified. A dataset that was already de-identified
(stage 1 of a two-stage workflow) keeps its earlier method entries, and ours are added.
"""

from __future__ import annotations

from functools import lru_cache

from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from medanon._version import __version__
from medanon.dicom.backend.datasets import store_raw
from medanon.dicom.backend.encode import encoded_elements
from medanon.dicom.backend.peek import peek
from medanon.profile.model import Mode, Option

# CID 7050 "De-identification Method" (coding scheme DCM).
BASIC_PROFILE_CODE = ("113100", "Basic Application Confidentiality Profile")
OPTION_CODES: dict[Option, tuple[str, str]] = {
    Option.CLEAN_GRAPHICS: ("113103", "Clean Graphics Option"),
    Option.CLEAN_STRUCTURED_CONTENT: ("113104", "Clean Structured Content Option"),
    Option.CLEAN_DESCRIPTORS: ("113105", "Clean Descriptors Option"),
    Option.RETAIN_LONGITUDINAL_FULL_DATES: (
        "113106", "Retain Longitudinal Temporal Information Full Dates Option"),
    Option.RETAIN_LONGITUDINAL_MODIFIED_DATES: (
        "113107", "Retain Longitudinal Temporal Information Modified Dates Option"),
    Option.RETAIN_PATIENT_CHARACTERISTICS: ("113108", "Retain Patient Characteristics Option"),
    Option.RETAIN_DEVICE_IDENTITY: ("113109", "Retain Device Identity Option"),
    Option.RETAIN_UIDS: ("113110", "Retain UIDs Option"),
    Option.RETAIN_SAFE_PRIVATE: ("113111", "Retain Safe Private Option"),
    Option.RETAIN_INSTITUTION_IDENTITY: ("113112", "Retain Institution Identity Option"),
}


def method_text(options: frozenset[Option], mode: Mode) -> str:
    """The DeidentificationMethod value (LO, at most 64 characters)."""
    short = "+".join(sorted(_ABBREVIATIONS[option] for option in options))
    text = f"medanon {__version__} PS3.15 Basic {mode.value}"
    if short:
        text += f" {short}"
    return text[:64]


_ABBREVIATIONS: dict[Option, str] = {
    Option.RETAIN_SAFE_PRIVATE: "RSP",
    Option.RETAIN_UIDS: "RUID",
    Option.RETAIN_DEVICE_IDENTITY: "RDI",
    Option.RETAIN_INSTITUTION_IDENTITY: "RII",
    Option.RETAIN_PATIENT_CHARACTERISTICS: "RPC",
    Option.RETAIN_LONGITUDINAL_FULL_DATES: "RLTFD",
    Option.RETAIN_LONGITUDINAL_MODIFIED_DATES: "RLTMD",
    Option.CLEAN_DESCRIPTORS: "CD",
    Option.CLEAN_STRUCTURED_CONTENT: "CSC",
    Option.CLEAN_GRAPHICS: "CG",
}


def _code_item(value: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = "DCM"
    item.CodeMeaning = meaning
    return item


def longitudinal_status(options: frozenset[Option]) -> str:
    """LongitudinalTemporalInformationModified: UNMODIFIED, MODIFIED or REMOVED."""
    if Option.RETAIN_LONGITUDINAL_FULL_DATES in options:
        return "UNMODIFIED"
    if Option.RETAIN_LONGITUDINAL_MODIFIED_DATES in options:
        return "MODIFIED"
    return "REMOVED"


def mark(dataset: Dataset, previous: Dataset, options: frozenset[Option], mode: Mode) -> None:
    """Add the de-identification markers to ``dataset`` (the output being built).

    ``previous`` is the input dataset: its own method entries, from an earlier stage,
    are carried over before ours.
    """
    earlier_methods = peek(previous, "DeidentificationMethod")
    earlier_codes = peek(previous, "DeidentificationMethodCodeSequence")
    if not earlier_methods and not earlier_codes:
        implicit, little = dataset.original_encoding
        # The same for every file of a run: built and encoded once, stored raw.
        store_raw(dataset, _fresh_markers(options, mode, bool(implicit), little is not False))
        return
    methods: list[str] = []
    if earlier_methods:
        methods.extend(str(v) for v in (earlier_methods if not isinstance(earlier_methods, str)
                                        else [earlier_methods]))
    methods.append(method_text(options, mode))
    dataset.PatientIdentityRemoved = "YES"
    dataset.DeidentificationMethod = methods if len(methods) > 1 else methods[0]
    codes: list[tuple[str, str]] = []
    for item in earlier_codes or []:
        code = (str(item.get("CodeValue", "")), str(item.get("CodeMeaning", "")))
        if code[0] and code not in codes:
            codes.append(code)
    for code in _codes(options):
        if code not in codes:
            codes.append(code)
    dataset.DeidentificationMethodCodeSequence = Sequence([_code_item(*c) for c in codes])
    dataset.LongitudinalTemporalInformationModified = longitudinal_status(options)


def add_method(dataset: Dataset, text: str) -> None:
    """Append ``text`` (at most 64 characters) as one more DeidentificationMethod value.

    Used for what a collection plan did beyond the profile (the privacy model and its
    parameters); the code sequence keeps the profile's codes.
    """
    current = peek(dataset, "DeidentificationMethod")
    values = [] if current is None else ([str(current)] if isinstance(current, str)
                                         else [str(v) for v in current])
    values.append(text[:64])
    dataset.DeidentificationMethod = values if len(values) > 1 else values[0]


def _codes(options: frozenset[Option]) -> list[tuple[str, str]]:
    return [BASIC_PROFILE_CODE, *(OPTION_CODES[o] for o in sorted(options) if o in OPTION_CODES)]


@lru_cache(maxsize=32)
def _fresh_markers(options: frozenset[Option], mode: Mode, implicit_vr: bool,
                   little_endian: bool) -> tuple[RawDataElement, ...]:
    """The marker elements of a dataset de-identified for the first time, already encoded.

    Identical for every file of a run, so they are built and encoded once and then copied
    as raw bytes into each output.
    """
    return encoded_elements((
        DataElement(0x00120062, "CS", "YES"),
        DataElement(0x00120063, "LO", method_text(options, mode)),
        DataElement(0x00120064, "SQ", Sequence([_code_item(*c) for c in _codes(options)])),
        DataElement(0x00280303, "CS", longitudinal_status(options)),
    ), implicit_vr=implicit_vr, little_endian=little_endian)
