"""Keyed UID remapping: format, consistency, standard UIDs, unlinkability across keys."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from medanon.custody.keys import SecretKey
from medanon.dicom.uids import is_standard_uid, medanon_uid, remap_uid
from medanon.profile.model import Option
from tests.dicom.builders import ct_dataset, ruleset, transform, uid

UID_FORMAT = re.compile(r"^2\.25\.(0|[1-9]\d*)$")
KEY = SecretKey(b"k" * 32)
OTHER = SecretKey(b"o" * 32)

component = st.one_of(st.just("0"), st.from_regex(r"[1-9][0-9]{0,15}", fullmatch=True))
valid_uids = st.lists(component, min_size=2, max_size=12).map(".".join).filter(
    lambda text: len(text) <= 64 and not is_standard_uid(text))
keys = st.binary(min_size=16, max_size=64).map(SecretKey)


@given(valid_uids)
def test_remapped_uid_is_a_valid_2_25_uid(original: str) -> None:
    new = remap_uid(KEY, original)
    assert UID_FORMAT.match(new), new
    assert len(new) <= 64
    assert int(new[5:]) < 2**128  # a UUID-sized integer, as PS3.5 B.2 requires


@given(st.text(min_size=1, max_size=200).filter(lambda t: t.strip("\x00 ")
                                                 and not is_standard_uid(t.strip("\x00 "))))
def test_any_text_becomes_a_valid_uid(original: str) -> None:
    """Even an invalid input UID (a real archive has them) comes out valid."""
    assert UID_FORMAT.match(remap_uid(KEY, original))


@given(valid_uids)
def test_same_key_same_uid(original: str) -> None:
    assert remap_uid(KEY, original) == remap_uid(SecretKey(b"k" * 32), original)


@given(valid_uids, keys, keys)
def test_different_keys_give_different_uids(original: str, first: SecretKey,
                                            second: SecretKey) -> None:
    if first.material != second.material:
        assert remap_uid(first, original) != remap_uid(second, original)


@settings(max_examples=30)
@given(st.lists(valid_uids, min_size=2, max_size=20, unique=True))
def test_distinct_uids_stay_distinct(originals: list[str]) -> None:
    assert len({remap_uid(KEY, u) for u in originals}) == len(originals)


def test_padding_does_not_change_the_mapping() -> None:
    """A UI value padded with NUL (as stored) or spaces is the same UID."""
    assert remap_uid(KEY, "1.2.3.4\x00") == remap_uid(KEY, "1.2.3.4") == remap_uid(KEY, " 1.2.3.4")


def test_standard_and_empty_uids_are_untouched() -> None:
    for standard in ("1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.1"):
        assert remap_uid(KEY, standard) == standard
    assert remap_uid(KEY, "") == ""
    # Only the standard's own root: a look-alike prefix is remapped.
    assert remap_uid(KEY, "1.2.840.100081.5") != "1.2.840.100081.5"


def test_remapping_is_not_identity_and_not_reversible_by_shape() -> None:
    original = uid(1, 2, 3)
    new = remap_uid(KEY, original)
    assert new != original and ROOT_FRAGMENT not in new


ROOT_FRAGMENT = "3680043"


def test_medanon_uid_is_fixed_and_valid() -> None:
    assert medanon_uid("implementation-class") == medanon_uid("implementation-class")
    assert UID_FORMAT.match(medanon_uid("implementation-class"))
    assert medanon_uid("a") != medanon_uid("b")


def test_deidentify_remaps_every_instance_uid_consistently() -> None:
    first, second = ct_dataset(instance=1), ct_dataset(instance=2)
    rules = ruleset()
    out1, out2 = transform(first, rules, KEY).dataset, transform(second, rules, KEY).dataset
    for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID"):
        assert out1[keyword].value == out2[keyword].value == remap_uid(KEY, first[keyword].value)
    assert out1.SOPInstanceUID != out2.SOPInstanceUID
    assert out1.SOPInstanceUID == remap_uid(KEY, first.SOPInstanceUID)
    assert out1.SOPClassUID == first.SOPClassUID, "a SOP class is a standard UID"


def test_retain_uids_keeps_them() -> None:
    ds = ct_dataset()
    out = transform(ds, ruleset([Option.RETAIN_UIDS]), KEY).dataset
    for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID",
                    "FrameOfReferenceUID"):
        assert out[keyword].value == ds[keyword].value


def test_multi_valued_uid_remaps_each_value() -> None:
    ds = ct_dataset()
    ds.add_new(0x00083002, "UI", [uid(7), "1.2.840.10008.1.2.1"])  # AvailableTransferSyntaxUID
    out = transform(ds, ruleset(), KEY).dataset
    assert list(out[0x00083002].value) == [remap_uid(KEY, uid(7)), "1.2.840.10008.1.2.1"]
