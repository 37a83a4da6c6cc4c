from __future__ import annotations

import datetime as dt
import re

from hypothesis import given
from hypothesis import strategies as st
from pydicom import config
from pydicom.valuerep import validate_value

from medanon.sample.derive import (
    IMPLEMENTATION_CLASS_UID,
    Deriver,
    age_string,
    dicom_date,
    dicom_datetime,
    dicom_time,
)


@given(seed=st.integers(0, 2**64), label=st.text(max_size=30))
def test_uids_are_valid_2_25_uids_and_stable(seed: int, label: str) -> None:
    uid = Deriver(seed).uid(label)
    assert re.fullmatch(r"2\.25\.(0|[1-9][0-9]*)", uid) and len(uid) <= 64
    validate_value("UI", uid, config.RAISE)  # raises if pydicom finds the UID invalid
    assert Deriver(seed).uid(label) == uid
    assert Deriver(seed + 1).uid(label) != uid


def test_labels_are_independent_of_each_other() -> None:
    d = Deriver(7)
    first = d.digits("patient0.id", 8)
    d.digits("something.else", 8)
    assert Deriver(7).digits("patient0.id", 8) == first


@given(seed=st.integers(0, 10**6), count=st.integers(2, 12))
def test_digits_have_the_length_asked_and_no_leading_zero(seed: int, count: int) -> None:
    value = Deriver(seed).digits("x", count)
    assert len(value) == count and value.isdigit() and value[0] != "0"


@given(seed=st.integers(0, 10**6), low=st.integers(-50, 50), span=st.integers(0, 100))
def test_integer_and_choice_stay_in_range(seed: int, low: int, span: int) -> None:
    d = Deriver(seed)
    assert low <= d.integer("n", low, low + span) <= low + span
    assert d.choice("c", ["a", "b", "c"]) in {"a", "b", "c"}
    day = d.date("d", dt.date(2020, 1, 1), dt.date(2020, 1, 31))
    assert dt.date(2020, 1, 1) <= day <= dt.date(2020, 1, 31)
    assert 7 <= d.time("t").hour < 18


def test_renderings() -> None:
    assert dicom_date(dt.date(2024, 1, 3)) == "20240103"
    assert dicom_time(dt.time(9, 5, 7)) == "090507"
    assert dicom_datetime(dt.date(2024, 1, 3), dt.time(9, 5, 7)) == "20240103090507"
    assert IMPLEMENTATION_CLASS_UID.startswith("2.25.")


def test_age_counts_whole_years_at_the_study_date() -> None:
    birth = dt.date(1960, 6, 15)
    assert age_string(birth, dt.date(2024, 6, 14)) == "063Y"
    assert age_string(birth, dt.date(2024, 6, 15)) == "064Y"
