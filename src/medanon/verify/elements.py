"""One pass over a data set's elements, converting only what the checks read.

Every element at every depth is visited, but only text needs converting: a number (US,
FL, ...) is judged by its tag alone, and a binary value (OB, OW) is searched as its
bytes. The conversion is pydicom's own (``ds[tag]`` on the element ``get_item`` gives
raw), and its result is remembered by the element's raw bytes: the slices of a series
repeat most of their values, and the same bytes under the same tag, VR and character
set always convert to the same text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag

from medanon.verify.findings import tag_text

TEXT_VRS = frozenset({"PN", "LO", "SH", "ST", "LT", "UT", "UC", "AE", "CS", "DA", "DT",
                      "TM", "AS", "IS", "DS", "UR", "UI"})
BLOB_VRS = frozenset({"OB", "UN", "OW"})
#: VRs whose values no check reads: the element is judged by its tag, never converted.
NUMERIC_VRS = frozenset({"US", "SS", "UL", "SL", "FL", "FD", "SV", "UV", "AT", "OD", "OF",
                         "OL", "OV"})
PIXEL_TAGS = frozenset({0x7FE00010, 0x7FE00008, 0x7FE00009})
_CHARSET = BaseTag(0x00080005)
#: Raw values longer than this are converted every time (long text is rarely repeated).
MEMO_VALUE_BYTES = 512
MEMO_ENTRIES = 20_000

Charset = tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class Facts:
    """What the checks read of one element's value."""

    vr: str
    keyword: str
    #: Text VRs: each value as text. OB, OW, UN: the bytes decoded two ways, for the
    #: search. Numbers, sequences, pixel data and overlay bits: nothing.
    texts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Place:
    """An element (what its value says) and the tag path that leads to it."""

    path: str
    tag: BaseTag
    facts: Facts
    creators: dict[int, str]  # the private creators of the data set holding it

    @property
    def vr(self) -> str:
        """The element's VR, as pydicom resolves it."""
        return self.facts.vr

    @property
    def keyword(self) -> str:
        """The DICOM keyword; "" for private and unknown elements."""
        return self.facts.keyword

    @property
    def texts(self) -> tuple[str, ...]:
        """See :attr:`Facts.texts`."""
        return self.facts.texts


@dataclass
class Memo:
    """Facts by (tag, raw VR, raw bytes, character set); emptied when full."""

    entries: dict[tuple[object, ...], Facts] = field(default_factory=dict)

    def get(self, key: tuple[object, ...]) -> Facts | None:
        """The facts remembered for ``key``, if any."""
        return self.entries.get(key)

    def put(self, key: tuple[object, ...], facts: Facts) -> None:
        """Remember ``facts``; a full memo starts again (bounded memory, any corpus)."""
        if len(self.entries) >= MEMO_ENTRIES:
            self.entries.clear()
        self.entries[key] = facts


def facts_of(element: DataElement) -> Facts:
    """The facts of a converted element."""
    vr, value, tag = element.VR, element.value, int(element.tag)
    overlay_bits = (tag >> 16) & 0xFF00 == 0x6000 and tag & 0xFFFF == 0x3000
    texts: tuple[str, ...] = ()
    if tag in PIXEL_TAGS or vr == "SQ" or value is None:
        pass
    elif vr in TEXT_VRS:
        items = list(value) if isinstance(value, MultiValue | list | tuple) else [value]
        texts = tuple(str(v) for v in items)
    elif vr in BLOB_VRS and isinstance(value, bytes | bytearray) and not overlay_bits:
        raw = bytes(value)  # searched as text; overlay bits are reported as an overlay
        texts = (raw.decode("latin-1"), raw.decode("utf-8", errors="ignore"))
    return Facts(vr, element.keyword, texts)


def walk(ds: Dataset, memo: Memo, prefix: str = "", charset: Charset = None
         ) -> Iterator[Place]:
    """Every element at every depth, in tag order, with its tag path.

    ``charset`` is the Specific Character Set the data set inherits (pydicom decodes an
    item with its parent's unless the item has its own).
    """
    charset = charset_of(ds, charset)
    creators: dict[int, str] = {}  # filled in tag order: a creator precedes its block
    for tag in sorted(ds.keys()):
        facts, element = resolve(ds, tag, memo, charset)
        path = prefix + tag_text(tag)
        if tag.is_private and 0x10 <= tag.element <= 0xFF:
            creators[int(tag)] = "\\".join(facts.texts).strip().upper()
        yield Place(path, tag, facts, creators)
        if facts.vr == "SQ" and element is not None and element.value is not None:
            for number, item in enumerate(element.value):
                yield from walk(item, memo, f"{path}[{number}].", charset)


def charset_of(ds: Dataset, inherited: Charset) -> Charset:
    """The Specific Character Set pydicom decodes ``ds`` with: its own, else its parent's."""
    if _CHARSET not in ds:
        return inherited
    value = ds[_CHARSET].value
    items = value if isinstance(value, MultiValue | list | tuple) else [value]
    return tuple(str(v) for v in items if v is not None)


def vr_of(raw: RawDataElement | DataElement) -> str | None:
    """The VR as read (or, in implicit VR, the dictionary's), without converting anything.

    None where pydicom has to decide (a private element in implicit VR, an unknown tag).
    """
    vr = raw.VR
    if vr is None and not raw.tag.is_private:
        try:
            vr = dictionary_VR(raw.tag)
        except KeyError:
            vr = None
    return vr


def resolve(ds: Dataset, tag: BaseTag, memo: Memo, charset: Charset
            ) -> tuple[Facts, DataElement | None]:
    """The facts of one element, and the converted element when it had to be converted.

    ``charset``: the data set's, as :func:`charset_of` gives it.
    """
    raw = ds.get_item(tag)
    if not isinstance(raw, RawDataElement):
        return facts_of(raw), raw
    vr = vr_of(raw)
    if vr in NUMERIC_VRS or int(tag) in PIXEL_TAGS and raw.VR is not None:
        # Judged by tag alone; pixel values (the image, searched raw) are never decoded.
        return Facts(vr, keyword_for_tag(tag), ()), None
    value = raw.value
    if vr not in TEXT_VRS and vr not in ("OB", "OW") or not isinstance(value, bytes) \
            or len(value) > MEMO_VALUE_BYTES:
        element = ds[tag]  # a sequence, a VR pydicom resolves (UN, ambiguous), long values
        return facts_of(element), element
    key = (int(tag), vr, value, charset)
    facts = memo.get(key)
    if facts is None:
        facts = facts_of(ds[tag])
        memo.put(key, facts)
    return facts, None
