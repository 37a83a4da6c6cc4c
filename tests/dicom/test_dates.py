"""Per-patient date shifting: intervals survive, calendar dates do not."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medanon.custody.keys import SecretKey
from medanon.dicom.dates import (
    MAX_SHIFT_WEEKS,
    MIN_SHIFT_WEEKS,
    date_offset_days,
    shift_da,
    shift_da_range,
    shift_dt,
)
from medanon.dicom.quiet import quiet_pydicom
from medanon.errors import DeidentificationError
from medanon.profile.model import Option
from tests.dicom.builders import ct_dataset, ruleset, transform

KEY = SecretKey(b"k" * 32)
MODIFIED = [Option.RETAIN_LONGITUDINAL_MODIFIED_DATES]

dates = st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2100, 12, 31))
identities = st.text(min_size=1, max_size=40).map(lambda t: "id:" + t)
keys = st.binary(min_size=16, max_size=48).map(SecretKey)


def da(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def parse(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%Y%m%d").date()


@given(keys, identities)
def test_offset_is_whole_weeks_between_one_and_ten_years_back(key: SecretKey,
                                                              identity: str) -> None:
    offset = date_offset_days(key, identity)
    assert offset % 7 == 0
    assert -7 * MAX_SHIFT_WEEKS <= offset <= -7 * MIN_SHIFT_WEEKS < 0
    assert offset == date_offset_days(SecretKey(key.material), identity)


@given(identities, dates, dates)
def test_shifting_preserves_intervals_between_two_dates_of_a_patient(
        identity: str, first: dt.date, second: dt.date) -> None:
    offset = date_offset_days(KEY, identity)
    new_first, new_second = parse(shift_da(da(first), offset)), parse(shift_da(da(second), offset))
    assert new_second - new_first == second - first
    assert new_first != first
    assert new_first.weekday() == first.weekday(), "whole weeks keep the day of the week"


@given(identities, dates)
def test_same_key_same_shift_and_dt_agrees_with_da(identity: str, day: dt.date) -> None:
    offset = date_offset_days(KEY, identity)
    assert shift_da(da(day), offset) == shift_da(da(day), date_offset_days(KEY, identity))
    assert shift_dt(da(day) + "101500", offset) == shift_da(da(day), offset) + "101500"


def test_different_patients_and_keys_get_different_offsets() -> None:
    offsets = {date_offset_days(KEY, f"id:P{i}") for i in range(50)}
    assert len(offsets) > 30, "offsets must vary between patients"
    other = SecretKey(b"o" * 32)
    assert sum(date_offset_days(KEY, f"id:P{i}") != date_offset_days(other, f"id:P{i}")
               for i in range(50)) > 40


@pytest.mark.parametrize(("value", "length"), [
    ("2019", 4), ("201903", 6), ("20190304", 8), ("2019030410", 10), ("201903041015", 12),
    ("20190304101500", 14), ("20190304101500.123456", 21), ("20190304101500+0100", 19),
    ("20190304101500.5-0500", 21),
])
def test_shift_dt_keeps_precision_and_suffix(value: str, length: int) -> None:
    shifted = shift_dt(value, -364)
    assert len(shifted) == length
    assert shifted[8:] == value[8:] if len(value) > 8 else True
    assert shifted[:4] == "2018"


def test_partial_dt_moves_by_the_whole_offset() -> None:
    assert shift_dt("2019", -7 * 52 * 3) == "2016"
    assert shift_dt("201903", -7 * 9) == "201812"


def test_shift_da_accepts_the_retired_dotted_form_and_empty() -> None:
    assert shift_da("2019.03.04", -7) == "20190225"
    assert shift_da("", -7) == ""
    assert shift_dt("", -7) == ""


def test_shift_da_range() -> None:
    assert shift_da_range("20190301-20190310", -7) == "20190222-20190303"
    assert shift_da_range("-20190310", -7) == "-20190303"
    assert shift_da_range("20190301-", -7) == "20190222-"


@pytest.mark.parametrize("bad", ["2019ABCD", "20191345", "20190230", "190304", "2019-03-04x"])
def test_invalid_dates_are_refused(bad: str) -> None:
    with pytest.raises(DeidentificationError):
        shift_da(bad, -7)


@pytest.mark.parametrize("bad", ["2019ABCD", "20191345", "201902301015", "not a date"])
def test_invalid_datetimes_are_refused(bad: str) -> None:
    with pytest.raises(DeidentificationError):
        shift_dt(bad, -7)


def test_a_date_shifted_out_of_the_calendar_is_refused() -> None:
    with pytest.raises(DeidentificationError):
        shift_da("00010110", -7 * 52)


def test_deidentify_shifts_every_date_of_a_patient_by_one_offset() -> None:
    ds = ct_dataset(patient_id="PID42")
    ds.AcquisitionDateTime = "20190304103000.25"
    ds.ContentDate = "20190101"
    out = transform(ds, ruleset(MODIFIED), KEY).dataset
    offset = date_offset_days(KEY, "id:PID42")
    assert out.StudyDate == shift_da("20190304", offset)
    assert out.AcquisitionDateTime == shift_dt("20190304103000.25", offset)
    assert out.StudyTime == "101500", "whole-day offsets leave the time of day"
    study, content = parse(out.StudyDate), parse(out.ContentDate)
    assert study - content == dt.date(2019, 3, 4) - dt.date(2019, 1, 1)
    # Table E.1-1 gives Patient's Birth Date no modified-dates cell: it is emptied.
    assert out["PatientBirthDate"].is_empty
    assert out.LongitudinalTemporalInformationModified == "MODIFIED"


def test_two_studies_of_a_patient_keep_their_interval() -> None:
    rules = ruleset(MODIFIED)
    first, second = ct_dataset(study=1), ct_dataset(study=2)
    second.StudyDate = "20200611"
    a, b = transform(first, rules, KEY).dataset, transform(second, rules, KEY).dataset
    assert parse(b.StudyDate) - parse(a.StudyDate) == dt.date(2020, 6, 11) - dt.date(2019, 3, 4)


def test_full_dates_keeps_and_basic_profile_empties() -> None:
    ds = ct_dataset()
    kept = transform(ds, ruleset([Option.RETAIN_LONGITUDINAL_FULL_DATES]), KEY).dataset
    assert kept.StudyDate == "20190304" and kept.SeriesDate == "20190304"
    assert kept.LongitudinalTemporalInformationModified == "UNMODIFIED"
    basic = transform(ds, ruleset(), KEY).dataset
    assert basic["StudyDate"].is_empty and basic["PatientBirthDate"].is_empty
    assert basic.SeriesDate == "19000101", "X/D on a Type 2/3 date: the dummy date"
    assert basic.LongitudinalTemporalInformationModified == "REMOVED"


def test_an_unparseable_date_withholds_the_file() -> None:
    ds = ct_dataset()
    with quiet_pydicom():  # pydicom warns about the invalid value as it is set
        ds.StudyDate = "2019XX04"
    with pytest.raises(DeidentificationError) as info:
        transform(ds, ruleset(MODIFIED), KEY)
    assert "2019XX04" not in str(info.value), "messages never quote values"
