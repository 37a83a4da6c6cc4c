from __future__ import annotations

import pytest

from medanon.sample import people
from medanon.sample.derive import Deriver
from medanon.sample.people import PersonName, ascii_fold, make_cast

_CODECS = {"ISO_IR 100": "latin-1", "ISO_IR 192": "utf-8", "ISO 2022 IR 87": "iso2022_jp"}


def _pn_bytes(name: PersonName) -> int:
    return len("=".join(group.encode("iso2022_jp").decode("latin-1")
                        for group in name.dicom.split("=")))


def test_every_pool_name_is_encodable_and_fits_the_pn_limit() -> None:
    for slot, pool in people._LATIN_POOLS.items():
        codec = _CODECS[people._CHARSETS[slot][-1]]
        for family, given, _sex in pool:
            name = PersonName(family, given)
            name.dicom.encode(codec)
            assert len(name.dicom) <= 64
            assert ascii_fold(name.folder).isascii()
    for family, given, ideographic, phonetic, _sex in people._JAPANESE_POOL:
        name = PersonName(family, given, ideographic=ideographic, phonetic=phonetic)
        assert _pn_bytes(name) <= 64  # validators count the escape sequences
        assert len(ideographic) >= 6 and len(phonetic) >= 6 and len(name.alphabetic) >= 6


def test_latin_slots_really_need_their_character_set() -> None:
    assert all(any(not c.isascii() for c in f + g) for f, g, _ in people._LATIN_POOLS[0])
    for family, given, _ in people._LATIN_POOLS[4]:
        with pytest.raises(UnicodeEncodeError):
            (family + given).encode("latin-1")


def test_renderings() -> None:
    name = PersonName("MÜLLER", "JÖRG")
    assert name.renderings() == ("MÜLLER^JÖRG", "Jörg Müller", "MÜLLER JÖRG")
    assert name.folder == "MUELLER_JOERG"
    doctor = PersonName("O'HARE", "FINN", prefix="DR")
    assert doctor.alphabetic == "O'HARE^FINN^^DR" and doctor.doctor == "Dr O'Hare"
    japanese = PersonName("KATO", "YUMIKO", ideographic="加藤^由美子", phonetic="かとう^ゆみこ")
    assert japanese.dicom == "KATO^YUMIKO=加藤^由美子=かとう^ゆみこ"
    assert ascii_fold("ØSTERGÅRD SØREN") == "OESTERGARD SOEREN"
    assert ascii_fold("ŠŤASTNÝ") == "STASTNY"


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_cast_is_complete_and_distinct(seed: int) -> None:
    cast = make_cast(Deriver(seed))
    assert [p.slot for p in cast.patients] == [0, 1, 2, 3, 4]
    assert len({p.patient_id for p in cast.patients}) == 5
    assert cast.main_site.name != cast.cd_site.name
    staff = cast.staff
    names = {staff.referring, staff.requesting, staff.performing, staff.reading,
             staff.operator, staff.technologist}
    assert len({n.family for n in names}) == 6
    for patient in cast.patients:
        assert patient.phone.startswith(("+44 1632 960", "+49 30 23125"))
        assert 1.4 < float(patient.size_m) < 2.0
