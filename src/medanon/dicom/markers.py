"""Mark a de-identified dataset the way PS3.15 E.1.1 and the General/Patient modules ask.

PatientIdentityRemoved = YES, a DeidentificationMethod text naming medanon, its version
and the options, DeidentificationMethodCodeSequence with one CID 7050 code per option,
and LongitudinalTemporalInformationModified. A dataset that was already de-identified
(stage 1 of a two-stage workflow) keeps its earlier method entries, and ours are added.
"""

from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from medanon._version import __version__
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
    methods: list[str] = []
    earlier = previous.get("DeidentificationMethod")
    if earlier:
        methods.extend(str(v) for v in (earlier if not isinstance(earlier, str) else [earlier]))
    methods.append(method_text(options, mode))
    dataset.PatientIdentityRemoved = "YES"
    dataset.DeidentificationMethod = methods if len(methods) > 1 else methods[0]

    codes: list[tuple[str, str]] = []
    for item in previous.get("DeidentificationMethodCodeSequence", []) or []:
        code = (str(item.get("CodeValue", "")), str(item.get("CodeMeaning", "")))
        if code[0] and code not in codes:
            codes.append(code)
    for code in (BASIC_PROFILE_CODE, *(OPTION_CODES[o] for o in sorted(options)
                                        if o in OPTION_CODES)):
        if code not in codes:
            codes.append(code)
    dataset.DeidentificationMethodCodeSequence = Sequence([_code_item(*c) for c in codes])
    dataset.LongitudinalTemporalInformationModified = longitudinal_status(options)
