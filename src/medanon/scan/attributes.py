"""Walk every element of a header, at every depth, into census observations.

Each element becomes an :data:`AttributeKey` (its path of tags, private ones by creator
and element byte, and its VR) and a 64-bit digest of its value bytes, read off the raw
element without decoding it: hashing a few hundred bytes costs far less than pydicom's
value conversion, and equal bytes mean equal values. Decoded text is made only when a
reviewer asked for the values (``--values``).
"""

from __future__ import annotations

from typing import Any

from pydicom.datadict import dictionary_VR, private_dictionary_VR
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from medanon.dicom.backend.peek import decoded
from medanon.dicom.backend.sequences import decode_sequence
from medanon.errors import InputError
from medanon.scan.record import Attribute, AttributeKey, Step

MAX_DEPTH = 16  # sequences nested deeper than this are not walked (no real file has them)
BINARY_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})
_PADDING = b" \x00"
_VR_CACHE: dict[Step, str] = {}

Observation = tuple[Attribute, bytes | None]
Value = tuple[Attribute, str]
# Attributes already made, by the path of the level they sit in and then by (tag, VR as
# read): most files of a collection repeat the same attributes, and building a path tuple
# for each element of each file costs more than looking it up.
_KEYS: dict[tuple[Step, ...], dict[tuple[int, str | None], Attribute]] = {}
_INTERNED: dict[AttributeKey, Attribute] = {}


def attribute(key: AttributeKey) -> Attribute:
    """The one :class:`Attribute` of ``key`` in this process."""
    found = _INTERNED.get(key)
    if found is None:
        found = _INTERNED[key] = Attribute(key)
    return found


def observe(dataset: Dataset, *, collect_values: bool
            ) -> tuple[list[Observation], list[Value]]:
    """Every element of ``dataset`` and of its sequence items, with its value's bytes.

    The bytes are those of the raw element without trailing padding (sequences have
    none: their items are walked instead). With ``collect_values``, the decoded value of
    every element that is not a sequence is returned too.

    Raises
    ------
    InputError
        A sequence cannot be parsed.
    """
    observations: list[Observation] = []
    values: list[Value] = []
    _walk(dataset, (), observations, values if collect_values else None, 0)
    return observations, values


def _walk(dataset: Dataset, prefix: tuple[Step, ...], observations: list[Observation],
          values: list[Value] | None, depth: int) -> None:
    keys = _KEYS.get(prefix)
    if keys is None:
        keys = _KEYS[prefix] = {}
    creators: dict[tuple[int, int], str] | None = None
    # A copy of the items: decoding a sequence stores the decoded element back.
    for base_tag, element in list(dataset.items()):
        tag = int(base_tag)  # plain ints hash and compare in C; pydicom's BaseTag does not
        read_vr = element.VR
        if tag >> 16 & 1:
            if creators is None:
                creators = _creators(dataset)
            step = _private_step(tag, creators)
            key = attribute(((*prefix, step), read_vr or _dictionary_vr(step)))
        else:
            found = keys.get((tag, read_vr))
            if found is None:
                step = (tag, "")
                found = keys[(tag, read_vr)] = attribute(((*prefix, step),
                                                          read_vr or _dictionary_vr(step)))
            key = found
        path, vr = key.key
        if vr == "SQ":
            observations.append((key, None))
            if depth < MAX_DEPTH:
                for item in _items(dataset, element):
                    _walk(item, path, observations, values, depth + 1)
            continue
        value = element.value
        if type(value) is bytes:
            observations.append((key, value if vr in BINARY_VRS else value.rstrip(_PADDING)))
        else:
            observations.append((key, _text(value).encode("utf-8")))
        if values is not None:
            values.append((key, _value_text(dataset, element, vr)))


def _creators(dataset: Dataset) -> dict[tuple[int, int], str]:
    """The creator string of each private block of one dataset level, by (group, block)."""
    found: dict[tuple[int, int], str] = {}
    for tag, element in dataset.items():
        group, number = tag >> 16, tag & 0xFFFF
        if group & 1 and 0x0010 <= number <= 0x00FF:
            value = element.value
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            found[(group, number)] = str(value).strip(" \x00")
    return found


def _private_step(tag: int, creators: dict[tuple[int, int], str]) -> Step:
    group, number = tag >> 16, tag & 0xFFFF
    if 0x0010 <= number <= 0x00FF:
        return (group << 16 | 0x0010, creators.get((group, number), ""))
    creator = creators.get((group, number >> 8)) if number >= 0x1000 else None
    if creator is None:
        return (tag, None)  # a group length, or an element whose block has no creator
    return (group << 16 | (number & 0xFF), creator)


def _dictionary_vr(step: Step) -> str:
    """The VR an implicit-VR element has by the dictionary (public or private); else UN."""
    cached = _VR_CACHE.get(step)
    if cached is not None:
        return cached
    tag, creator = step
    vr = "UN"
    try:
        if creator == "":
            vr = dictionary_VR(tag)
        elif creator is not None:
            if tag & 0xFFFF == 0x0010:
                vr = "LO"  # a private creator
            else:
                vr = private_dictionary_VR((tag & 0xFFFF0000) | 0x1000 | (tag & 0xFF), creator)
    except KeyError:
        pass
    _VR_CACHE[step] = vr
    return vr


def _items(dataset: Dataset, element: DataElement | RawDataElement) -> list[Dataset]:
    """The items of a sequence element, decoded (the fast decoder first, then pydicom)."""
    if isinstance(element, RawDataElement):
        decoded = decode_sequence(element, dataset)
        if decoded is None:
            try:
                decoded = dataset[element.tag]
            except Exception as exc:  # pydicom raises many kinds on malformed bytes
                raise InputError(f"cannot parse a sequence ({type(exc).__name__})") from None
        element = decoded
    value = element.value
    return [item for item in value if isinstance(item, Dataset)] if value else []


def _value_text(dataset: Dataset, element: DataElement | RawDataElement, vr: str) -> str:
    """The decoded value as a reviewer reads it; binary values as text when they are text."""
    if vr in BINARY_VRS:
        raw = element.value
        return _binary_text(raw) if isinstance(raw, bytes) else _text(raw)
    try:
        return _text(decoded(dataset, element).value)
    except Exception as exc:  # an invalid value: the reviewer sees that it is one
        return f"<undecodable {vr} value: {type(exc).__name__}>"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, MultiValue | list | tuple):
        return "\\".join(_text(v) for v in value)
    if isinstance(value, bytes):
        return _binary_text(value)
    return str(value)


def _binary_text(data: bytes) -> str:
    """Text when the bytes read as printable text (names hide in UN elements), else a size."""
    stripped = data.rstrip(_PADDING)
    for codec in ("utf-8", "latin-1"):
        try:
            text = stripped.decode(codec)
        except UnicodeDecodeError:
            continue
        if text and text.replace("\\", "").isprintable():
            return text
        break
    return f"<{len(data)} bytes>"
