"""Fixtures of the privacy tests: the Adult slice, its hierarchies, small tables."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pytest

from medanon.privacy.hierarchy import Hierarchy, load_hierarchy

DATA = Path(__file__).parent / "data"
ADULT_QI = ["age", "education", "marital-status", "native-country", "race", "salary-class",
            "sex", "workclass"]
CATEGORICAL = ADULT_QI[1:] + ["occupation"]


@pytest.fixture(scope="session")
def adult() -> pa.Table:
    """The first 1,000 Adult records (`;`-separated, CRLF) as Arrow."""
    return pcsv.read_csv(DATA / "adult_slice.csv",
                         parse_options=pcsv.ParseOptions(delimiter=";"))


@pytest.fixture(scope="session")
def adult_paths() -> dict[str, Path]:
    """Hierarchy file of every categorical Adult column (occupation included)."""
    return {name: DATA / f"adult_hierarchy_{name}.csv" for name in CATEGORICAL}


@pytest.fixture(scope="session")
def adult_hierarchies(adult_paths: dict[str, Path]) -> dict[str, Hierarchy]:
    """Loaded hierarchies of the categorical Adult columns."""
    return {name: load_hierarchy(path) for name, path in adult_paths.items()}
