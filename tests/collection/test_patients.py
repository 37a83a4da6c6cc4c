"""Header → file row → patient row: parsing, missing-value policy and aggregation."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

from medanon.collection.patients import (
    AGE,
    FIRST_STUDY_YEAR,
    aggregate_patients,
    completed_years,
    file_row,
    parse_age_string,
    patient_table,
    unparseable_counts,
)
from medanon.custody.keys import SecretKey
from medanon.dicom.pseudonyms import patient_pseudonym


def header(**values: str) -> Dataset:
    """A header as read from a file: raw elements, invalid values left as they are."""
    values = {"PatientID": "MRN-0001", "StudyInstanceUID": "1.2.3.4", **values}
    dataset = Dataset()
    for keyword, text in values.items():
        tag = tag_for_keyword(keyword)
        assert tag is not None
        data = text.encode("ascii")
        data += b"\x00" if keyword.endswith("UID") and len(data) % 2 else b" " * (len(data) % 2)
        dataset[tag] = RawDataElement(BaseTag(tag), dictionary_VR(tag), len(data), data, 0,
                                      False, True)
    return dataset


def test_row_is_keyed_by_the_output_pseudonym_never_the_id(key: SecretKey) -> None:
    row = file_row(header(PatientAge="064Y", PatientSex="F"), key)
    assert row.patient == patient_pseudonym(key, "id:MRN-0001")
    assert "MRN-0001" not in repr(row)
    assert "1.2.3.4" not in repr(row)


def test_values_are_parsed(key: SecretKey) -> None:
    dataset = header(PatientAge="064Y", PatientSex="f", PatientSize="1.72",
                     PatientWeight="81.5", EthnicGroup="X", Manufacturer="ACME",
                     StudyDate="20190304", BodyPartExamined="CHEST")
    row = file_row(dataset, key)
    assert row.values[AGE] == 64
    assert row.values["PatientSex"] == "F"
    assert row.values["PatientSize"] == pytest.approx(1.72)
    assert row.values["PatientWeight"] == pytest.approx(81.5)
    assert row.values["Manufacturer"] == "ACME"
    assert row.study_date == "2019-03-04"
    assert row.unparseable == ()


def test_the_dataset_is_left_unchanged(key: SecretKey) -> None:
    dataset = header(PatientAge="064Y", PatientWeight="70")
    before = repr(dataset)
    file_row(dataset, key)
    assert repr(dataset) == before


def test_age_from_birth_date_when_patient_age_is_absent(key: SecretKey) -> None:
    row = file_row(header(PatientBirthDate="19500610", StudyDate="20200609"), key)
    assert row.values[AGE] == 69
    row = file_row(header(PatientBirthDate="19500610", StudyDate="20200610"), key)
    assert row.values[AGE] == 70


@pytest.mark.parametrize(("text", "years"), [
    ("065Y", 65), ("006M", 0), ("018M", 1), ("003W", 0), ("400D", 1), ("000Y", 0),
    ("65Y", None), ("065y", None), ("abc", None), ("999Y", None), ("", None)])
def test_age_strings(text: str, years: int | None) -> None:
    assert parse_age_string(text) == years


@pytest.mark.parametrize(("keyword", "text"), [
    ("PatientAge", "sixty"), ("PatientWeight", "-3"), ("PatientWeight", "80 kg"),
    ("PatientSize", "175"), ("PatientSex", "X"), ("PatientBirthDate", "19501340")])
def test_unparseable_values_are_missing_and_named_by_keyword(key: SecretKey, keyword: str,
                                                             text: str) -> None:
    values = {keyword: text, "StudyDate": "20200101"}
    if keyword == "PatientBirthDate":
        values["PatientAge"] = ""
    row = file_row(header(**values), key)
    name = {"PatientAge": AGE, "PatientBirthDate": AGE}.get(keyword, keyword)
    assert row.values[name] is None
    assert keyword in row.unparseable
    assert text not in repr(row.unparseable)


def test_several_values_in_a_single_valued_row_are_missing(key: SecretKey) -> None:
    dataset = header(PatientWeight="70\\71")
    assert file_row(dataset, key).values["PatientWeight"] is None


def test_patient_row_takes_the_first_study(key: SecretKey) -> None:
    later = file_row(header(PatientAge="066Y", PatientWeight="75", StudyDate="20210101",
                            StudyInstanceUID="1.2.9"), key)
    first = file_row(header(PatientAge="064Y", PatientWeight="80", StudyDate="20190101"),
                     key)
    undated = file_row(header(PatientAge="070Y", StudyInstanceUID="1.2.10"), key)
    for rows in ([later, first, undated], [undated, first, later, first]):
        (patient,) = aggregate_patients(rows)
        assert patient.values[AGE] == 64
        assert patient.values["PatientWeight"] == 80
        assert patient.values[FIRST_STUDY_YEAR] == 2019
        assert patient.studies == 3
        assert patient.study_years == {later.study: 2}  # undated and first: no years
    assert aggregate_patients([later, first, undated])[0].files == 3


def test_a_later_age_grows_by_the_whole_years_since_the_first_study() -> None:
    from medanon.dicom.plan import age_in_later_study

    assert age_in_later_study("064Y", 2) == "066Y"
    assert age_in_later_study("998Y", 2) is None  # beyond what AS can hold
    assert age_in_later_study("", 2) is None and age_in_later_study("006M", 1) is None


def test_missing_at_the_first_study_falls_back_to_a_later_one(key: SecretKey) -> None:
    first = file_row(header(StudyDate="20190101"), key)
    later = file_row(header(PatientWeight="75", StudyDate="20210101",
                            StudyInstanceUID="1.2.9"), key)
    (patient,) = aggregate_patients([first, later])
    assert patient.values["PatientWeight"] == 75
    assert patient.values[AGE] is None


def test_patient_table_columns_and_counts(key: SecretKey) -> None:
    rows = [file_row(header(PatientID=f"P{i % 3}", PatientAge=f"0{40 + i % 3}Y",
                            PatientSex="M", PatientWeight="bad" if i == 0 else "70",
                            StudyDate="20200101"), key) for i in range(7)]
    patients = aggregate_patients(rows)
    table = patient_table(patients)
    assert table.column_names[0] == "patient"
    assert table.column_names[-2:] == ["studies", "files"]
    assert table.num_rows == 3
    assert sum(table.column("files").to_pylist()) == 7
    assert table.schema.field(AGE).type == "double"
    assert table.schema.field("PatientSex").type == "string"
    assert unparseable_counts(patients) == {"PatientWeight": 1}


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 1, 1)),
       st.integers(min_value=0, max_value=40000))
def test_completed_years_matches_a_birthday_count(birth: dt.date, days: int) -> None:
    on = birth + dt.timedelta(days=days)
    birthdays = sum(1 for year in range(birth.year + 1, on.year + 1)
                    if _birthday(birth, year) <= on)
    expected = birthdays if birthdays <= 150 else None
    assert completed_years(birth, on) == expected


def _birthday(birth: dt.date, year: int) -> dt.date:
    try:
        return birth.replace(year=year)
    except ValueError:  # 29 February in a common year: the birthday is on 1 March
        return dt.date(year, 3, 1)
