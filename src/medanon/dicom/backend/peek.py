"""Read a value from a dataset without converting it in place.

``Dataset.get`` decodes a raw element and stores the decoded element back in the dataset.
That would defeat the fast path (a decoded element can no longer be copied byte for
byte) and would change the caller's dataset. ``peek`` decodes a copy and leaves the
dataset as it was; the ``stored_*`` peeks read a canonical value straight off the raw
bytes, so that the element stays raw and is copied as it is. The fast path reads the
dataset's element dict and character set, pydicom internals, hence its place here; on
the general path :func:`peek` and :func:`decoded` use public pydicom only (``get_item``,
``original_character_set``, ``convert_raw_data_element``) and the ``stored_*`` peeks
answer None, so that pydicom decodes.
"""

from __future__ import annotations

from typing import Any

from pydicom.datadict import tag_for_keyword
from pydicom.dataelem import DataElement, RawDataElement, convert_raw_data_element
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

from medanon.dicom.backend.availability import is_available


def _tag(keyword: str) -> BaseTag | None:
    """The tag of a keyword, looked up once (pydicom's Tag() conversion costs more)."""
    try:
        return _TAGS[keyword]
    except KeyError:
        tag = tag_for_keyword(keyword)
        _TAGS[keyword] = found = None if tag is None else BaseTag(tag)
        return found


_TAGS: dict[str, BaseTag | None] = {}


def peek(dataset: Dataset, keyword: str, default: Any = None) -> Any:
    """The value of ``keyword`` in ``dataset`` (decoded), or ``default`` when absent."""
    tag = _tag(keyword)
    if tag is None or tag not in (dataset._dict if is_available() else dataset):
        return default
    return decoded(dataset, dataset.get_item(tag)).value


def decoded(dataset: Dataset, element: DataElement | RawDataElement) -> DataElement:
    """``element`` of ``dataset`` decoded as the dataset decodes it, never stored back.

    The character set is the one the dataset was read with: pydicom's own property for
    the one in force (``_character_set``) would decode the Specific Character Set element
    in place. The two are the same for every dataset medanon reads or builds, which the
    tests holding both paths to the same bytes confirm on the sample collection's
    character sets (Latin-1, ISO 2022 Japanese, UTF-8).
    """
    if isinstance(element, RawDataElement):
        encoding = dataset._character_set if is_available() else dataset.original_character_set
        return convert_raw_data_element(element, encoding=encoding, ds=dataset)
    return element


def _stored(dataset: Dataset, tag: BaseTag | None) -> object:
    """The element stored for ``tag`` as it is (raw or decoded), on the fast path only."""
    return dataset._dict.get(tag) if tag is not None and is_available() else None


def peek_text(dataset: Dataset, keyword: str) -> str:
    """The value of ``keyword`` as text ('' when absent or empty), stripped.

    Plain ASCII (no ISO 2022 escape) reads the same in every character set, so such raw
    bytes are decoded directly; anything else goes through pydicom.
    """
    tag = _tag(keyword)
    element = _stored(dataset, tag)
    if isinstance(element, RawDataElement) and isinstance(element.value, bytes) \
            and element.value.isascii() and b"\x1b" not in element.value:
        return element.value.decode("ascii").strip(" \x00")
    value = peek(dataset, keyword)
    return "" if value is None else str(value).strip()


def stored_uid(dataset: Dataset, keyword: str) -> str | None:
    """The text of a UI element left raw in its canonical form, or None (ask pydicom).

    Reading ``dataset.SOPInstanceUID`` decodes the element in place, and the writer then
    encodes it again. For a single plain-ASCII UID whose bytes are exactly what pydicom
    would write for it (no trailing space, one NUL of padding at most), that round trip
    changes nothing: the text is read off the bytes and the element stays raw, to be
    copied as it is. Anything else returns None and takes pydicom's way.
    """
    tag = _tag(keyword)
    return _canonical_text(_stored(dataset, tag), "UI", b"\x00")


def _canonical_text(element: object, vr: str, padding: bytes) -> str | None:
    """The text of a raw, single, plain-ASCII value stored exactly as pydicom writes it.

    That is: no backslash, and at most one ``padding`` byte to reach an even length. Such
    an element reads as its own bytes, and left raw it is copied with the very bytes
    pydicom would write for its text. None for anything else.
    """
    if not isinstance(element, RawDataElement) or element.VR not in (vr, None):
        return None
    value = element.value
    if not isinstance(value, bytes) or element.length != len(value) or not value.isascii() \
            or b"\\" in value:
        return None
    text = value.rstrip(b"\x00 ")
    return text.decode("ascii") if (text + padding if len(text) % 2 else text) == value \
        else None


CHARSET = BaseTag(0x00080005)
PATIENT_NAME = BaseTag(0x00100010)
# Character sets in which plain ASCII person names decode and encode as themselves.
PLAIN_CHARSETS = frozenset({"", "ISO_IR 6", "ISO_IR 100", "ISO_IR 101", "ISO_IR 109",
                            "ISO_IR 110", "ISO_IR 144", "ISO_IR 127", "ISO_IR 126",
                            "ISO_IR 138", "ISO_IR 148", "ISO_IR 203", "ISO_IR 166",
                            "ISO_IR 192"})


def patient_name_text(dataset: Dataset) -> str:
    """``str(peek(dataset, "PatientName", "") or "")``, off the raw bytes where it can be.

    pydicom decodes a person name through the dataset's character set, decoding the
    Specific Character Set element in place on the way. A name of plain ASCII, without
    component groups, in a single-byte or UTF-8 character set reads as its own bytes,
    and a character set whose bytes are already what pydicom would write back needs no
    decoding to leave the output the same. Anything else goes through pydicom.
    """
    element = _stored(dataset, PATIENT_NAME)
    if isinstance(element, RawDataElement) and element.VR in ("PN", None) \
            and isinstance(element.value, bytes) and _plain_charset(dataset):
        value = element.value
        if value.isascii() and not any(mark in value for mark in (b"=", b"\\", b"\x1b")):
            return value.rstrip(b"\x00 ").decode("ascii")
    return str(peek(dataset, "PatientName", "") or "")


def _plain_charset(dataset: Dataset) -> bool:
    """True when the character set is a plain one and decoding it would change nothing."""
    element = dataset._dict.get(CHARSET)
    if element is None:
        return True
    if isinstance(element, DataElement):
        return isinstance(element.value, str) and element.value in PLAIN_CHARSETS
    return stored_charset(dataset) in PLAIN_CHARSETS


def stored_charset(dataset: Dataset) -> str | None:
    """The Specific Character Set of a raw element that decoding would leave unchanged.

    A single plain-ASCII value whose bytes are exactly what pydicom writes for it (one
    space of padding at most) reads as its own text, and left raw it is copied with the
    very bytes pydicom would write. None otherwise (absent, decoded, or anything else).
    """
    return _canonical_text(_stored(dataset, CHARSET), "CS", b" ")


def stored_creator(dataset: Dataset, tag: BaseTag) -> bytes | None:
    """The bytes of a raw private creator that decoding and encoding again would leave unchanged.

    A single plain-ASCII LO value, its padding exactly what pydicom writes (one space at
    most). Left raw, it is copied to the output with the very bytes pydicom would have
    written for it; anything else returns None and is decoded as before.
    """
    element = _stored(dataset, tag)
    if not isinstance(element, RawDataElement) or element.VR not in ("LO", None):
        return None
    value = element.value
    if not isinstance(value, bytes) or element.length != len(value) or not value.isascii() \
            or b"\\" in value or b"\x1b" in value:
        return None
    text = value.rstrip(b"\x00 ")
    return value if (text + b" " if len(text) % 2 else text) == value else None
