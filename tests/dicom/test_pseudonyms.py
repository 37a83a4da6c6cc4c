"""Keyed pseudonyms: the patient's, and those of other names and texts."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from medanon.custody.keys import SecretKey
from medanon.dicom.pseudonyms import (
    MAX_LENGTH,
    patient_identity,
    patient_pseudonym,
    value_hash,
    value_pseudonym,
)
from tests.dicom.builders import ct_dataset, ruleset, transform, uid

KEY = SecretKey(b"k" * 32)
OTHER = SecretKey(b"o" * 32)
PSEUDONYM = re.compile(r"^MA[A-Z2-7]{12}$")
keys = st.binary(min_size=16, max_size=48).map(SecretKey)
identities = st.text(min_size=1, max_size=64)


def test_identity_prefers_patient_id_then_name_and_birth_then_study() -> None:
    ds = ct_dataset(patient_id="PID7", name="DOE^JANE")
    assert patient_identity(ds) == "id:PID7"
    ds.PatientID = "  "
    assert patient_identity(ds) == "name:DOE^JANE|19700215"
    ds.PatientName = ""
    assert patient_identity(ds) == "study:" + uid(1)
    assert patient_identity(Dataset()) == "study:"


@given(keys, identities)
def test_patient_pseudonym_format(key: SecretKey, identity: str) -> None:
    """Valid as LO and as PN component, path-safe, 14 characters."""
    pseudonym = patient_pseudonym(key, identity)
    assert PSEUDONYM.match(pseudonym), pseudonym


@given(identities)
def test_patient_pseudonym_is_deterministic_and_keyed(identity: str) -> None:
    assert patient_pseudonym(KEY, identity) == patient_pseudonym(SecretKey(b"k" * 32), identity)
    assert patient_pseudonym(KEY, identity) != patient_pseudonym(OTHER, identity)


@given(st.sampled_from(sorted(MAX_LENGTH)), st.text(max_size=300), st.text(max_size=20))
def test_value_pseudonym_fits_its_vr(vr: str, value: str, namespace: str) -> None:
    namespace = namespace.encode("ascii", "ignore").decode()
    text = value_pseudonym(KEY, namespace, value, vr)
    assert 0 < len(text) <= min(MAX_LENGTH[vr], 16)
    assert re.fullmatch(r"[A-Z2-7]+", text)
    if vr == "PN":
        assert text.startswith("X"), "a PN pseudonym never looks like a patient pseudonym"


@given(st.sampled_from(sorted(MAX_LENGTH)), st.text(max_size=300))
def test_value_hash_fits_its_vr(vr: str, value: str) -> None:
    text = value_hash(KEY, value, vr)
    assert 0 < len(text) <= min(MAX_LENGTH[vr], 64)
    assert re.fullmatch(r"[0-9A-F]+", text)
    assert text == value_hash(KEY, value, vr) and text != value_hash(OTHER, value, vr)


def test_deidentify_pseudonymises_patient_id_and_name() -> None:
    ds = ct_dataset(patient_id="PID7", name="DOE^JANE")
    result = transform(ds, ruleset(), KEY)
    assert result.patient_pseudonym == patient_pseudonym(KEY, "id:PID7")
    assert result.dataset.PatientID == result.patient_pseudonym
    assert str(result.dataset.PatientName) == result.patient_pseudonym + "^"


def test_one_patient_one_pseudonym_across_files_and_keys_differ() -> None:
    rules = ruleset()
    first = transform(ct_dataset(patient_id="PID7", instance=1), rules, KEY)
    second = transform(ct_dataset(patient_id="PID7", name="DOE^J", instance=2), rules, KEY)
    other_patient = transform(ct_dataset(patient_id="PID8"), rules, KEY)
    other_key = transform(ct_dataset(patient_id="PID7"), rules, OTHER)
    assert first.patient_pseudonym == second.patient_pseudonym
    assert first.patient_pseudonym != other_patient.patient_pseudonym
    assert first.patient_pseudonym != other_key.patient_pseudonym


def test_patient_without_id_gets_a_stable_pseudonym_from_name_and_birth_date() -> None:
    rules = ruleset()
    a, b = ct_dataset(patient_id="", instance=1), ct_dataset(patient_id="", instance=2)
    ta, tb = transform(a, rules, KEY), transform(b, rules, KEY)
    assert ta.patient_pseudonym == tb.patient_pseudonym
    assert PSEUDONYM.match(ta.patient_pseudonym)


@pytest.mark.parametrize("keyword", ["PersonName", "VerifyingObserverName"])
def test_dummy_person_names_are_pseudonyms_not_the_patient_pseudonym(keyword: str) -> None:
    ds = ct_dataset()
    setattr(ds, keyword, "DOE^JOHN")
    result = transform(ds, ruleset(), KEY)
    value = str(result.dataset[keyword].value)
    assert value.endswith("^") and "DOE" not in value
    assert value != result.patient_pseudonym + "^"


def test_person_names_inside_sequences_are_pseudonymised() -> None:
    ds = ct_dataset(name="DOE^JOHN")
    item = Dataset()
    item.PatientName = "DOE^JOHN"  # the same patient, quoted in an item
    item.EvaluatorName = "ROE^RICHARD"  # a PN no rule names: the safety net
    ds.ReferencedSeriesSequence = Sequence([item])
    result = transform(ds, ruleset(), KEY)
    out = result.dataset.ReferencedSeriesSequence[0]
    assert str(out.PatientName) == result.patient_pseudonym + "^"
    assert "ROE" not in str(out.EvaluatorName) and str(out.EvaluatorName).endswith("^")


def test_empty_patient_name_stays_empty() -> None:
    ds = ct_dataset()
    ds.PatientName = ""
    out = transform(ds, ruleset(), KEY).dataset
    assert out["PatientName"].is_empty


printable = st.text(alphabet=st.characters(min_codepoint=0x41, max_codepoint=0x5A),
                    min_size=1, max_size=12)


def fingerprint(ds: Dataset) -> list[tuple[int, str]]:
    return [(int(e.tag), repr(e.value)) for e in ds.iterall()]


@settings(max_examples=40, deadline=None)
@given(printable, printable, printable)
def test_deidentify_is_a_function_of_key_and_input(patient_id: str, family: str,
                                                   given_name: str) -> None:
    rules = ruleset()
    ds = ct_dataset(patient_id=patient_id, name=f"{family}^{given_name}")
    first, again = transform(ds, rules, KEY), transform(ds, rules, SecretKey(b"k" * 32))
    assert fingerprint(first.dataset) == fingerprint(again.dataset)
    other = transform(ds, rules, OTHER)
    assert other.patient_pseudonym != first.patient_pseudonym
    for keyword in ("PatientID", "PatientName", "StudyInstanceUID", "SOPInstanceUID"):
        assert str(other.dataset[keyword].value) != str(first.dataset[keyword].value)
