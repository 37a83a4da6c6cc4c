"""Private attributes: removed unless Retain Safe Private (or a recipe) names them by creator."""

from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from medanon.custody.keys import SecretKey
from medanon.dicom.uids import remap_uid
from medanon.profile.model import Option
from medanon.profile.table import load_safe_private
from tests.dicom.builders import ct_dataset, ruleset, transform, uid

KEY = SecretKey(b"k" * 32)
SAFE = [Option.RETAIN_SAFE_PRIVATE]


def with_private(ds: Dataset, group: int, block: int, creator: str,
                 elements: dict[int, tuple[str, object]]) -> Dataset:
    """Reserve ``block`` of ``group`` for ``creator`` and add ``elements`` (byte → VR, value)."""
    ds.add_new((group << 16) | block, "LO", creator)
    for byte, (vr, value) in elements.items():
        ds.add_new((group << 16) | (block << 8) | byte, vr, value)
    return ds


def private_tags(ds: Dataset) -> set[int]:
    return {int(tag) for tag in ds.keys() if (tag >> 16) % 2 == 1}


def test_all_private_attributes_are_removed_by_default() -> None:
    ds = with_private(ct_dataset(), 0x0019, 0x10, "GEMS_ACQU_01",
                      {0x23: ("DS", "12.5"), 0x24: ("DS", "1.0")})
    ds.add_new(0x00291010, "LO", "orphan")
    out = transform(ds, ruleset(), KEY).dataset
    assert private_tags(out) == set()


def test_safe_private_keeps_listed_elements_with_their_creator() -> None:
    # (0019,xx23)@GEMS_ACQU_01 is Table E.3.10-1's table speed; the block byte is the file's.
    assert any(e.group == 0x0019 and e.creator == "GEMS_ACQU_01" and e.element == 0x23
               for e in load_safe_private())
    ds = with_private(ct_dataset(), 0x0019, 0x12, "GEMS_ACQU_01",
                      {0x23: ("DS", "12.5"), 0x99: ("LO", "DOE^JOHN")})
    out = transform(ds, ruleset(SAFE), KEY).dataset
    assert private_tags(out) == {0x00190012, 0x00191223}
    assert out[0x00191223].value == "12.5"
    assert out[0x00190012].value == "GEMS_ACQU_01"


def test_same_element_under_another_creator_is_removed() -> None:
    ds = with_private(ct_dataset(), 0x0019, 0x10, "SOME_OTHER_VENDOR", {0x23: ("LO", "DOE")})
    out = transform(ds, ruleset(SAFE), KEY).dataset
    assert private_tags(out) == set()


def test_creator_padding_is_ignored_when_matching() -> None:
    ds = with_private(ct_dataset(), 0x0019, 0x10, "GEMS_ACQU_01 ", {0x23: ("DS", "3")})
    out = transform(ds, ruleset(SAFE), KEY).dataset
    assert 0x00191023 in out


def test_orphans_and_unused_creators_are_removed() -> None:
    ds = with_private(ct_dataset(), 0x0019, 0x10, "GEMS_ACQU_01", {0x23: ("DS", "3")})
    ds.add_new(0x00191123, "DS", "4")  # block 0x11 has no creator: an orphan
    ds.add_new(0x00190013, "LO", "GEMS_ACQU_01")  # a creator whose block holds nothing
    out = transform(ds, ruleset(SAFE), KEY).dataset
    assert private_tags(out) == {0x00190010, 0x00191023}


def test_safe_private_uid_is_remapped_unless_retain_uids() -> None:
    entry = next(e for e in load_safe_private() if e.vr == "UI")
    block = 0x10
    tag = (entry.group << 16) | (block << 8) | entry.element
    original = uid(5, 5)

    def build() -> Dataset:
        return with_private(ct_dataset(), entry.group, block, entry.creator,
                            {entry.element: ("UI", original)})

    remapped = transform(build(), ruleset(SAFE), KEY).dataset
    assert remapped[tag].value == remap_uid(KEY, original)
    kept = transform(build(), ruleset([*SAFE, Option.RETAIN_UIDS]), KEY).dataset
    assert kept[tag].value == original


def test_recipe_can_keep_a_private_attribute_by_creator() -> None:
    ds = with_private(ct_dataset(), 0x0009, 0x10, "ACME_1", {0x01: ("LO", "PROTOCOL A")})
    rules = ruleset(extra='[attributes]\n"(0009,xx01)@ACME_1" = "keep"\n')
    out = transform(ds, rules, KEY).dataset
    assert out[0x00091001].value == "PROTOCOL A" and out[0x00090010].value == "ACME_1"


def test_private_elements_inside_sequences_follow_the_same_rules() -> None:
    item = with_private(Dataset(), 0x0019, 0x10, "GEMS_ACQU_01",
                        {0x23: ("DS", "12.5"), 0x98: ("LO", "DOE")})
    item.add_new(0x00291010, "LO", "orphan DOE")
    ds = ct_dataset()
    ds.ReferencedSeriesSequence = Sequence([item])
    out = transform(ds, ruleset(SAFE), KEY).dataset.ReferencedSeriesSequence[0]
    assert private_tags(out) == {0x00190010, 0x00191023}


def test_private_sequence_is_removed_with_everything_inside() -> None:
    inner = Dataset()
    inner.PatientName = "DOE^JOHN"
    ds = ct_dataset()
    ds.add_new(0x00090010, "LO", "ACME_1")
    ds.add_new(0x00091001, "SQ", Sequence([inner]))
    out = transform(ds, ruleset(SAFE), KEY).dataset
    assert private_tags(out) == set()
