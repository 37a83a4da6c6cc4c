"""Synthetic identities for the sample collection: patients, clinicians and sites.

Every name, identifier, address and phone number here is invented. Names are
long and unusual enough that a byte search for them in de-identified output is
meaningful (no planted rendering is shorter than six characters or part of the
DICOM vocabulary). Phone numbers come from ranges reserved for drama (UK
01632 960xxx, Germany 030 23125xxx).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from medanon.sample.derive import Deriver


@dataclass(frozen=True)
class PersonName:
    """A person's name, with the renderings real data uses.

    ``family`` and ``given`` are upper case as DICOM PN values usually are;
    ``ideographic`` and ``phonetic`` are complete PN component groups
    (``FAMILY^GIVEN``) for the Japanese patient, empty otherwise.
    """

    family: str
    given: str
    prefix: str = ""
    ideographic: str = ""
    phonetic: str = ""

    @property
    def alphabetic(self) -> str:
        """The alphabetic component group, ``FAMILY^GIVEN`` (with a prefix if any)."""
        if self.prefix:
            return f"{self.family}^{self.given}^^{self.prefix}"
        return f"{self.family}^{self.given}"

    @property
    def dicom(self) -> str:
        """The full PN value, with ideographic and phonetic groups when present."""
        if self.ideographic or self.phonetic:
            return f"{self.family}^{self.given}={self.ideographic}={self.phonetic}"
        return self.alphabetic

    @property
    def natural(self) -> str:
        """``Given Family`` in title case, as typed into free text ("Jörg Müller")."""
        return f"{_title(self.given)} {_title(self.family)}"

    @property
    def spaced(self) -> str:
        """``FAMILY GIVEN``, as RIS exports and burned-in annotations show it."""
        return f"{self.family} {self.given}"

    @property
    def folder(self) -> str:
        """``FAMILY_GIVEN`` folded to ASCII, as export tools name folders."""
        return f"{ascii_fold(self.family)}_{ascii_fold(self.given)}".replace(" ", "_")

    @property
    def doctor(self) -> str:
        """``Dr Family``, as a report or request mentions a clinician."""
        return f"Dr {_title(self.family)}"

    def renderings(self) -> tuple[str, ...]:
        """The whole-name renderings written in attributes and free text (not paths)."""
        forms = [self.alphabetic, f"{self.family}^{self.given}", self.natural, self.spaced,
                 self.ideographic, self.phonetic]
        return tuple(dict.fromkeys(f for f in forms if f))


def _title(text: str) -> str:
    return " ".join(part.capitalize() if "'" not in part else part.title() for part in text.split())


_FOLD = {"Æ": "AE", "Ø": "OE", "Ð": "D", "Þ": "TH", "Ł": "L", "ß": "SS", "Ü": "UE", "Ö": "OE",
         "Ä": "AE"}


def ascii_fold(text: str) -> str:
    """Fold accented Latin to ASCII the way export tools do (``MÜLLER`` -> ``MUELLER``)."""
    out = "".join(_FOLD.get(ch, ch) for ch in text)
    decomposed = unicodedata.normalize("NFKD", out)
    return "".join(ch for ch in decomposed if ord(ch) < 128 and ch not in "'")


@dataclass(frozen=True)
class Patient:
    """One synthetic patient and the character set its datasets are written in."""

    slot: int
    name: PersonName
    sex: str
    patient_id: str
    other_id: str
    birth_date: dt.date
    size_m: str
    weight_kg: str
    address: str
    phone: str
    character_set: tuple[str, ...]
    mother_birth_name: PersonName | None = None


@dataclass(frozen=True)
class Site:
    """An institution with its equipment identities."""

    name: str
    address: str
    department: str
    ct_station: str
    mr_station: str
    us_station: str
    ct_serial: str
    mr_serial: str
    us_serial: str


@dataclass(frozen=True)
class Staff:
    """The clinicians named in studies (with their ``DR`` prefix) and the operators."""

    referring: PersonName
    requesting: PersonName
    performing: PersonName
    reading: PersonName
    operator: PersonName
    technologist: PersonName


@dataclass(frozen=True)
class Cast:
    """Everyone and everywhere the sample collection mentions."""

    patients: tuple[Patient, ...]
    main_site: Site
    cd_site: Site
    staff: Staff


# (family, given, sex) per slot; slot 2 adds the ideographic and phonetic groups.
_LATIN_POOLS: dict[int, tuple[tuple[str, str, str], ...]] = {
    0: (("MÜLLER", "JÖRG", "M"), ("KÖHLER", "BÄRBEL", "F"), ("SCHRÖDER", "GÜNTHER", "M"),
        ("HÄUSSLER", "URSULA", "F")),
    1: (("GARCÍA LÓPEZ", "MARÍA JOSÉ", "F"), ("LEFÈVRE", "HÉLOÏSE", "F"), ("NÚÑEZ", "IÑAKI", "M"),
        ("BEAUCHÊNE", "FRANÇOIS", "M")),
    3: (("ØSTERGÅRD", "SØREN", "M"), ("LINDQVIST", "ÅSTRID", "F"), ("HÆGSTAD", "BJØRN", "M"),
        ("SIGURÐARDÓTTIR", "HALLDÓRA", "F")),
    4: (("DVOŘÁKOVÁ", "ZDEŇKA", "F"), ("WIŚNIEWSKI", "ŁUKASZ", "M"), ("KOVAČEVIĆ", "DRAGANA", "F"),
        ("ŠŤASTNÝ", "OLDŘICH", "M")),
}
_JAPANESE_POOL = (  # whole PN value at most 64 bytes once ISO 2022 escapes are counted
    ("KATO", "YUMIKO", "加藤^由美子", "かとう^ゆみこ", "F"),
    ("ISHIDA", "KAYOKO", "石田^佳代子", "いしだ^かよこ", "F"),
    ("SATO", "MICHIKO", "佐藤^美智子", "さとう^みちこ", "F"),
)
_CHARSETS: dict[int, tuple[str, ...]] = {
    0: ("ISO_IR 100",), 1: ("ISO_IR 100",), 2: ("", "ISO 2022 IR 87"), 3: ("ISO_IR 100",),
    4: ("ISO_IR 192",),
}
_ADDRESSES = {
    0: "{n} Holunderweg, 34519 Diemelsee-Heringhausen",
    1: "Calle de los Almendros {n}, 28471 Navacerrada",
    2: "{n} Threlkeld Mews, Wexcombe WX7 2QD",
    3: "Fjordbakken {n}, 8765 Vestre Lyngsby",
    4: "Ulice Pod Vinohrady {n}, 25163 Strancice",
}
_CLINICIANS = (
    ("FAIRWEATHER", "ROSALIND"), ("OYELARAN", "BABATUNDE"), ("KRISHNAMURTHY", "ANANDITA"),
    ("VASQUEZ-HOLT", "CAMILA"), ("ABERNATHY", "CORMAC"), ("LINDENTHAL", "ANNEGRET"),
    ("MACALLISTER", "FENELLA"), ("OSEI-BONSU", "KWABENA"), ("TREMBLAY-ROY", "GENEVIEVE"),
    ("HOLLINGWORTH", "PERCIVAL"), ("ZAMBRANO", "ESPERANZA"), ("KARAGIANNIS", "STAVROULA"),
)
_SITES = (
    ("ST ALDHELM REGIONAL HOSPITAL", "12 Quarry Lane, Wexcombe WX4 7RT", "RADIOLOGY WEXCOMBE"),
    ("KLINIKUM AM HOLUNDERBERG", "Holunderberg 3, 34508 Willingen-Usseln", "ZENTRALRADIOLOGIE"),
    ("CLINICA SANTA EULALIA DEL MONTE", "Avenida del Pinar 41, 28470 Cercedilla",
     "DIAGNOSTICO POR IMAGEN"),
    ("FJORDBAKKEN UNIVERSITY HOSPITAL", "Sykehusveien 88, 8760 Vestre Lyngsby",
     "BILDEDIAGNOSTIKK"),
)


def make_patient(d: Deriver, slot: int) -> Patient:
    """Draw the patient of ``slot`` (0-4); the slot fixes the language and character set."""
    if slot == 2:
        family, given, ideo, phon, sex = d.choice("patient2.name", _JAPANESE_POOL)
        name = PersonName(family, given, ideographic=ideo, phonetic=phon)
    else:
        family, given, sex = d.choice(f"patient{slot}.name", _LATIN_POOLS[slot])
        name = PersonName(family, given)
    birth = d.date(f"patient{slot}.birth", dt.date(1938, 1, 1), dt.date(1994, 12, 31))
    height = d.integer(f"patient{slot}.height", 152, 176) + (10 if sex == "M" else 0)
    weight = d.integer(f"patient{slot}.weight", 52, 96) + (8 if sex == "M" else 0)
    phone = (f"+49 30 23125{d.digits(f'patient{slot}.phone', 3)}" if slot in (0, 4)
             else f"+44 1632 960{d.digits(f'patient{slot}.phone', 3)}")
    mother = None
    if slot == 0:
        mother = PersonName(d.choice("patient0.mother", ("HOFSTETTER", "BRÜGGEMANN")), "ILSEGARD")
    return Patient(
        slot=slot,
        name=name,
        sex=sex,
        patient_id=f"PID{d.digits(f'patient{slot}.id', 8)}",
        other_id=f"MRN-{d.digits(f'patient{slot}.mrn', 7)}",
        birth_date=birth,
        size_m=f"{height / 100:.2f}",
        weight_kg=str(weight),
        address=_ADDRESSES[slot].format(n=d.integer(f"patient{slot}.house", 11, 97)),
        phone=phone,
        character_set=_CHARSETS[slot],
        mother_birth_name=mother,
    )


def _site(d: Deriver, label: str, exclude: int | None = None) -> tuple[Site, int]:
    indices = [i for i in range(len(_SITES)) if i != exclude]
    index = d.choice(f"{label}.site", indices)
    name, address, department = _SITES[index]
    code = "".join(word[0] for word in name.split())
    return Site(
        name=name,
        address=address,
        department=department,
        ct_station=f"{code}CT{d.digits(f'{label}.ctstation', 4)}",
        mr_station=f"{code}MR{d.digits(f'{label}.mrstation', 4)}",
        us_station=f"{code}US{d.digits(f'{label}.usstation', 4)}",
        ct_serial=f"CTS{d.digits(f'{label}.ctserial', 9)}",
        mr_serial=f"MRS{d.digits(f'{label}.mrserial', 9)}",
        us_serial=f"USS{d.digits(f'{label}.usserial', 9)}",
    ), index


def make_cast(d: Deriver) -> Cast:
    """Draw five patients, two sites (the main one and a CD's origin) and the staff."""
    main, main_index = _site(d, "main")
    cd, _ = _site(d, "cd", exclude=main_index)
    order = sorted(range(len(_CLINICIANS)), key=lambda i: d.integer(f"clinician.{i}", 0, 2**31))
    people = [PersonName(*_CLINICIANS[i], prefix="DR") for i in order[:4]]
    operators = [PersonName(*_CLINICIANS[i]) for i in order[4:6]]
    return Cast(
        patients=tuple(make_patient(d, slot) for slot in range(5)),
        main_site=main,
        cd_site=cd,
        staff=Staff(
            referring=people[0], requesting=people[1], performing=people[2], reading=people[3],
            operator=operators[0], technologist=operators[1],
        ),
    )
