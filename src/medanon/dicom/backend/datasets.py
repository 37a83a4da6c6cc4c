"""Build pydicom datasets without pydicom's per-attribute ``__setattr__``.

``Dataset.__init__`` sets about a dozen attributes, each through ``Dataset.__setattr__``
(a keyword check in Python), which costs more than everything else medanon does to a
small sequence item. The reader and the transform make several datasets per file, so
:func:`new_dataset` copies the state of one template dataset instead: the same
attributes with the same values, the mutable ones (dicts) fresh for every dataset. A
test holds it to ``Dataset(elements).__dict__``. With the backend off
(:func:`~medanon.dicom.backend.general_path_only`) the public constructors run instead.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping, MutableSequence
from typing import Any

from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.tag import BaseTag

from medanon.dicom.backend.availability import is_available

Elements = MutableMapping[BaseTag, DataElement | RawDataElement]

_TEMPLATE: dict[str, Any] = {}
_MUTABLE: tuple[str, ...] = ()


def _template() -> dict[str, Any]:
    """The state of an empty Dataset, taken once (pydicom's config is read at that time)."""
    global _MUTABLE
    if not _TEMPLATE:
        state = dict(vars(Dataset({})))
        _MUTABLE = tuple(name for name, value in state.items()
                         if isinstance(value, (dict, list, set)) and name != "_dict")
        _TEMPLATE.update(state)
    return _TEMPLATE


def new_dataset(elements: Elements, *, implicit_vr: bool | None = None,
                little_endian: bool | None = None,
                character_set: str | MutableSequence[str] | None = None,
                parent_encoding: str | MutableSequence[str] | None = None) -> Dataset:
    """The same dataset as ``Dataset(elements)`` (then ``set_original_encoding``), faster.

    ``elements`` is used as it is, not copied, exactly as ``Dataset`` does with a dict.
    """
    if not is_available():
        public = Dataset(elements) if parent_encoding is None else \
            Dataset(elements, parent_encoding=parent_encoding)
        public.set_original_encoding(implicit_vr, little_endian, character_set)
        return public
    state = dict(_TEMPLATE or _template())
    for name in _MUTABLE:
        state[name] = state[name].copy()
    state["_dict"] = elements
    state["_read_implicit"] = implicit_vr
    state["_read_little"] = little_endian
    if character_set is not None:
        state["_read_charset"] = character_set
    if parent_encoding is not None:
        state["_parent_encoding"] = parent_encoding
    dataset = Dataset.__new__(Dataset)
    vars(dataset).update(state)
    return dataset


def new_file_meta(elements: Elements) -> FileMetaDataset:
    """The same as ``FileMetaDataset(elements)`` for group 2 elements, faster.

    A file meta dataset holds the state of a plain dataset (its constructor only adds a
    check that every element is of group 2, which the caller guarantees).
    """
    if not is_available():
        return FileMetaDataset(elements)
    if any(tag >> 16 != 2 for tag in elements):
        raise ValueError("file meta information holds group 2 elements only")
    state = dict(_TEMPLATE or _template())
    for name in _MUTABLE:
        state[name] = state[name].copy()
    state["_dict"] = elements
    meta = FileMetaDataset.__new__(FileMetaDataset)
    vars(meta).update(state)
    return meta


def store_raw(dataset: Dataset, elements: Iterable[RawDataElement]) -> None:
    """Store raw public elements in ``dataset`` as they are.

    For a public tag that is all ``Dataset.__setitem__`` would do, after its checks on
    private creators and the pixel representation (which concern no public raw element).
    """
    if not is_available():
        for element in elements:
            dataset[element.tag] = element
        return
    stored = dataset._dict
    for element in elements:
        stored[element.tag] = element
