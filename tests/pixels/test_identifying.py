"""The second signal's test of read text against the file's own identifying values."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from medanon.pixels.identifying import IdentifyingText, compact

NAME_PARTS = st.text(alphabet="ABCDEFGHJKMNPQRTUVWXY", min_size=3, max_size=12)
SEPARATORS = st.sampled_from([" ", ", ", "^", ": ", "  ", "\t", "/"])


@given(NAME_PARTS, NAME_PARTS, SEPARATORS, st.text(alphabet="xyz:# ", max_size=8))
def test_a_name_matches_however_the_screen_spells_it(family: str, given_name: str, sep: str,
                                                     noise: str) -> None:
    known = IdentifyingText.of([f"{family}^{given_name}", family, given_name])
    assert known is not None
    assert known.matches(f"{noise}{given_name.lower()}{sep}{family.title()}")
    assert known.matches(f"{family}{sep}{given_name}{noise}")


@given(st.text(alphabet="0123456789", min_size=6, max_size=10), st.data())
def test_a_long_id_matches_with_one_character_misread_or_dropped(value: str,
                                                                 data: st.DataObject) -> None:
    known = IdentifyingText.of([value])
    assert known is not None
    index = data.draw(st.integers(0, len(value) - 1))
    other = data.draw(st.sampled_from([d for d in "0123456789" if d != value[index]]))
    assert known.matches("ID " + value[:index] + other + value[index + 1:])
    assert known.matches("ID " + value[:index] + value[index + 1:])
    words = data.draw(st.text(alphabet="ACDEFGHJKMNPQRTUVWXY ", max_size=30))
    assert not known.matches(words + " " + value[:3])  # words and a few of its digits


def test_birth_dates_match_in_the_safety_nets_spellings() -> None:
    from medanon.dicom.safety_net import _date_spellings

    known = IdentifyingText.of(_date_spellings("19700201"))
    assert known is not None
    for seen in ("DOB 1970-02-01", "01/02/1970", "b. 01.02.1970", "02/01/1970", "19700201"):
        assert known.matches(seen), seen
    assert not known.matches("2024-11-30")


def test_short_values_and_short_reads_never_match() -> None:
    assert IdentifyingText.of(["AB", "X", ""]) is None
    known = IdentifyingText.of(["DOE^JOHN", "DOE", "JOHN", "AB"])
    assert known is not None
    assert not known.matches("AB")
    assert not known.matches("D0")
    assert not known.matches("GAIN 52 DEPTH 16")
    assert known.matches("D0E")  # O and 0 are one shape to OCR


@given(st.text(max_size=40))
def test_compact_keeps_letters_and_digits_only(text: str) -> None:
    assert all(c.isalnum() for c in compact(text))
    assert compact(compact(text)) == compact(text)
