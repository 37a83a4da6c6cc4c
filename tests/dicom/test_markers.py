"""De-identification markers (PS3.15 E.1.1) and overlay groups."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from medanon._version import __version__
from medanon.custody.keys import SecretKey
from medanon.dicom.markers import OPTION_CODES
from medanon.profile.model import Option
from tests.dicom.builders import ct_dataset, ruleset, transform

KEY = SecretKey(b"k" * 32)

#: CID 7050, as printed in PS3.16 (independent of medanon's table).
CID_7050 = {
    None: "113100",
    Option.CLEAN_GRAPHICS: "113103",
    Option.CLEAN_STRUCTURED_CONTENT: "113104",
    Option.CLEAN_DESCRIPTORS: "113105",
    Option.RETAIN_LONGITUDINAL_FULL_DATES: "113106",
    Option.RETAIN_LONGITUDINAL_MODIFIED_DATES: "113107",
    Option.RETAIN_PATIENT_CHARACTERISTICS: "113108",
    Option.RETAIN_DEVICE_IDENTITY: "113109",
    Option.RETAIN_UIDS: "113110",
    Option.RETAIN_SAFE_PRIVATE: "113111",
    Option.RETAIN_INSTITUTION_IDENTITY: "113112",
}


def codes(ds: Dataset) -> list[str]:
    items = ds.DeidentificationMethodCodeSequence
    for item in items:
        assert item.CodingSchemeDesignator == "DCM" and item.CodeMeaning
    return [str(item.CodeValue) for item in items]


def test_option_codes_match_cid_7050() -> None:
    assert {option: code for option, (code, _) in OPTION_CODES.items()} == {
        o: c for o, c in CID_7050.items() if o is not None}


def test_basic_profile_markers() -> None:
    out = transform(ct_dataset(), ruleset(), KEY).dataset
    assert out.PatientIdentityRemoved == "YES"
    assert out.DeidentificationMethod.startswith(f"medanon {__version__}")
    assert len(out.DeidentificationMethod) <= 64
    assert codes(out) == ["113100"]
    assert out.LongitudinalTemporalInformationModified == "REMOVED"


@pytest.mark.parametrize("option", list(Option), ids=lambda o: o.value)
def test_each_option_adds_its_code(option: Option) -> None:
    out = transform(ct_dataset(), ruleset([option]), KEY).dataset
    assert codes(out) == ["113100", CID_7050[option]]


def test_all_options_fit_the_method_text() -> None:
    options = [o for o in Option if o is not Option.RETAIN_LONGITUDINAL_FULL_DATES]
    out = transform(ct_dataset(), ruleset(options), KEY).dataset
    assert len(out.DeidentificationMethod) <= 64
    assert sorted(codes(out)) == sorted(["113100", *(CID_7050[o] for o in options)])
    assert len(codes(out)) == len(set(codes(out)))


def test_an_earlier_stage_is_carried_over_once() -> None:
    ds = ct_dataset()
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = "SITE TOOL 1.0"
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator = "113100", "DCM"
    item.CodeMeaning = "Basic Application Confidentiality Profile"
    ds.DeidentificationMethodCodeSequence = Sequence([item])
    out = transform(ds, ruleset([Option.CLEAN_DESCRIPTORS]), KEY).dataset
    assert list(out.DeidentificationMethod)[0] == "SITE TOOL 1.0"
    assert len(list(out.DeidentificationMethod)) == 2
    assert codes(out) == ["113100", "113105"]


def add_overlay(ds: Dataset, group: int = 0x6000) -> Dataset:
    ds.add_new((group << 16) | 0x0010, "US", 4)  # OverlayRows
    ds.add_new((group << 16) | 0x0011, "US", 4)  # OverlayColumns
    ds.add_new((group << 16) | 0x0040, "CS", "G")  # OverlayType
    ds.add_new((group << 16) | 0x0050, "SS", [1, 1])  # OverlayOrigin
    ds.add_new((group << 16) | 0x0100, "US", 1)  # OverlayBitsAllocated
    ds.add_new((group << 16) | 0x0102, "US", 0)  # OverlayBitPosition
    ds.add_new((group << 16) | 0x0022, "LO", "DOE ANNOTATION")  # OverlayDescription
    ds.add_new((group << 16) | 0x3000, "OW", b"\x0f\x00")  # OverlayData
    return ds


def test_overlay_group_disappears_with_its_data() -> None:
    ds = add_overlay(add_overlay(ct_dataset()), 0x6002)
    out = transform(ds, ruleset(), KEY).dataset
    assert not [t for t in out.keys() if 0x6000 <= t >> 16 <= 0x601E]


def test_clean_graphics_keeps_the_overlay() -> None:
    ds = add_overlay(ct_dataset())
    out = transform(ds, ruleset([Option.CLEAN_GRAPHICS]), KEY).dataset
    assert out[0x60003000].value == b"\x0f\x00"
    assert out[0x60000010].value == 4 and out[0x60000040].value == "G"
