"""Read access to the shipped PS3.15 tables (Table E.1-1 and Table E.3.10-1).

The JSON files under ``data/`` are produced by :mod:`medanon.profile.generate`;
this module only loads them (once per process) into frozen dataclasses and
answers lookups. It never reads the raw source files, so a run does not depend
on their format.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from medanon.errors import InputError
from medanon.profile.model import Option, PrivateKey
from medanon.profile.tablefiles import (
    BASIC_CODES,
    FORMAT_VERSION,
    OPTION_CODES,
    SAFE_PRIVATE_OUTPUT,
    TABLE_OUTPUT,
    read_data_text,
)

EntryKind = Literal["tag", "mask", "private"]


@dataclass(frozen=True)
class TableEntry:
    """One row of Table E.1-1.

    ``kind`` is "tag" for an ordinary attribute (``tag`` set), "mask" for a
    repeating group such as (60XX,3000) (``mask``/``mask_value`` set), or
    "private" for the single "(GGGG,EEEE) where GGGG is odd" row, which no tag
    matches here: private elements are handled through ``Ruleset.private``.
    ``option_cells`` holds the non-empty option columns, in :class:`Option` order.
    """

    name: str
    tag_text: str
    kind: EntryKind
    tag: int | None
    mask: int | None
    mask_value: int | None
    keyword: str | None
    vr: str | None
    retired: bool | None
    std_comp_iod: bool
    basic: str
    option_cells: tuple[tuple[Option, str], ...]

    @property
    def label(self) -> str:
        """The keyword when pydicom knows one, else the name printed in the standard."""
        return self.keyword or self.name

    @property
    def is_sequence(self) -> bool:
        """True for attributes of VR SQ (their compound actions resolve differently)."""
        return self.vr == "SQ"

    def cell(self, option: Option) -> str | None:
        """The option's code for this row ("K" or "C"), or None when the cell is empty."""
        for cell_option, code in self.option_cells:
            if cell_option is option:
                return code
        return None

    def matches(self, tag: int) -> bool:
        """True when ``tag`` is this row's attribute (never true for the private row)."""
        if self.kind == "tag":
            return tag == self.tag
        if self.kind == "mask":
            assert self.mask is not None and self.mask_value is not None
            return tag & self.mask == self.mask_value
        return False


@dataclass(frozen=True)
class SafePrivateEntry:
    """One row of Table E.3.10-1: a private attribute the standard lists as safe to keep."""

    group: int
    element: int
    creator: str
    vr: str | None
    vm: str
    meaning: str

    @property
    def key(self) -> PrivateKey:
        """The key the transform looks the element up by (group, creator, element byte)."""
        return PrivateKey(group=self.group, creator=self.creator, element=self.element)

    @property
    def text(self) -> str:
        """The attribute in the standard's notation, e.g. ``(0019,xx23)@GEMS_ACQU_01``."""
        return f"({self.group:04X},xx{self.element:02X})@{self.creator}"


def _load_document(name: str) -> list[dict[str, Any]]:
    try:
        document = json.loads(read_data_text(name))
    except (OSError, ValueError) as exc:
        raise InputError(f"package data file {name} is missing or unreadable: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT_VERSION:
        raise InputError(f"package data file {name} has an unexpected format")
    rows = document.get("rows")
    if not isinstance(rows, list):
        raise InputError(f"package data file {name} has no rows")
    return rows


#: Each option with its value, looked up once: ``Option.value`` is slow to read, and every
#: run reads the whole table (about 600 rows) before its first file, reruns included.
_OPTION_VALUES = tuple((option, option.value) for option in Option)


def _entry(row: dict[str, Any]) -> TableEntry:
    basic = row["basic"]
    cells = row["options"]
    if basic not in BASIC_CODES or not OPTION_CODES.issuperset(cells.values()):
        raise InputError(f"{TABLE_OUTPUT}: row {row['tag_text']} has an unknown action code")
    return TableEntry(
        name=row["name"],
        tag_text=row["tag_text"],
        kind=row["kind"],
        tag=row["tag"],
        mask=row["mask"],
        mask_value=row["mask_value"],
        keyword=row["keyword"],
        vr=row["vr"],
        retired=row["retired"],
        std_comp_iod=row["std_comp_iod"],
        basic=basic,
        option_cells=tuple(
            (option, cells[value]) for option, value in _OPTION_VALUES if value in cells
        ) if cells else (),
    )


@cache
def load_table() -> tuple[TableEntry, ...]:
    """Every row of Table E.1-1 in the source's order (loaded once, then cached)."""
    return tuple(_entry(row) for row in _load_document(TABLE_OUTPUT))


@cache
def _by_tag() -> dict[int, TableEntry]:
    return {entry.tag: entry for entry in load_table() if entry.tag is not None}


def entry_for_tag(tag: int) -> TableEntry | None:
    """The Table E.1-1 row governing a public ``tag`` (exact rows first, then masks)."""
    entry = _by_tag().get(tag)
    if entry is not None:
        return entry
    for candidate in load_table():
        if candidate.kind == "mask" and candidate.matches(tag):
            return candidate
    return None


def private_entry() -> TableEntry:
    """The "(GGGG,EEEE) where GGGG is odd" row."""
    for entry in load_table():
        if entry.kind == "private":
            return entry
    raise InputError(f"{TABLE_OUTPUT} has no private-attributes row")


@cache
def load_safe_private() -> tuple[SafePrivateEntry, ...]:
    """Every row of Table E.3.10-1 (loaded once, then cached)."""
    return tuple(
        SafePrivateEntry(
            group=row["group"],
            element=row["element"],
            creator=row["creator"],
            vr=row["vr"],
            vm=row["vm"],
            meaning=row["meaning"],
        )
        for row in _load_document(SAFE_PRIVATE_OUTPUT)
    )
