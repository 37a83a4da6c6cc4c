"""The plan: published values, header representation, and the columnar plan's round trip."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from medanon.collection.patients import AGE, PatientRow
from medanon.collection.planner import (
    PrivacyPlan,
    collection_plan,
    header_value,
    plan_collection,
)
from medanon.privacy.builders import IntervalSpec
from medanon.profile.privacy_section import PrivacySection


def _rows() -> list[PatientRow]:
    """Ten women of 40-49 and one man among five 60-year-old women: sex must mix there."""
    rows = [PatientRow(f"MAW{i:011d}", {AGE: 40.0 + i, "PatientSex": "F",
                                        "PatientWeight": 60.0 + i}, 1, 1) for i in range(10)]
    rows += [PatientRow(f"MAX{i:011d}", {AGE: 60.0 + i % 2, "PatientSex": "M" if i == 0 else "F",
                                         "PatientWeight": 80.0}, 1, 1) for i in range(5)]
    return rows


def test_sex_mixed_in_a_class_is_empty_and_shared_sex_is_written() -> None:
    section = PrivacySection(k=5, quasi_identifiers=(AGE, "PatientSex", "PatientWeight"))
    plan = plan_collection(_rows(), section)
    sexes = dict(zip(plan.patients, plan.header["PatientSex"], strict=True))
    published = dict(zip(plan.patients, plan.published["PatientSex"], strict=True))
    assert published["MAX00000000000"] == "{F,M}"
    assert sexes["MAX00000000000"] == ""
    assert sexes["MAW00000000000"] == "F"
    # without represent = "midpoint", ranges leave the Type 3 attributes out
    ages = dict(zip(plan.patients, plan.header["PatientAge"], strict=True))
    assert ages["MAW00000000000"] is None
    assert plan.header["PatientWeight"][0] is None or "-" not in plan.published["PatientWeight"][0]


def test_the_plan_round_trips_and_patients_of_a_class_share_values() -> None:
    section = PrivacySection(k=5, quasi_identifiers=(AGE, "PatientSex"), represent="midpoint")
    rows = _rows()
    rows[0] = dataclasses.replace(rows[0], study_years={"0123456789abcdef": 3})
    plan = plan_collection(rows, section)
    assert plan.study_years == {"0123456789abcdef": 3}  # the patient's age is written
    again = PrivacyPlan.from_json(plan.as_json())
    assert again == plan and again.fingerprint == plan.fingerprint
    carried = collection_plan(plan)
    assert carried.closed and carried.fingerprint == plan.fingerprint
    assert carried.study_years == plan.study_years
    by_class: dict[int, set[tuple[tuple[int, str | None], ...]]] = {}
    for patient, class_id in zip(plan.patients, plan.classes, strict=True):
        by_class.setdefault(class_id, set()).add(
            tuple(sorted(carried.patient_values[patient].items())))
    assert all(len(values) == 1 for values in by_class.values())
    assert 0x00101010 in carried.patient_values[plan.patients[0]]  # PatientAge


@given(st.integers(min_value=0, max_value=120), st.integers(min_value=0, max_value=30))
def test_an_age_midpoint_lies_in_its_range(low: int, width: int) -> None:
    label = f"{low}-{low + width}" if width else str(low)
    written = header_value(AGE, label, "midpoint")
    assert written is not None and written.endswith("Y") and len(written) == 4
    assert low <= int(written[:3]) <= low + width


@given(st.floats(min_value=0.3, max_value=2.5), st.floats(min_value=0.0, max_value=0.6))
def test_a_decimal_midpoint_lies_in_its_range_and_fits_ds(low: float, width: float) -> None:
    label = f"{low:.6g}-{low + width:.6g}"
    bounds = [float(part) for part in label.split("-")]
    written = header_value("PatientSize", label, "midpoint")
    assert written is not None and len(written) <= 16
    assert bounds[0] <= float(written) <= bounds[1]
    if bounds[0] < bounds[1]:
        assert header_value("PatientSize", label, "omit") is None


def test_a_value_invalid_for_its_vr_is_left_out_not_written() -> None:
    long_name = "A" * 70  # longer than LO allows: published in the release, not in headers
    rows = [PatientRow(f"MA{i:012d}", {AGE: 50.0, "Manufacturer": long_name}, 1, 1)
            for i in range(6)]
    section = PrivacySection(k=5, quasi_identifiers=(AGE, "Manufacturer"))
    plan = plan_collection(rows, section)
    assert set(plan.published["Manufacturer"]) == {long_name}
    assert set(plan.header["Manufacturer"]) == {""}  # Type 2: emptied
    assert set(plan.header["PatientAge"]) == {"050Y"}  # shared exactly: written


def test_a_hierarchy_node_is_released_and_left_out_of_headers(tmp_path: Path) -> None:
    hierarchy = tmp_path / "ethnic.csv"
    hierarchy.write_text("Nordic;European;*\nIberian;European;*\nAndean;American;*\n"
                         "Caribbean;American;*\n", encoding="utf-8")
    groups = ["Nordic", "Iberian", "Nordic", "Iberian", "Nordic",
              "Andean", "Andean", "Andean", "Andean", "Andean", "Andean"]
    rows = [PatientRow(f"MA{i:012d}", {AGE: 50.0 + i % 3, "EthnicGroup": group}, 1, 1)
            for i, group in enumerate(groups)]
    section = PrivacySection(k=5, quasi_identifiers=(AGE, "EthnicGroup"),
                             hierarchies=(("EthnicGroup", str(hierarchy)),))
    plan = plan_collection(rows, section)
    released = dict(zip(plan.patients, plan.published["EthnicGroup"], strict=True))
    written = dict(zip(plan.patients, plan.header["EthnicGroup"], strict=True))
    assert released["MA000000000000"] == "European"
    assert written["MA000000000000"] is None  # Type 3, generalised: removed
    assert released["MA000000000005"] == "Andean" == written["MA000000000005"]


def test_t_closeness_is_planned_and_checked() -> None:
    rows = [PatientRow(f"MA{i:012d}", {AGE: 40.0 + i, "PatientSex": "FM"[i % 2]}, 1, 1)
            for i in range(40)]
    clinical = {row.patient: {"finding": ("a", "b", "c", "d")[i % 4]}
                for i, row in enumerate(rows)}
    section = PrivacySection(k=5, quasi_identifiers=(AGE, "PatientSex"), t=0.3,
                             sensitive="clinical:finding")
    plan = plan_collection(rows, section, clinical)
    assert plan.check["passed"] and plan.check["t"] <= 0.3
    assert plan.method == "k-anonymity k=5 t=0.3 per patient"


def test_builders_and_the_automatic_masking_of_clinical_codes() -> None:
    rows = [PatientRow(f"MA{i:012d}", {AGE: float(30 + i)}, 1, 1) for i in range(20)]
    zips = ("02139", "02141", "02142", "10002")
    clinical = {row.patient: {"zip": zips[i % 4]} for i, row in enumerate(rows)}
    section = PrivacySection(k=5, quasi_identifiers=(AGE, "clinical:zip"),
                             hierarchies=(("age", IntervalSpec((5.0, 10.0, 20.0), 0.0,
                                                               120.0)),),
                             represent="midpoint")
    plan = plan_collection(rows, section, clinical)
    bands = {"30-34", "35-39", "40-44", "45-49", "30-39", "40-49", "20-39", "40-59", "*"}
    for row, band, code in zip(rows, plan.published[AGE], plan.published["clinical:zip"],
                               strict=True):
        assert band in bands
        low, _, high = band.partition("-")
        assert band == "*" or float(low) <= row.values[AGE] <= float(high)
        true = clinical[row.patient]["zip"]
        assert code == "*" or (len(code) == 5 and true.startswith(code.rstrip("*")))
    assert plan.check["passed"]
