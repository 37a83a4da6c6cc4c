"""Read a value from a dataset without converting it in place.

``Dataset.get`` decodes a raw element and stores the decoded element back in the dataset.
That would defeat the fast path (a decoded element can no longer be copied byte for
byte) and would change the caller's dataset. ``peek`` decodes a copy and leaves the
dataset as it was.
"""

from __future__ import annotations

from typing import Any

from pydicom.datadict import tag_for_keyword
from pydicom.dataelem import DataElement, RawDataElement, convert_raw_data_element
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag


def peek(dataset: Dataset, keyword: str, default: Any = None) -> Any:
    """The value of ``keyword`` in ``dataset`` (decoded), or ``default`` when absent."""
    tag = tag_for_keyword(keyword)
    if tag is None or tag not in dataset:
        return default
    element = dataset.get_item(tag)
    if isinstance(element, RawDataElement):
        element = convert_raw_data_element(element, encoding=dataset._character_set,
                                           ds=dataset)
    return element.value


def peek_text(dataset: Dataset, keyword: str) -> str:
    """The value of ``keyword`` as text ('' when absent or empty), stripped.

    Plain ASCII (no ISO 2022 escape) reads the same in every character set, so such raw
    bytes are decoded directly; anything else goes through pydicom.
    """
    tag = tag_for_keyword(keyword)
    element = dataset.get_item(tag) if tag is not None and tag in dataset else None
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
    tag = tag_for_keyword(keyword)
    element = dataset._dict.get(BaseTag(tag)) if tag is not None else None
    if isinstance(element, DataElement) or element is None or element.VR not in ("UI", None):
        return None
    value = element.value
    if not isinstance(value, bytes) or element.length != len(value) or not value.isascii() \
            or b"\\" in value:
        return None
    text = value.rstrip(b"\x00 ")
    if (text + b"\x00" if len(text) % 2 else text) != value:
        return None
    return text.decode("ascii")
