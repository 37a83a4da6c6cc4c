"""Every attribute of PS3.15 Table E.1-1, planted in a dataset, checked in the output.

The expectation is computed here from the raw copy of the table
(``profile/data/source/confidentiality_profile_attributes.json``) with a decision
table written for this test from the documented rules (docs/recipes.md, "How an
action is resolved"; the docstring of ``medanon.profile.resolve``). It shares no
code with medanon's resolver: a change of either side shows up as a mismatch
naming the tag, the keyword, the option set, the expected and the observed outcome.

Each attribute gets a valid value for its VR (pydicom's dictionary VR; "US or SS"
→ US, "OB or OW" → OB; a sequence gets one item holding a person name, a UID, a
code value and a free-text code meaning). All attributes are planted at once, at
the top level and, in a second dataset, inside the item of a sequence that no
rule names (so it is kept and recursed). The datasets are CT images: the
burned-in text check stays out of the way.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from pydicom import config
from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence
from pydicom.valuerep import IS, DSfloat, validate_value

from medanon.custody.keys import SecretKey
from medanon.dicom.dates import date_offset_days
from medanon.dicom.quiet import quiet_pydicom
from medanon.dicom.transform import Transformed, deidentify
from medanon.dicom.uids import remap_uid
from medanon.profile.model import Option, Ruleset
from medanon.profile.recipe import parse_recipe
from medanon.profile.ruleset import build_ruleset
from medanon.profile.structural import structural_tags

SOURCE = Path(str(resources.files("medanon.profile").joinpath(
    "data", "source", "confidentiality_profile_attributes.json")))

COLUMN_TO_OPTION = {
    "rtnSafePrivOpt": Option.RETAIN_SAFE_PRIVATE,
    "rtnUIDsOpt": Option.RETAIN_UIDS,
    "rtnDevIdOpt": Option.RETAIN_DEVICE_IDENTITY,
    "rtnInstIdOpt": Option.RETAIN_INSTITUTION_IDENTITY,
    "rtnPatCharsOpt": Option.RETAIN_PATIENT_CHARACTERISTICS,
    "rtnLongFullDatesOpt": Option.RETAIN_LONGITUDINAL_FULL_DATES,
    "rtnLongModifDatesOpt": Option.RETAIN_LONGITUDINAL_MODIFIED_DATES,
    "cleanDescOpt": Option.CLEAN_DESCRIPTORS,
    "cleanStructContOpt": Option.CLEAN_STRUCTURED_CONTENT,
    "cleanGraphOpt": Option.CLEAN_GRAPHICS,
}
#: One representative tag for each repeating-group row of the table.
MASK_REPRESENTATIVES = {"(50XX,XXXX)": 0x50003000, "(60XX,3000)": 0x60003000,
                        "(60XX,4000)": 0x60004000}
PATIENT_NAME_TAG, PATIENT_ID_TAG = 0x00100010, 0x00100020
REFERRING_PHYSICIAN_NAME, REFERENCED_SOP_INSTANCE_UID = 0x00080090, 0x00081155
CODE_VALUE, CODE_MEANING = 0x00080100, 0x00080104
NEUTRAL_SEQUENCE = 0x00081115  # ReferencedSeriesSequence: in no row of Table E.1-1
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"

# Planted values. Text carries a surname and a date, so that "clean" is observable.
SURNAME, DATE = "DOE", "20190304"
TEXT = f"CT {SURNAME} {DATE}"  # valid in every text VR, CS and AE included (15 characters)
PERSON = f"{SURNAME}^JOHN"
PATIENT_ID = "PID12345"
TIME = "101500"
BINARY = b"DOE!"
CODE = "T-D3000"
TEXT_VRS = frozenset({"AE", "CS", "LO", "LT", "SH", "ST", "UC", "UT", "UR"})
OPAQUE_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})
DATE_VRS = frozenset({"DA", "DT", "TM"})
BINARY_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})
MODIFIED = Option.RETAIN_LONGITUDINAL_MODIFIED_DATES
FULL = Option.RETAIN_LONGITUDINAL_FULL_DATES


@dataclass(frozen=True)
class Row:
    """One row of Table E.1-1 as the raw source file has it, with the tag it is planted under."""

    tag: int
    tag_text: str
    name: str
    vr: str
    basic: str
    std_comp_iod: bool
    cells: dict[Option, str]

    @property
    def label(self) -> str:
        keyword = keyword_for_tag(self.tag) or self.name
        return f"({self.tag >> 16:04X},{self.tag & 0xFFFF:04X}) {keyword} [{self.vr}]"


def _vr(tag: int) -> str:
    vr = dictionary_VR(tag)
    return {"US or SS": "US", "OB or OW": "OB", "US or OW": "US"}.get(vr, vr.split(" or ")[0])


@cache
def table_rows() -> tuple[Row, ...]:
    raw: list[dict[str, Any]] = json.loads(SOURCE.read_text(encoding="utf-8"))
    rows = []
    for item in raw:
        text = item["tag"]
        if text in MASK_REPRESENTATIVES:
            tag = MASK_REPRESENTATIVES[text]
        elif text.startswith("(GGGG"):
            continue  # private attributes: tests/dicom/test_private.py
        else:
            tag = int(text[1:5] + text[6:10], 16)
        cells = {option: item[column] for column, option in COLUMN_TO_OPTION.items()
                 if column in item}
        rows.append(Row(tag, text, item["name"], _vr(tag), item["basicProfile"],
                        item["stdCompIOD"] == "Y", cells))
    return tuple(rows)


@cache
def rows_by_tag() -> dict[int, Row]:
    return {row.tag: row for row in table_rows()}


# ----------------------------------------------------------------------------------------
# The expectation: Table E.1-1 code(s) → action → what the output must show.
# ----------------------------------------------------------------------------------------

def basic_action(row: Row) -> str:
    """The Basic Profile column, with the compound codes resolved as documented."""
    code, sequence = row.basic, row.vr == "SQ"
    if row.tag in (PATIENT_NAME_TAG, PATIENT_ID_TAG):
        return "pseudonym"  # keyed pseudonym: records of one patient stay linkable
    if "/" in code and "X" in code and not row.std_comp_iod:
        return "remove"  # in no standard IOD: nothing can require it
    if code == "X":
        return "remove"
    if code == "U":
        return "remap"
    if code == "X/Z/U*":
        return "remap" if sequence or row.vr == "UI" else "empty"
    if code == "X/Z" and sequence:
        # Z allows "a non-zero length value that may be a dummy": the same structure,
        # nothing identifying (an empty Type 3 sequence is invalid).
        return "dummy"
    if code in ("Z", "X/Z"):
        return "empty"
    if code in ("D", "X/D", "Z/D", "X/Z/D"):
        # On a sequence (documented rule 5): the same structure, nothing identifying.
        return "dummy"
    raise AssertionError(f"{row.label}: Basic Profile code {code!r} has no documented action")


def expected_action(row: Row, options: frozenset[Option]) -> str:
    """The action for ``row`` under ``options`` (documented rules 1 to 6)."""
    cells = [(option, code) for option, code in row.cells.items() if option in options]
    if row.vr not in DATE_VRS:
        # A modified-dates C on a non-date VR has nothing to shift: the option does nothing.
        cells = [(o, c) for o, c in cells if not (o is MODIFIED and c == "C")]
    if any(code == "K" for _, code in cells):
        return "keep"  # retain beats clean
    if any(option is MODIFIED for option, _ in cells):
        return "shift"
    if cells:
        return "clean"
    return basic_action(row)


def expected_outcome(row: Row, options: frozenset[Option]) -> str:
    """What the output element must look like (see :func:`observe` for the vocabulary)."""
    action, vr = expected_action(row, options), row.vr
    if action == "remove":
        return "absent"
    if vr == "SQ":
        if action == "empty":
            return "empty sequence"
        if action == "dummy" and is_code_sequence(row.tag):
            return "dummy code item"
        return "recursed"
    if action == "empty":
        return "empty"
    if action == "keep":
        return "unchanged"
    if action == "pseudonym":
        return "patient pseudonym"
    if action in ("remap", "dummy"):
        if vr == "UI":
            return "remapped UID"
        if vr == "PN":
            return "person-name pseudonym"
        assert action == "dummy", f"{row.label}: U on a VR other than UI"
        return "dummy"
    if action == "shift":
        return "shifted" if vr in ("DA", "DT") else "unchanged"  # whole days: TM stays
    assert action == "clean"
    if vr in ("DA", "DT"):
        return "unchanged" if FULL in options else "shifted"
    if vr == "PN":
        return "person-name pseudonym"
    if vr == "UI":
        return "remapped UID"
    if vr == "CS":
        return "dummy"  # the planted text identifies; a code string cannot hold "***"
    if vr in TEXT_VRS:
        return "cleaned"
    if vr in OPAQUE_VRS and (row.tag >> 16) & 0xFF00 not in (0x5000, 0x6000):
        return "absent"  # opaque bytes cannot be cleaned; overlay and curve data are graphics
    return "unchanged"  # numbers and times: nothing to clean


def is_code_sequence(tag: int) -> bool:
    return (keyword_for_tag(tag) or "").endswith("CodeSequence")


def item_text_policy(row: Row, options: frozenset[Option]) -> str | None:
    """What the unnamed free text inside a recursed sequence item gets (documented rule 5).

    D on a sequence dummies it, C cleans it; code sequences hold coded vocabulary, so
    their items are left to the rules. The neutral container around the nested case
    is kept, so it passes no policy down.
    """
    action = expected_action(row, options)
    if is_code_sequence(row.tag) or action not in ("dummy", "clean"):
        return None
    return action


def expected_item_outcomes(row: Row, options: frozenset[Option]) -> dict[int, str]:
    """What each planted element of a recursed sequence's item must look like."""
    policy = item_text_policy(row, options)
    by_tag = rows_by_tag()
    return {
        REFERRING_PHYSICIAN_NAME: expected_outcome(by_tag[REFERRING_PHYSICIAN_NAME], options),
        REFERENCED_SOP_INSTANCE_UID: expected_outcome(by_tag[REFERENCED_SOP_INSTANCE_UID],
                                                      options),
        CODE_VALUE: "dummy" if policy == "dummy" else "unchanged",
        CODE_MEANING: {"dummy": "dummy", "clean": "cleaned", None: "unchanged"}[policy],
    }


# ----------------------------------------------------------------------------------------
# The datasets.
# ----------------------------------------------------------------------------------------

def planted_uid(tag: int, depth: int) -> str:
    """A distinct, valid, non-standard UID per attribute and depth."""
    return f"1.2.826.0.1.3680043.10.999.{depth}.{tag}"


def sequence_item(tag: int, depth: int) -> Dataset:
    item = Dataset()
    item.ReferringPhysicianName = PERSON
    item.ReferencedSOPInstanceUID = planted_uid(tag, depth + 1)
    item.CodeValue = CODE
    item.CodeMeaning = TEXT
    return item


def planted_value(row: Row, depth: int) -> Any:
    if row.tag == PATIENT_ID_TAG:
        return PATIENT_ID
    values: dict[str, Any] = {
        "AE": TEXT, "CS": TEXT, "LO": TEXT, "LT": TEXT, "SH": TEXT, "ST": TEXT, "UC": TEXT,
        "UT": TEXT, "UR": f"http://example.com/{SURNAME}", "PN": PERSON, "DA": DATE,
        "DT": DATE + TIME, "TM": TIME, "AS": "042Y", "DS": "12.5", "IS": "42", "US": 7,
        "SS": -7, "UL": 7, "SL": -7, "FL": 1.5, "FD": 1.5, "AT": 0x00100010,
    }
    if row.vr in BINARY_VRS:
        return BINARY
    if row.vr == "UI":
        return planted_uid(row.tag, depth)
    if row.vr == "SQ":
        return Sequence([sequence_item(row.tag, depth)])
    return values[row.vr]


def plant_all(target: Dataset, depth: int) -> None:
    for row in table_rows():
        target[row.tag] = DataElement(row.tag, row.vr, planted_value(row, depth))


def base_dataset() -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = CT_IMAGE_STORAGE
    ds.Modality = "CT"
    ds.PatientName = PERSON
    ds.PatientID = PATIENT_ID
    return ds


@cache
def top_level_dataset() -> Dataset:
    ds = base_dataset()
    plant_all(ds, depth=0)
    ds.SOPClassUID = CT_IMAGE_STORAGE
    return ds


@cache
def nested_dataset() -> Dataset:
    ds = base_dataset()
    item = Dataset()
    plant_all(item, depth=1)
    ds[NEUTRAL_SEQUENCE] = DataElement(NEUTRAL_SEQUENCE, "SQ", Sequence([item]))
    return ds


# ----------------------------------------------------------------------------------------
# Observation: what an output element shows, in the vocabulary of expected_outcome.
# ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Observer:
    key: SecretKey
    transformed: Transformed
    options: frozenset[Option]

    @property
    def shifted_date(self) -> str:
        offset = date_offset_days(self.key, "id:" + PATIENT_ID)
        assert offset != 0
        return (dt.date(2019, 3, 4) + dt.timedelta(days=offset)).strftime("%Y%m%d")

    def observe(self, level: Dataset, row: Row, planted: Any, depth: int) -> str:
        if row.tag not in level:
            return "absent"
        element = level[row.tag]
        if row.vr == "SQ":
            return self._observe_sequence(element.value, row, depth)
        return self.observe_value(element, row.tag, row.vr, planted)

    def observe_value(self, element: DataElement, tag: int, vr: str, planted: Any) -> str:
        if element.is_empty:
            return "empty"
        value = element.value
        text = _text(value)
        if _same(value, planted):
            return "unchanged"
        pseudonym = self.transformed.patient_pseudonym
        if (tag == PATIENT_ID_TAG and text == pseudonym) or (
                tag == PATIENT_NAME_TAG and text == pseudonym + "^"):
            return "patient pseudonym"
        if vr == "UI" and text == remap_uid(self.key, str(planted)):
            return "remapped UID"
        if vr == "DA" and text == self.shifted_date:
            return "shifted"
        if vr == "DT" and text == self.shifted_date + TIME:
            return "shifted"
        leaks = SURNAME.lower() in text.lower() or DATE in text
        if vr == "PN" and text.endswith("^") and not leaks:
            return "person-name pseudonym"
        if vr in TEXT_VRS and "***" in text and not leaks:
            return "cleaned"
        if not leaks and vr != "UI":
            return "dummy"
        return f"changed to {text[:40]!r}"

    def _observe_sequence(self, items: Sequence, row: Row, depth: int) -> str:
        if len(items) == 0:
            return "empty sequence"
        if len(items) != 1:
            return f"{len(items)} items"
        item = items[0]
        if set(item.keys()) == {CODE_VALUE, 0x00080102, CODE_MEANING} and (
                item.CodingSchemeDesignator == "99MEDANON" and item.CodeValue != CODE):
            return "dummy code item"
        planted = {REFERRING_PHYSICIAN_NAME: PERSON, CODE_VALUE: CODE, CODE_MEANING: TEXT,
                   REFERENCED_SOP_INSTANCE_UID: planted_uid(row.tag, depth + 1)}
        problems = []
        for tag, expected in expected_item_outcomes(row, self.options).items():
            if tag not in item:
                observed = "absent"
            else:
                observed = self.observe_value(item[tag], tag, dictionary_VR(tag), planted[tag])
            if observed != expected:
                problems.append(f"{keyword_for_tag(tag)}: expected {expected}, observed {observed}")
        if problems:
            return "recursed, but in the item " + "; ".join(problems)
        return "recursed"


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, (MultiValue, list, tuple)):
        return "\\".join(str(v) for v in value)
    return str(value)


def _same(value: Any, planted: Any) -> bool:
    if isinstance(planted, bytes):
        return bool(value == planted)
    if isinstance(planted, (int, float)) and not isinstance(planted, bool):
        return bool(value == planted)
    return _text(value) == str(planted)


# ----------------------------------------------------------------------------------------
# The tests.
# ----------------------------------------------------------------------------------------

OPTION_SETS: list[tuple[str, frozenset[Option]]] = [
    ("basic", frozenset()),
    *((option.value, frozenset({option})) for option in Option),
    ("all-but-full-dates", frozenset(o for o in Option if o is not FULL)),
    ("all-but-modified-dates", frozenset(o for o in Option if o is not MODIFIED)),
]


def ruleset_for(options: Iterable[Option]) -> Ruleset:
    names = ", ".join(f'"{option.value}"' for option in options)
    return build_ruleset(parse_recipe(f"options = [{names}]\nallow_unchecked_burned_in = true\n"))


def run(dataset: Dataset, options: frozenset[Option], key: SecretKey) -> Transformed:
    # The rules alone: the planted text quotes the patient's surname everywhere, which the
    # safety net (tests/dicom/test_safety_net.py) would clean from every kept attribute.
    with quiet_pydicom():  # as in every medanon runner: pydicom must not print values
        return deidentify(dataset, ruleset_for(sorted(options)), key, identifying_values=())


def test_every_concrete_row_is_planted() -> None:
    raw = json.loads(SOURCE.read_text(encoding="utf-8"))
    concrete = [r for r in raw if not r["tag"].startswith("(GGGG")]
    assert len(table_rows()) == len(concrete) == 620
    assert len({row.tag for row in table_rows()}) == len(table_rows()), "a tag is planted twice"
    # The neutral container must really be neutral, or the nested case tests nothing.
    assert NEUTRAL_SEQUENCE not in rows_by_tag()
    assert CODE_VALUE not in rows_by_tag() and CODE_MEANING not in rows_by_tag()


@pytest.mark.parametrize("location", ["top-level", "in-sequence-item"])
@pytest.mark.parametrize(("option_name", "options"), OPTION_SETS,
                         ids=[name for name, _ in OPTION_SETS])
def test_table_e1_1_action(option_name: str, options: frozenset[Option], location: str,
                           key: SecretKey) -> None:
    source = top_level_dataset() if location == "top-level" else nested_dataset()
    transformed = run(source, options, key)
    observer = Observer(key, transformed, options)
    if location == "top-level":
        level, planted_level, depth = transformed.dataset, source, 0
    else:
        container = transformed.dataset[NEUTRAL_SEQUENCE].value
        assert len(container) == 1, "the neutral sequence lost its item"
        level, planted_level, depth = container[0], source[NEUTRAL_SEQUENCE].value[0], 1

    mismatches = []
    for row in table_rows():
        expected = expected_outcome(row, options)
        observed = observer.observe(level, row, planted_level[row.tag].value, depth)
        if observed != expected:
            mismatches.append(
                f"  {row.label} (table {row.tag_text}, basic {row.basic}, "
                f"cells {({o.value: c for o, c in row.cells.items()})}) under {option_name}, "
                f"{location}: expected {expected} ({expected_action(row, options)}), "
                f"observed {observed}")
    assert not mismatches, (
        f"{len(mismatches)} attribute(s) of Table E.1-1 got the wrong action:\n"
        + "\n".join(mismatches))


@pytest.mark.parametrize("location", ["top-level", "in-sequence-item"])
@pytest.mark.parametrize(("option_name", "options"), OPTION_SETS,
                         ids=[name for name, _ in OPTION_SETS])
def test_every_output_value_is_valid_for_its_vr(option_name: str, options: frozenset[Option],
                                               location: str, key: SecretKey) -> None:
    """Dummies, pseudonyms, cleaned text and shifted dates must still be valid DICOM."""
    source = top_level_dataset() if location == "top-level" else nested_dataset()
    out = run(source, options, key).dataset
    invalid = []
    for element in out.iterall():
        if element.VR == "SQ" or element.is_empty:
            continue
        values = element.value if element.VM > 1 else [element.value]
        for value in values:
            text = value if isinstance(value, (bytes, int, float)) and not isinstance(
                value, (DSfloat, IS)) else str(value)
            try:
                validate_value(element.VR, text, config.RAISE)
            except ValueError as exc:
                invalid.append(f"  {element.tag} {element.keyword} [{element.VR}] under "
                               f"{option_name}, {location}: {exc}".split(" Please see")[0])
    assert not invalid, "values invalid for their VR:\n" + "\n".join(invalid)


def test_input_dataset_is_not_modified(key: SecretKey) -> None:
    source = nested_dataset()
    before = [(e.tag, repr(e.value)) for e in source.iterall()]
    run(source, frozenset(), key)
    assert [(e.tag, repr(e.value)) for e in source.iterall()] == before


# ----------------------------------------------------------------------------------------
# Attributes no rule names: the blacklist keeps them, with two safety nets.
# ----------------------------------------------------------------------------------------

#: Public attributes Table E.1-1 does not list (checked by the first test below).
UNNAMED_TAGS = {
    "PN": 0x00142006,  # EvaluatorName
    "UI": 0x00200242,  # SOPInstanceUIDOfConcatenationSource
    "LO": 0x00080222,  # ManufacturerRelatedModelGroup
    "DS": 0x00101022,  # PatientBodyMassIndex
}


def test_unnamed_tags_are_unnamed() -> None:
    for vr, tag in UNNAMED_TAGS.items():
        assert tag not in rows_by_tag() and dictionary_VR(tag) == vr
        assert tag not in structural_tags()


def _unnamed_dataset() -> tuple[Dataset, dict[str, int]]:
    ds = base_dataset()
    tags = dict(UNNAMED_TAGS)
    ds[tags["PN"]] = DataElement(tags["PN"], "PN", PERSON)
    ds[tags["UI"]] = DataElement(tags["UI"], "UI", "1.2.826.0.1.3680043.10.999.77")
    ds[tags["LO"]] = DataElement(tags["LO"], "LO", TEXT)
    ds[tags["DS"]] = DataElement(tags["DS"], "DS", "3.5")
    standard = 0x00081150  # ReferencedSOPClassUID: a standard UID is never remapped
    ds[standard] = DataElement(standard, "UI", CT_IMAGE_STORAGE)
    return ds, tags


def test_unnamed_attributes_in_blacklist_mode(key: SecretKey) -> None:
    ds, tags = _unnamed_dataset()
    out = run(ds, frozenset(), key).dataset
    name = str(out[tags["PN"]].value)
    assert name.endswith("^") and SURNAME not in name, "an unnamed PN must be pseudonymised"
    assert out[tags["UI"]].value == remap_uid(key, "1.2.826.0.1.3680043.10.999.77")
    assert out[tags["LO"]].value == TEXT, "an unnamed LO is kept in blacklist mode"
    assert str(out[tags["DS"]].value) == "3.5"
    assert out[0x00081150].value == CT_IMAGE_STORAGE


def test_unnamed_uid_kept_under_retain_uids(key: SecretKey) -> None:
    ds, tags = _unnamed_dataset()
    out = run(ds, frozenset({Option.RETAIN_UIDS}), key).dataset
    assert out[tags["UI"]].value == "1.2.826.0.1.3680043.10.999.77"
    assert str(out[tags["PN"]].value) != PERSON, "the PN safety net does not depend on options"


def test_unnamed_attributes_in_whitelist_mode(key: SecretKey) -> None:
    ds, tags = _unnamed_dataset()
    ruleset = build_ruleset(parse_recipe('mode = "whitelist"\noptions = []\n'))
    with quiet_pydicom():
        transformed = deidentify(ds, ruleset, key)
    for vr, tag in tags.items():
        assert tag not in transformed.dataset, f"whitelist kept an unnamed {vr}"
    reviewed = {item.tag for item in transformed.review}
    assert set(tags.values()) <= reviewed
    for item in transformed.review:
        assert SURNAME not in item.value_digest and len(item.value_digest) == 16
