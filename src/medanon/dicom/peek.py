"""Read a value from a dataset without converting it in place.

``Dataset.get`` decodes a raw element and stores the decoded element back in the dataset.
That would defeat the fast path (a decoded element can no longer be copied byte for
byte) and would change the caller's dataset. ``peek`` decodes a copy and leaves the
dataset as it was.
"""

from __future__ import annotations

from typing import Any

from pydicom.datadict import tag_for_keyword
from pydicom.dataelem import RawDataElement, convert_raw_data_element
from pydicom.dataset import Dataset


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
