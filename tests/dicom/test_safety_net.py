"""The safety net finds a file's own identifying values where Table E.1-1 never looks.

Every value here is synthetic. Datasets go through bytes and back before the transform,
so their elements are raw as a read file's are, and the check is on the written bytes.
"""

from __future__ import annotations

import io
from datetime import date
from functools import cache
from pathlib import Path

import pydicom
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydicom.datadict import DicomDictionary
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

import medanon
from medanon.custody.keys import SecretKey
from medanon.dicom.backend.encode import encode_dataset
from medanon.dicom.quiet import quiet_pydicom
from medanon.dicom.safety_net import SafetyNet, collect_values
from medanon.dicom.transform import Transformed, deidentify
from medanon.profile.model import Ruleset
from medanon.profile.ruleset import build_ruleset
from medanon.profile.structural import structural_tags
from medanon.profile.table import entry_for_tag
from tests.dicom.builders import ct_dataset, ruleset

KEY = SecretKey(bytes(range(32)))
CONSONANTS = "BCDFGHJKLMNPQRSTVWXZ"  # no English word of the fixed output texts
TEMPLATES = ("Pt {} seen today, stable.", "Ref: {}; see prior report", "{}",
             "reviewed with {} at the desk")


@cache
def rules() -> Ruleset:
    return build_ruleset(medanon.default_recipe())


@cache
def unlisted(vrs: frozenset[str]) -> tuple[int, ...]:
    """Public, current attributes of these VRs that neither Table E.1-1 nor the structural
    list names: exactly where the rules keep whatever is written."""
    structural = set(structural_tags())
    return tuple(sorted(
        tag for tag, (vr, _vm, _name, retired, keyword) in DicomDictionary.items()
        if vr in vrs and not retired and keyword and tag >> 16 not in (0x0002, 0x0000)
        and tag not in structural and entry_for_tag(tag) is None
        and rules().rule_for(tag) is None))


def comment_tag() -> int:
    """An unlisted LT, as ImageComments would be if Table E.1-1 did not list it."""
    return next(t for t in text_tags() if DicomDictionary[t][0] == "LT")


def text_tags() -> tuple[int, ...]:
    return unlisted(frozenset({"LO", "SH", "ST", "LT", "UT", "UC"}))


def long_texts() -> tuple[int, ...]:
    return unlisted(frozenset({"LO", "ST", "LT", "UT", "UC"}))


@cache
def fixed_output() -> bytes:
    """What every output says whatever the input (method, option codes), in lower case."""
    return run(ct_dataset())[1].lower()


def sequence_tags() -> tuple[int, ...]:
    return unlisted(frozenset({"SQ"}))


def round_trip(ds: Dataset) -> Dataset:
    """``ds`` written and read again: its elements raw, as the runner reads them."""
    buffer = io.BytesIO()
    with quiet_pydicom():
        pydicom.dcmwrite(buffer, ds, implicit_vr=False, little_endian=True)
        return pydicom.dcmread(io.BytesIO(buffer.getvalue()), force=True)


def run(ds: Dataset) -> tuple[Transformed, bytes]:
    with quiet_pydicom():
        result = deidentify(round_trip(ds), rules(), KEY)
        data = encode_dataset(result.dataset, implicit_vr=False, little_endian=True)
    return result, data


def text_for(tag: int, value: str, template: str) -> str:
    vr = DicomDictionary[tag][0]
    return value if vr == "SH" else template.format(value)


names = st.text(CONSONANTS, min_size=5, max_size=9)
placements = st.lists(st.tuples(st.sampled_from(("name", "given", "id", "birth", "institution",
                                                 "accession", "birth-dotted")),
                                st.integers(0, 3), st.integers(0, 10_000),
                                st.sampled_from(TEMPLATES)), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family=names, given_name=names, patient_id=st.from_regex(r"P[0-9]{6}", fullmatch=True),
       birth=st.dates(date(1900, 1, 1), date(2020, 12, 31)),
       accession=st.from_regex(r"A[0-9]{7}", fullmatch=True),
       institution=st.sampled_from(("SAINT ELSEWHERE HOSPITAL", "Klinikum Nordstadt",
                                    "County General")),
       placements=placements)
def test_planted_identifying_values_never_survive(
        family: str, given_name: str, patient_id: str, birth: date, accession: str,
        institution: str, placements: list[tuple[str, int, int, str]]) -> None:
    birth_text = f"{birth:%Y%m%d}"
    assume(all(n.lower().encode() not in fixed_output() for n in (family, given_name)))
    ds = ct_dataset(patient_id, f"{family}^{given_name}")
    ds.PatientBirthDate = birth_text
    ds.InstitutionName = institution
    ds.AccessionNumber = accession
    planted = {"name": f"{given_name} {family}", "given": given_name, "id": patient_id,
               "birth": birth_text, "institution": institution, "accession": accession,
               "birth-dotted": f"{birth:%d.%m.%Y}"}
    texts, sequences = text_tags(), sequence_tags()
    for kind, depth, pick, template in placements:
        level = ds
        for step in range(depth):  # nested in unlisted sequences the rules keep
            seq_tag = sequences[(pick + step) % len(sequences)]
            if seq_tag not in level:
                level.add_new(seq_tag, "SQ", Sequence([Dataset()]))
            level = level[seq_tag].value[0]
        tag = texts[pick % len(texts)]
        if DicomDictionary[tag][0] == "SH" and len(planted[kind]) > 16:
            tag = long_texts()[pick % len(long_texts())]  # too long for a short string
        level.add_new(tag, DicomDictionary[tag][0], text_for(tag, planted[kind], template))
    _result, data = run(ds)
    lowered = data.lower()
    for value in (family, given_name, patient_id, birth_text, institution, accession,
                  f"{birth:%d.%m.%Y}"):
        assert value.lower().encode("latin-1") not in lowered, "a planted value survived"


def test_name_in_an_unlisted_comment_is_cleaned() -> None:
    ds = ct_dataset("PID0001", "DOE^JOHN")
    ds.add_new(comment_tag(), "LT", "Patient John Doe, scanned twice")  # ImageComments
    tag = text_tags()[0]
    ds.add_new(tag, DicomDictionary[tag][0], "SAINT ELSEWHERE HOSPITAL")
    result, data = run(ds)
    assert b"doe" not in data.lower() and b"john" not in data.lower()
    assert b"SAINT ELSEWHERE" not in data
    comments = str(result.dataset[comment_tag()].value)
    assert comments.startswith("Patient ***") and "scanned twice" in comments
    assert any(f"{comment_tag() & 0xFFFF:04X})" in hit for hit in result.net_hits)
    assert all("DOE" not in hit and "JOHN" not in hit for hit in result.net_hits)


def test_institution_identifier_inside_a_sequence_is_cleaned() -> None:
    ds = ct_dataset()
    ds.IssuerOfPatientID = "SEH-INSTITUTE-0042"
    outer, inner = sequence_tags()[:2]
    item = Dataset()
    tag = text_tags()[1]
    item.add_new(tag, DicomDictionary[tag][0], "site SEH-INSTITUTE-0042 code")
    holder = Dataset()
    holder.add_new(inner, "SQ", Sequence([item]))
    ds.add_new(outer, "SQ", Sequence([holder]))
    result, data = run(ds)
    assert b"SEH-INSTITUTE-0042" not in data
    assert str(result.dataset[outer].value[0][inner].value[0][tag].value).startswith("site ***")


def test_a_kept_attribute_is_still_cleaned_and_a_bare_identifier_dummied() -> None:
    ds = ct_dataset("PID0001", "DOE^JOHN")
    ds.Manufacturer = "ACME for DOE"  # kept by the basic profile
    ds.ManufacturerModelName = "PID0001"
    result, data = run(ds)
    assert str(result.dataset.Manufacturer) == "ACME for ***"
    assert str(result.dataset.ManufacturerModelName) == "ANONYMIZED"
    assert b"PID0001" not in data


def test_untouched_text_is_written_as_read_and_unlisted_free_text_loses_dates() -> None:
    ds = ct_dataset()
    ds.add_new(comment_tag(), "LT", "follow-up 2019-03-04, ref 12345678")
    ds.Manufacturer = "ACME"
    result, data = run(ds)
    assert str(result.dataset[comment_tag()].value) == "follow-up ***, ref ***"
    assert b"\x08\x00\x70\x00LO\x04\x00ACME" in data  # the untouched element, as read


def test_an_explicit_value_set_replaces_the_files_own() -> None:
    ds = ct_dataset("PID0001", "DOE^JOHN")
    ds.Manufacturer = "ACME for DOE and ROE"
    with quiet_pydicom():
        result = deidentify(round_trip(ds), rules(), KEY, identifying_values={"ROE"})
    assert str(result.dataset.Manufacturer) == "ACME for DOE and ***"


def test_collected_values_include_components_and_birth_date_spellings() -> None:
    ds = ct_dataset("PID0001", "DOE^JOHN")
    ds.PatientBirthDate = "19700215"
    values = collect_values(round_trip(ds), rules())
    assert {"DOE^JOHN", "DOE", "JOHN", "PID0001", "19700215", "1970-02-15", "15/02/1970",
            "15.02.1970", "02/15/1970", "SAINT ELSEWHERE HOSPITAL", "ACC778899"} <= values
    net = SafetyNet.of(["Müller"])
    assert net.in_text("dr muller") and net.pattern.search("dr muller") is not None
    assert net.in_bytes("dr müller".encode("latin-1")) and net.in_bytes(b"dr muller")
    assert not net.in_text("dr mueller") and not net.in_bytes(b"dr mueller")


def test_accented_names_are_found_as_written_and_folded() -> None:
    ds = ct_dataset("PID0001", "MÜLLER^JÜRGEN")  # ISO_IR 100, as ct_dataset sets it
    ds.add_new(comment_tag(), "LT", "Herr Müller, also written MULLER, seen by Jürgen")
    result, data = run(ds)
    comments = str(result.dataset[comment_tag()].value)
    assert comments == "Herr ***, also written ***, seen by ***"
    assert "müller".encode("latin-1") not in data.lower() and b"muller" not in data.lower()


def test_a_private_element_the_recipe_keeps_is_cleaned() -> None:
    ds = ct_dataset("PID0001", "DOE^JOHN")
    ds.add_new(0x00090010, "LO", "ACME_1")
    ds.add_new(0x00091001, "LO", "PROTOCOL A for DOE")
    rules = ruleset(extra='[attributes]\n"(0009,xx01)@ACME_1" = "keep"\n')
    with quiet_pydicom():
        out = deidentify(round_trip(ds), rules, KEY)
    assert out.dataset[0x00091001].value == "PROTOCOL A for ***"
    assert out.dataset[0x00090010].value == "ACME_1"
    assert "(0009,1001) private" in out.net_hits


def test_an_unknown_element_that_decodes_as_text_is_cleaned_and_binary_left_alone() -> None:
    ds = ct_dataset("PID0001", "DOE^JOHN")
    ds.add_new(0x00090010, "LO", "ACME_1")
    ds.add_new(0x00091001, "UN", b"PROTOCOL A for DOE")
    ds.add_new(0x00091002, "UN", b"\x00\x01DOE\xff\xfe")
    rules = ruleset(extra='[attributes]\n"(0009,xx01)@ACME_1" = "keep"\n'
                          '"(0009,xx02)@ACME_1" = "keep"\n')
    with quiet_pydicom():
        out = deidentify(round_trip(ds), rules, KEY).dataset
    assert out[0x00091001].value == b"PROTOCOL A for ***"
    assert out[0x00091002].value == b"\x00\x01DOE\xff\xfe"


def test_values_inside_a_removed_sequence_are_searched_for() -> None:
    # OtherPatientIDsSequence is removed by the Basic Profile: its contents never reach the
    # output, but the identifiers in it are still the patient's, quoted elsewhere.
    ds = ct_dataset("PID0001", "DOE^JOHN")
    other = Dataset()
    other.PatientID = "OLDMRN-77812"
    other.IssuerOfPatientID = "NORTHSIDE"
    ds.OtherPatientIDsSequence = Sequence([other])
    ds.add_new(comment_tag(), "LT", "merged from OLDMRN-77812 at NORTHSIDE")
    result, data = run(ds)
    assert b"OLDMRN-77812" not in data and b"NORTHSIDE" not in data
    assert "OtherPatientIDsSequence" not in result.dataset


def test_values_collected_on_the_way_are_those_of_the_separate_walk(tmp_path: Path) -> None:
    """The transform collects as it walks; the standalone walk (for scans) must agree.

    Over every file pydicom ships and the sample collection, de-identifying with the
    values the standalone walk collects gives the very same bytes as letting the
    transform collect them.
    """
    from medanon.sample import generate_sample

    corpus = Path(pydicom.__file__).parent / "data" / "test_files"
    paths = sorted(corpus.rglob("*.dcm"))
    generate_sample(tmp_path / "sample")
    paths += sorted(p for p in (tmp_path / "sample").rglob("*") if p.is_file())
    compared = 0
    for path in paths:
        with quiet_pydicom():
            try:
                ds = pydicom.dcmread(path, force=True)
                values = collect_values(pydicom.dcmread(path, force=True), rules())
                own = deidentify(ds, rules(), KEY, has_pixel_data=True)
                given_values = deidentify(pydicom.dcmread(path, force=True), rules(), KEY,
                                          has_pixel_data=True, identifying_values=values)
                first = encode_dataset(own.dataset, implicit_vr=False, little_endian=True)
                second = encode_dataset(given_values.dataset, implicit_vr=False,
                                        little_endian=True)
            except Exception:  # noqa: S112 - files medanon withholds or cannot read
                continue
        assert first == second, path.name
        compared += 1
    assert compared > 60
