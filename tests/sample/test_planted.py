from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydicom._dicom_dict import DicomDictionary, RepeatersDictionary
from pydicom._uid_dict import UID_dictionary
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileDataset

from medanon.sample import SampleCollection, byte_patterns

KINDS = {"patient-name", "patient-id", "other-patient-id", "birth-date", "address", "phone",
         "clinician-name", "institution", "station-name", "device-serial", "accession-number",
         "study-id", "procedure-id", "study-date", "uid"}

# Attributes whose every value must be on the planted list (beyond PN and UI, checked by VR).
IDENTIFYING = {"PatientID", "AccessionNumber", "StudyID", "InstitutionName",
               "InstitutionAddress", "InstitutionalDepartmentName", "StationName",
               "DeviceSerialNumber", "PatientAddress", "PatientTelephoneNumbers",
               "IssuerOfPatientID", "RequestedProcedureID", "ScheduledProcedureStepID",
               "PerformedProcedureStepID", "OtherPatientIDs"}


def _walk(ds: Dataset) -> Iterator[DataElement]:
    for element in ds:
        yield element
        if element.VR == "SQ":
            for item in element.value:
                yield from _walk(item)


def test_every_planted_value_is_in_some_file_or_path(
    sample: SampleCollection, haystack: bytes
) -> None:
    missing = [v for v in sample.planted if not any(p in haystack for p in byte_patterns(v))]
    assert missing == []


def test_planted_values_are_distinctive(sample: SampleCollection) -> None:
    vocabulary = "\n".join(
        [f"{entry[2]}\n{entry[4]}" for entry in DicomDictionary.values()]
        + [f"{entry[2]}\n{entry[4]}" for entry in RepeatersDictionary.values()]
        + [f"{uid}\n{entry[0]}" for uid, entry in UID_dictionary.items()]
    ).lower()
    for value in sample.planted:
        assert len(value) >= 6, value
        assert value.lower() not in vocabulary, value


def test_planted_kinds_are_documented_and_all_used(sample: SampleCollection) -> None:
    assert {p.kind for p in sample.planted_values} == KINDS
    assert sorted({p.value for p in sample.planted_values}) == list(sample.planted)
    assert len(sample.planted_of("patient-name")) >= 5 * 4


def test_names_appear_in_several_renderings(sample: SampleCollection) -> None:
    names = sample.planted_of("patient-name")
    assert any("^" in n for n in names)
    assert any(" " in n and n != n.upper() for n in names)  # "Jörg Müller"
    assert any(" " in n and n == n.upper() and "^" not in n for n in names)  # "MÜLLER JÖRG"


def test_identifying_attributes_are_all_planted(
    sample: SampleCollection, datasets: dict[str, FileDataset],
    cohort_datasets: dict[str, FileDataset]
) -> None:
    planted = set(sample.planted)
    public_uids = set(UID_dictionary)
    unplanted: set[tuple[str, str]] = set()
    for ds in [*datasets.values(), *cohort_datasets.values()]:
        for element in _walk(ds):
            values = element.value if element.VM > 1 else [element.value]
            for value in values:
                if value in (None, ""):
                    continue
                text = str(value)
                if element.VR == "PN":
                    groups = [value.alphabetic, value.ideographic, value.phonetic]
                    unplanted |= {(element.keyword, g) for g in groups if g and g not in planted}
                elif element.VR == "UI":
                    if text not in public_uids and text not in planted:
                        unplanted.add((element.keyword, text))
                elif element.VR in ("DA", "DT"):
                    if text[:8] not in planted:
                        unplanted.add((element.keyword, text))
                elif element.keyword in IDENTIFYING and text not in planted:
                    unplanted.add((element.keyword, text))
    assert unplanted == set()


@pytest.mark.parametrize("value", ["MÜLLER^JÖRG", "加藤^由美子", "plain"])
def test_byte_patterns_cover_the_encodings_used(value: str) -> None:
    patterns = byte_patterns(value)
    assert value.encode("utf-8") in patterns
    if value.isascii():
        assert patterns == (value.encode(),)
    elif value.startswith("M"):
        assert value.encode("latin-1") in patterns
    else:
        assert value.encode("iso2022_jp").startswith(b"\x1b$B") and len(patterns) == 2
