from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest

from medanon.errors import InputError
from medanon.profile import generate
from medanon.profile.generate import (
    build_safe_private,
    build_table,
    mask_for_pattern,
    render,
)

from .conftest import SOURCE_DIR


def test_shipped_files_match_a_fresh_generation() -> None:
    fresh = generate.generate(SOURCE_DIR)
    for name, text in fresh.items():
        shipped = resources.files("medanon.profile").joinpath("data", name).read_text("utf-8")
        assert shipped == text, f"{name} is stale: run python -m medanon.profile.generate"


def test_check_mode_reports_stale_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generate, "DATA_DIR", tmp_path)
    assert generate.main(["--check"]) == 1  # nothing written yet
    assert not list(tmp_path.iterdir())
    assert generate.main([]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["safe_private.json", "table_e1_1.json"]
    assert generate.main(["--check"]) == 0


def test_package_data_is_reachable_through_importlib_resources() -> None:
    data = resources.files("medanon.profile").joinpath("data")
    for name in ("table_e1_1.json", "safe_private.json", "source/PROVENANCE.md"):
        assert data.joinpath(name).is_file()
    provenance = data.joinpath("source", "PROVENANCE.md").read_text("utf-8")
    assert "Permission is hereby granted, free of charge" in provenance
    assert "7f4749d09ed3ef2fa70637d376d423a4b13523cd" in provenance


def test_every_source_row_becomes_one_entry() -> None:
    source = (SOURCE_DIR / "confidentiality_profile_attributes.json").read_bytes()
    document = build_table(source)
    assert len(document["rows"]) == len(json.loads(source)) == 621
    kinds = [row["kind"] for row in document["rows"]]
    assert kinds.count("mask") == 3 and kinds.count("private") == 1


@pytest.mark.parametrize(
    ("group", "element", "mask", "value"),
    [
        ("60XX", "3000", 0xFF01FFFF, 0x60003000),
        ("50XX", "XXXX", 0xFF010000, 0x50000000),
        ("0010", "0010", 0xFFFFFFFF, 0x00100010),
        ("0028", "04X0", 0xFFFFFF0F, 0x00280400),
    ],
)
def test_mask_for_pattern(group: str, element: str, mask: int, value: int) -> None:
    assert mask_for_pattern(group, element) == (mask, value)


def _one_row(**changes: str) -> bytes:
    row = {
        "name": "Accession Number",
        "tag": "(0008,0050)",
        "stdCompIOD": "Y",
        "basicProfile": "Z",
        "id": "00080050",
    }
    row.update(changes)
    return json.dumps([row]).encode()


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"basicProfile": "Q"}, "unknown Basic Profile code"),
        ({"stdCompIOD": "maybe"}, "stdCompIOD"),
        ({"cleanDescOpt": "X"}, "unknown cleanDescOpt code"),
        ({"newColumnOpt": "K"}, "unknown columns"),
        ({"tag": "(0008,005)"}, "cannot read tag"),
        ({"tag": "(0009,0050)"}, "odd (private) group"),
    ],
)
def test_generator_rejects_unexpected_source_content(
    changes: dict[str, str], fragment: str
) -> None:
    with pytest.raises(InputError, match=re.escape(fragment)):
        build_table(_one_row(**changes))


def test_generator_rejects_duplicate_rows() -> None:
    row = json.loads(_one_row())[0]
    with pytest.raises(InputError, match="twice"):
        build_table(json.dumps([row, row]).encode())


def test_safe_private_rows_are_normalised() -> None:
    source = (SOURCE_DIR / "safe_private_attributes.csv").read_bytes()
    rows = build_safe_private(source)["rows"]
    assert len(rows) == 130
    nq = [r for r in rows if r["creator"] == "NQLeft" and r["element"] == 0x0A]
    assert nq == [
        {
            "group": 0x0199,
            "element": 0x0A,
            "creator": "NQLeft",
            "data_element": "(0199,xx0A)",
            "vr": "FL",
            "vm": "1",
            "meaning": nq[0]["meaning"],
        }
    ]
    assert sum(1 for r in rows if r["vr"] is None) == 5


@pytest.mark.parametrize(
    "line",
    [
        '"(0019,1023)",GEMS_ACQU_01,DS,1,x',  # block byte given, not xx
        '"(0018,xx23)",GEMS_ACQU_01,DS,1,x',  # even group
        '"(0019,xx23)",,DS,1,x',  # no creator
    ],
)
def test_safe_private_generator_rejects_bad_rows(line: str) -> None:
    text = "data_element,private_creator,vr,vm,meaning\n" + line + "\n"
    with pytest.raises(InputError, match="line 2"):
        build_safe_private(text.encode())


def test_render_is_one_row_per_line_and_valid_json() -> None:
    document = {"format": 1, "rows": [{"a": 1}, {"a": 2}]}
    text = render(document)
    assert json.loads(text) == document
    assert text.count("\n") == 7
