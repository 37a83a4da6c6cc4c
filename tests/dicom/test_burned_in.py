"""Burned-in text: which files are withheld when pixel cleaning is off (``ocr = "off"``)."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset

from medanon.custody.keys import SecretKey
from medanon.dicom.burned_in import burned_in_reason
from medanon.errors import DeidentificationError
from tests.dicom.builders import (
    CT_IMAGE_STORAGE,
    ENCAPSULATED_PDF,
    SECONDARY_CAPTURE,
    US_IMAGE_STORAGE,
    add_pixels,
    ct_dataset,
    ruleset,
    transform,
)

KEY = SecretKey(b"k" * 32)
OCR_OFF = '[pixels]\nocr = "off"\n'


def image(modality: str = "CT", sop_class: str = CT_IMAGE_STORAGE,
          flag: str | None = None) -> Dataset:
    ds = add_pixels(ct_dataset(modality=modality, sop_class=sop_class))
    if flag is not None:
        ds.BurnedInAnnotation = flag
    return ds


@pytest.mark.parametrize("modality", ["US", "SC", "XA", "OT", "ES", "DOC", "XC", "GM", "SM"])
def test_risky_modality_without_flag_is_withheld(modality: str) -> None:
    with pytest.raises(DeidentificationError, match=modality):
        transform(image(modality), ruleset(extra=OCR_OFF), KEY)


@pytest.mark.parametrize("sop_class", [SECONDARY_CAPTURE, US_IMAGE_STORAGE,
                                       "1.2.840.10008.5.1.4.1.1.7.4",
                                       "1.2.840.10008.5.1.4.1.1.3.1",
                                       "1.2.840.10008.5.1.4.1.1.77.1.4"])
def test_risky_sop_class_without_flag_is_withheld(sop_class: str) -> None:
    with pytest.raises(DeidentificationError):
        transform(image("CT", sop_class), ruleset(extra=OCR_OFF), KEY)


def test_a_sop_class_is_matched_by_component_not_by_prefix() -> None:
    # 1.2.840.10008.5.1.4.1.1.77 is not under ...1.1.7 even though it starts with it.
    assert burned_in_reason(image("CT", "1.2.840.10008.5.1.4.1.1.77"), True) is None


def test_flag_yes_is_withheld_even_on_ct() -> None:
    with pytest.raises(DeidentificationError, match="BurnedInAnnotation"):
        transform(image("CT", flag="YES"), ruleset(extra=OCR_OFF), KEY)


def test_flag_no_lets_a_risky_modality_through() -> None:
    out = transform(image("US", US_IMAGE_STORAGE, flag="NO"), ruleset(extra=OCR_OFF), KEY).dataset
    assert out.BurnedInAnnotation == "NO"


def test_ct_without_flag_passes_and_headers_without_pixels_pass() -> None:
    transform(image(), ruleset(), KEY)
    header_only = ct_dataset(modality="US", sop_class=US_IMAGE_STORAGE)
    transform(header_only, ruleset(), KEY)


def test_has_pixel_data_argument_overrides_detection() -> None:
    """Headers are read without pixel data: the caller says whether the file had some."""
    from medanon.dicom.quiet import quiet_pydicom
    from medanon.dicom.transform import deidentify

    header = ct_dataset(modality="US", sop_class=US_IMAGE_STORAGE)
    with quiet_pydicom(), pytest.raises(DeidentificationError):
        deidentify(header, ruleset(extra=OCR_OFF), KEY, has_pixel_data=True)


def test_allow_unchecked_burned_in_lets_risky_files_through() -> None:
    rules = ruleset(allow_burned_in=True)
    transform(image("US", US_IMAGE_STORAGE), rules, KEY)
    transform(image("CT", flag="YES"), rules, KEY)


def test_encapsulated_documents_are_always_withheld() -> None:
    doc = ct_dataset(modality="DOC", sop_class=ENCAPSULATED_PDF)
    doc.add_new(0x00420011, "OB", b"%PDF-1.4 DOE")
    for rules in (ruleset(), ruleset(allow_burned_in=True)):
        with pytest.raises(DeidentificationError, match="encapsulated document"):
            transform(doc, rules, KEY)


@pytest.mark.parametrize("flag", [None, "NO", "YES"])
def test_by_default_a_risky_file_is_planned_for_ocr_whatever_its_flag(flag: str | None) -> None:
    """Headers lie: with the default ``ocr = "likely"`` the pixels are searched, not withheld."""
    plan = transform(image("US", US_IMAGE_STORAGE, flag=flag), ruleset(), KEY).pixel_plan
    assert plan is not None and plan.search


def test_by_default_ct_keeps_the_fast_path() -> None:
    assert transform(image(), ruleset(), KEY).pixel_plan is None
