"""Structure checks of one output data set: what must not be there, whatever the values.

Private elements (other than those on the PS3.15 E.3.10 safe list, which the recipe may
keep), overlays and curves, Patient Identity Removed, Burned In Annotation on the
modalities and SOP classes where text in the pixels is common, UIDs outside ``2.25.``
and PN values that are not pseudonyms. Pure: a data set in, findings out.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from pydicom.dataset import Dataset

from medanon.verify.elements import Place
from medanon.verify.findings import Finding

#: Modalities and SOP classes where burned-in text is common (PS3.15 E.1.1 note).
LIKELY_BURNED_IN_MODALITIES = frozenset({"US", "OT", "SC", "XC", "ES", "GM", "SM", "DOC",
                                         "XA", "RF", "IVUS", "OP"})
LIKELY_BURNED_IN_CLASS_ROOT = "1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture family
CLEAN_PIXEL_CODE = "113101"
_PSEUDONYM = re.compile(r"^[A-Z2-7]{8,}$")
_NOT_REMAPPED_OK = frozenset({"TransferSyntaxUID", "ImplementationClassUID",
                              "CodingSchemeUID"})
STANDARD_ROOT = "1.2.840.10008."


@lru_cache(maxsize=1)
def safe_private() -> frozenset[tuple[str, int, int]]:
    """(creator, group, element byte) of the private elements PS3.15 E.3.10 calls safe."""
    text = resources.files("medanon.profile").joinpath("data/safe_private.json").read_text(
        encoding="utf-8")
    rows = json.loads(text)["rows"]
    return frozenset((str(r["creator"]).strip().upper(), int(r["group"]), int(r["element"]))
                     for r in rows)


def private_is_safe(place: Place) -> bool:
    """True for a private creator, or an element on the safe list under its creator."""
    tag = place.tag
    if 0x10 <= tag.element <= 0xFF:
        return True  # a creator element: judged with its block
    creator = place.creators.get((tag.group << 16) | (tag.element >> 8))
    return creator is not None and (creator, tag.group, tag.element & 0xFF) in safe_private()


def check_place(file: str, place: Place, *, against: bool) -> list[Finding]:
    """Findings about one element, whatever its value."""
    tag = place.tag
    out: list[Finding] = []
    if tag.is_private:
        if not private_is_safe(place):
            out.append(Finding(file, place.path, "private", "private element not on the "
                                                             "safe list"))
        return out
    if "." not in place.path and (tag.group & 0xFF00) in (0x6000, 0x5000) and \
            tag.group % 2 == 0:
        kind = "overlay" if tag.group & 0xFF00 == 0x6000 else "curve"
        out.append(Finding(file, place.path, "overlay", f"{kind} element left"))
    elif place.vr == "UI" and not against:
        out += _uid_root(file, place)
    elif place.vr == "PN":
        out += _pseudonyms(file, place)
    return out


def _uid_root(file: str, place: Place) -> list[Finding]:
    keyword = place.keyword
    if keyword.endswith("ClassUID") or keyword in _NOT_REMAPPED_OK:
        return []
    for uid in (v.strip("\x00 ") for v in place.texts):
        if uid and not uid.startswith(("2.25.", STANDARD_ROOT)):
            return [Finding(file, place.path, "uid", "UID not under 2.25. (not remapped?)")]
    return []


def _pseudonyms(file: str, place: Place) -> list[Finding]:
    for item in place.texts:
        for group in item.split("="):
            parts = [p for p in group.split("^") if p.strip()]
            if any(not _PSEUDONYM.match(p.strip()) for p in parts):
                category = "name" if place.keyword.startswith("Patient") else \
                    "physician"
                return [Finding(file, place.path, category, "PN value is not a pseudonym")]
    return []


def check_dataset(file: str, ds: Dataset) -> list[Finding]:
    """Findings about the data set as a whole."""
    out: list[Finding] = []
    if str(ds.get("PatientIdentityRemoved", "") or "").strip().upper() != "YES":
        out.append(Finding(file, "(0012,0062)", "structure", "PatientIdentityRemoved is not "
                                                             "YES"))
    modality = str(ds.get("Modality", "") or "").strip().upper()
    sop_class = str(ds.get("SOPClassUID", "") or "")
    likely = modality in LIKELY_BURNED_IN_MODALITIES or \
        sop_class.startswith(LIKELY_BURNED_IN_CLASS_ROOT)
    burned = str(ds.get("BurnedInAnnotation", "") or "").strip().upper()
    if likely and burned != "NO" and not _pixels_cleaned(ds) and "PixelData" in ds:
        out.append(Finding(file, "(0028,0301)", "burned-in",
                           "BurnedInAnnotation is not NO on a modality where text in the "
                           "pixels is common, and no Clean Pixel Data option is declared"))
    return out


def _pixels_cleaned(ds: Dataset) -> bool:
    for item in ds.get("DeidentificationMethodCodeSequence", None) or []:
        if str(item.get("CodeValue", "")) == CLEAN_PIXEL_CODE:
            return True
    return False
