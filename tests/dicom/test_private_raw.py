"""Private creators read off their raw bytes read as pydicom reads them, and reading them
changes no output byte."""

from __future__ import annotations

import copy
import io
from dataclasses import replace

import pydicom
import pytest
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

from medanon.dicom.private import CREATOR_RULE, private_rules
from medanon.profile.model import Action, PrivateKey, Rule
from tests.dicom.builders import ruleset

CREATOR = BaseTag(0x00090010)
ELEMENT = BaseTag(0x00091001)


def _with(value: bytes, vr: str | None = "LO") -> Dataset:
    dataset = Dataset()
    dataset[CREATOR] = RawDataElement(CREATOR, vr, len(value), value, 0, vr is None, True)
    dataset[ELEMENT] = RawDataElement(ELEMENT, "LO", 2, b"v ", 0, False, True)
    return dataset


def _written(dataset: Dataset) -> bytes:
    out = io.BytesIO()
    pydicom.dcmwrite(out, dataset, implicit_vr=False, little_endian=True)
    return out.getvalue()


@pytest.mark.parametrize("value", [b"GEMS_ACQU_01", b"SIEMENS CSA ", b"ODD ", b"",
                                   b"SIEMENS   ", b"ODD", b"GEMS\x00\x00", b"A\\B ",
                                   b"\xc9COLE "])
def test_creators_are_matched_as_pydicom_reads_them(value: bytes) -> None:
    expected = _with(value)[CREATOR].value
    expected = expected.decode("latin-1") if isinstance(expected, bytes) else expected
    keep = Rule(action=Action.KEEP, origin="test")
    rules = replace(ruleset(), private={PrivateKey(0x0009, str(expected).strip(" \x00"), 0x01):
                                        keep})
    dataset = _with(value)
    before = _written(copy.deepcopy(dataset))
    assert private_rules(dataset, rules) == {int(ELEMENT): keep, int(CREATOR): CREATOR_RULE}
    assert private_rules(_with(value), replace(rules, private={})) == {}
    assert _written(dataset) == before  # reading the creator changed no byte
