"""A digits-only identifier (an MRN, a serial number) is not found inside a decimal number."""

from __future__ import annotations

import pytest
from pydicom.tag import BaseTag

from medanon.verify.elements import Facts, Place
from medanon.verify.needles import ANY_PATIENT, Needle, NeedleIndex
from medanon.verify.scan import ScanContext, ScanResult, _scan_element


def _categories(vr: str, text: str) -> list[str]:
    index = NeedleIndex()
    index.add(Needle("id", "1234567", "source patient ID"))
    result = ScanResult("out.dcm", parsed=True)
    place = Place("(0028,1053)", BaseTag(0x00281053), Facts(vr, "RescaleSlope", (text,)), {})
    _scan_element(result, place, ScanContext(index), ANY_PATIENT, set())
    return [finding.category for finding in result.findings]


@pytest.mark.parametrize(("vr", "text", "found"), [
    ("DS", "0.1234567", False),     # the digits of a slope: not the identifier
    ("DS", "-12.1234567", False),
    ("DS", "1234567", True),        # the identifier stored whole in a number: found
    ("LO", "0.1234567", True),      # in text, a run of digits is a token as before
])
def test_digits_after_a_decimal_point_are_not_an_identifier(vr: str, text: str,
                                                            found: bool) -> None:
    assert (_categories(vr, text) == ["id"]) is found
