"""Derive the shipped rule tables from the copied PS3.15 source files.

Run ``python -m medanon.profile.generate`` after updating a file in
``data/source/`` (``--check`` only compares). The output is normalised so that
the run-time loader needs no parsing of tag text: integer tags, mask/value pairs
for the repeating groups, option cells keyed by :class:`~medanon.profile.model.Option`
values, and keyword/VR taken from pydicom's data dictionary. A test regenerates
both files in memory and fails when the shipped copies disagree, so a pydicom
upgrade that changes a keyword or VR cannot slip in unnoticed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from medanon.errors import InputError
from medanon.profile.model import Option
from medanon.profile.tablefiles import (  # the format, shared with the loader
    BASIC_CODES,
    FORMAT_VERSION,
    OPTION_CODES,
    SAFE_PRIVATE_OUTPUT,
    TABLE_OUTPUT,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
SOURCE_DIR = DATA_DIR / "source"
TABLE_SOURCE = "confidentiality_profile_attributes.json"
SAFE_PRIVATE_SOURCE = "safe_private_attributes.csv"

#: Column keys of the Innolitics JSON, mapped to the option names medanon uses.
SOURCE_OPTION_KEYS: Mapping[str, Option] = {
    "rtnSafePrivOpt": Option.RETAIN_SAFE_PRIVATE,
    "rtnUIDsOpt": Option.RETAIN_UIDS,
    "rtnDevIdOpt": Option.RETAIN_DEVICE_IDENTITY,
    "rtnInstIdOpt": Option.RETAIN_INSTITUTION_IDENTITY,
    "rtnPatCharsOpt": Option.RETAIN_PATIENT_CHARACTERISTICS,
    "rtnLongFullDatesOpt": Option.RETAIN_LONGITUDINAL_FULL_DATES,
    "rtnLongModifDatesOpt": Option.RETAIN_LONGITUDINAL_MODIFIED_DATES,
    "cleanDescOpt": Option.CLEAN_DESCRIPTORS,
    "cleanStructContOpt": Option.CLEAN_STRUCTURED_CONTENT,
    "cleanGraphOpt": Option.CLEAN_GRAPHICS,
}


_EXACT_TAG = re.compile(r"\(([0-9A-F]{4}),([0-9A-F]{4})\)")
_MASK_TAG = re.compile(r"\(([0-9A-FX]{4}),([0-9A-FX]{4})\)")
_SAFE_PRIVATE_TAG = re.compile(r"\(([0-9A-Fa-f]{4}),[xX]{2}([0-9A-Fa-f]{2})\)")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def mask_for_pattern(group: str, element: str) -> tuple[int, int]:
    """Return ``(mask, value)`` for a tag pattern whose unknown hex digits are ``X``.

    When the group's last digit is free, the group's lowest bit joins the mask
    with value 0: repeating groups such as (60xx,3000) only ever occupy even
    groups, and an odd group there is a private group that must never match.
    """
    text = (group + element).upper()
    mask = 0
    value = 0
    for char in text:
        mask <<= 4
        value <<= 4
        if char != "X":
            mask |= 0xF
            value |= int(char, 16)
    if group.upper().endswith("X"):
        mask |= 0x00010000
    return mask, value


def _dictionary_info(tag: int) -> tuple[str | None, str | None, bool | None]:
    """Keyword, VR and retirement of ``tag`` from pydicom's dictionary (None when unknown)."""
    try:
        from pydicom import datadict  # loaded on first use, as in the rest of profile/

        vr = datadict.dictionary_VR(tag)  # also finds repeater entries such as (60xx,3000)
    except KeyError:
        return None, None, None
    keyword = datadict.keyword_for_tag(tag) or None
    return keyword, vr, bool(datadict.dictionary_is_retired(tag))


def _table_row(raw: Mapping[str, Any]) -> dict[str, Any]:
    name = str(raw["name"])
    tag_text = str(raw["tag"])
    basic = str(raw["basicProfile"])
    if basic not in BASIC_CODES:
        raise InputError(f"Table E.1-1 row {tag_text}: unknown Basic Profile code {basic!r}")
    std = str(raw["stdCompIOD"])
    if std not in ("Y", "N"):
        raise InputError(f"Table E.1-1 row {tag_text}: stdCompIOD must be Y or N, got {std!r}")
    options: dict[str, str] = {}
    for key, option in SOURCE_OPTION_KEYS.items():
        if key in raw:
            cell = str(raw[key])
            if cell not in OPTION_CODES:
                raise InputError(f"Table E.1-1 row {tag_text}: unknown {key} code {cell!r}")
            options[option.value] = cell
    known = {"name", "tag", "id", "stdCompIOD", "basicProfile", *SOURCE_OPTION_KEYS}
    unknown = set(raw) - known
    if unknown:
        raise InputError(f"Table E.1-1 row {tag_text}: unknown columns {sorted(unknown)}")

    row: dict[str, Any] = {"name": name, "tag_text": tag_text}
    exact = _EXACT_TAG.fullmatch(tag_text)
    pattern = _MASK_TAG.fullmatch(tag_text)
    if exact:
        tag = int(exact.group(1) + exact.group(2), 16)
        if tag >> 16 & 1:
            raise InputError(f"Table E.1-1 row {tag_text}: an exact tag in an odd (private) group")
        keyword, vr, retired = _dictionary_info(tag)
        row.update(kind="tag", tag=tag, mask=None, mask_value=None)
    elif pattern:
        mask, value = mask_for_pattern(pattern.group(1), pattern.group(2))
        # A representative tag of the pattern (free digits as 0) finds pydicom's repeater entry.
        keyword, vr, retired = (None, None, None)
        if "X" not in pattern.group(2).upper():
            keyword, vr, retired = _dictionary_info(value)
        row.update(kind="mask", tag=None, mask=mask, mask_value=value)
    elif "ODD" in tag_text.upper() and "GGGG" in tag_text.upper():
        keyword, vr, retired = None, None, None
        row.update(kind="private", tag=None, mask=None, mask_value=None)
    else:
        raise InputError(f"Table E.1-1: cannot read tag {tag_text!r} of row {name!r}")
    row.update(
        keyword=keyword,
        vr=vr,
        retired=retired,
        std_comp_iod=std == "Y",
        basic=basic,
        options=options,
    )
    return row


def build_table(source: bytes) -> dict[str, Any]:
    """Normalise the Innolitics Table E.1-1 JSON into the shipped document."""
    raw_rows = json.loads(source)
    if not isinstance(raw_rows, list):
        raise InputError("Table E.1-1 source: expected a JSON list of rows")
    rows = [_table_row(raw) for raw in raw_rows]
    seen: set[tuple[Any, ...]] = set()
    for row in rows:
        key = (row["kind"], row["tag"], row["mask"], row["mask_value"])
        if key in seen:
            raise InputError(f"Table E.1-1: row {row['tag_text']} appears twice")
        seen.add(key)
    return {
        "format": FORMAT_VERSION,
        "source": {"file": TABLE_SOURCE, "sha256": _sha256(source)},
        "rows": rows,
    }


def build_safe_private(source: bytes) -> dict[str, Any]:
    """Normalise the Table E.3.10-1 CSV: integer group and element byte, creator stripped."""
    reader = csv.DictReader(io.StringIO(source.decode("utf-8")))
    rows: list[dict[str, Any]] = []
    seen: set[tuple[int, str, int]] = set()
    for number, raw in enumerate(reader, start=2):
        match = _SAFE_PRIVATE_TAG.fullmatch(raw["data_element"].strip())
        if not match:
            raise InputError(
                f"{SAFE_PRIVATE_SOURCE} line {number}: data_element must read (gggg,xxee)"
            )
        group = int(match.group(1), 16)
        element = int(match.group(2), 16)
        creator = raw["private_creator"].strip()
        if not group & 1 or not creator:
            raise InputError(f"{SAFE_PRIVATE_SOURCE} line {number}: not a private attribute")
        key = (group, creator, element)
        if key in seen:
            raise InputError(f"{SAFE_PRIVATE_SOURCE} line {number}: duplicate row")
        seen.add(key)
        rows.append(
            {
                "group": group,
                "element": element,
                "creator": creator,
                "data_element": f"({group:04X},xx{element:02X})",
                "vr": raw["vr"].strip() or None,
                "vm": raw["vm"].strip(),
                "meaning": raw["meaning"].strip(),
            }
        )
    return {
        "format": FORMAT_VERSION,
        "source": {"file": SAFE_PRIVATE_SOURCE, "sha256": _sha256(source)},
        "rows": rows,
    }


def render(document: Mapping[str, Any]) -> str:
    """Serialise a generated document: one row per line so that diffs stay readable."""
    head = {key: value for key, value in document.items() if key != "rows"}
    lines = ["{"]
    for key, value in head.items():
        lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},")
    rows = [json.dumps(row, ensure_ascii=False) for row in document["rows"]]
    lines.append('  "rows": [')
    lines.extend(f"    {row}," for row in rows[:-1])
    if rows:
        lines.append(f"    {rows[-1]}")
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def generate(source_dir: Path = SOURCE_DIR) -> dict[str, str]:
    """Return ``{output file name: text}`` built from the source files in ``source_dir``."""
    table = build_table((source_dir / TABLE_SOURCE).read_bytes())
    safe = build_safe_private((source_dir / SAFE_PRIVATE_SOURCE).read_bytes())
    return {TABLE_OUTPUT: render(table), SAFE_PRIVATE_OUTPUT: render(safe)}


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or with ``--check`` compare) the generated files; return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    check = "--check" in args
    stale = []
    for name, text in generate().items():
        target = DATA_DIR / name
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        stale.append(name)
        if not check:
            target.write_text(text, encoding="utf-8")
    if check and stale:
        sys.stderr.write(
            f"out of date: {', '.join(stale)} (run python -m medanon.profile.generate)\n"
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
