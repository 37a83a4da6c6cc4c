"""Shared helpers for the profile tests: the raw source table, read independently of medanon."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

SOURCE_DIR = Path(str(resources.files("medanon.profile").joinpath("data", "source")))


@pytest.fixture(scope="session")
def raw_rows() -> list[dict[str, Any]]:
    """Table E.1-1 exactly as the copied source file has it."""
    rows: list[dict[str, Any]] = json.loads(
        (SOURCE_DIR / "confidentiality_profile_attributes.json").read_text(encoding="utf-8")
    )
    return rows
