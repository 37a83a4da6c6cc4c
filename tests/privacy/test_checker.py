from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from medanon.errors import InputError
from medanon.privacy import anonymize, check

from .conftest import ADULT_QI


@pytest.fixture(scope="module")
def published(adult: pa.Table, adult_paths: dict[str, Path]) -> pd.DataFrame:
    hierarchies = {name: path for name, path in adult_paths.items() if name in ADULT_QI}
    result = anonymize(adult.to_pandas(), qi=ADULT_QI, sensitive="occupation", k=5, l=3,
                       hierarchies=hierarchies)
    frame = result.table.astype({name: str for name in ADULT_QI})
    assert check(frame, ADULT_QI, "occupation", k=5, l=3).passed
    return frame


def test_checker_catches_a_small_class(published: pd.DataFrame) -> None:
    broken = published.copy()
    broken.loc[0, "age"] = "17-17"
    report = check(broken, ADULT_QI, "occupation", k=5)
    assert not report.passed and report.k == 1
    assert "k: the smallest class has 1 records" in report.violations[0]


def test_checker_catches_a_class_without_diversity(published: pd.DataFrame) -> None:
    broken = published.copy()
    first = broken["equivalence_class"] == broken.loc[0, "equivalence_class"]
    broken.loc[first, "occupation"] = "Sales"
    report = check(broken, ADULT_QI, "occupation", k=5, l=3)
    assert not report.passed and report.l_distinct == 1


def test_checker_catches_suppressed_rows_that_show_values(published: pd.DataFrame) -> None:
    broken = published.copy()
    broken.loc[3, "suppressed"] = True
    report = check(broken, ADULT_QI, "occupation", k=1)
    assert any("still show quasi-identifier values" in v for v in report.violations)


def test_checker_catches_entropy_recursive_and_closeness_violations() -> None:
    table = pa.table({"q": ["a"] * 6 + ["b"] * 6,
                      "s": ["x", "x", "x", "x", "y", "z", "x", "y", "z", "x", "y", "z"]})
    report = check(table, ["q"], "s", l=2.5, l_model="entropy")
    assert not report.passed and report.l_entropy == pytest.approx(
        math.exp(-(4 / 6 * math.log(4 / 6) + 2 * (1 / 6) * math.log(1 / 6))))
    assert not check(table, ["q"], "s", l=2, l_model="recursive", c=1.5).passed
    assert check(table, ["q"], "s", l=2, l_model="recursive", c=3).passed
    report = check(table, ["q"], "s", t=0.1)
    assert not report.passed and report.t == pytest.approx(1 / 6)


def test_checker_uses_the_tree_distance_with_a_sensitive_hierarchy(tmp_path: Path) -> None:
    tree = {"x": ["X", "*"], "y": ["X", "*"], "z": ["Z", "*"]}
    table = pa.table({"q": ["a", "a", "b", "b"], "s": ["x", "y", "x", "z"]})
    # Class a: {x, y} against {x: 1/2, y: 1/4, z: 1/4}: moving 1/4 from y... stays in X
    # costs 1/2 per unit at height 1 of 2 -> the tree distance is 0.25 * 1.0.
    report = check(table, ["q"], "s", t=0.3, sensitive_hierarchy=tree)
    assert report.t == pytest.approx(0.25)
    file = tmp_path / "s.csv"
    file.write_text("x;X;*\ny;X;*\nz;Z;*\n")
    assert check(table, ["q"], "s", t=0.3, sensitive_hierarchy=file).t == pytest.approx(0.25)


def test_checker_names_a_missing_column() -> None:
    with pytest.raises(InputError, match="column 'nope'"):
        check(pa.table({"q": ["a"]}), ["nope"])


PYCANON_PYTHON = Path(os.environ.get(
    "MEDANON_PYCANON_PYTHON",
    Path(__file__).resolve().parents[2] / ".venv-pycanon" / "bin" / "python"))


def _random_frames(count: int) -> list[list[tuple[str, str, str, int]]]:
    rng = np.random.default_rng(20261124)
    frames = []
    for _ in range(count):
        size = int(rng.integers(2, 31))
        frames.append([(str(rng.choice(["a", "b", "c"])), str(rng.choice(["1", "2"])),
                        str(rng.choice(["x", "y", "z", "w"])), int(rng.integers(0, 6)))
                       for _ in range(size)])
    frames.append([("a", "1", "x", 0), ("a", "1", "x", 0)])  # one class, one value
    frames.append([("a", "1", "x", 0), ("b", "2", "y", 5)])  # singletons
    return frames


def test_checker_agrees_with_pycanon() -> None:
    if not PYCANON_PYTHON.exists():
        if os.environ.get("CI"):
            pytest.fail(f"pycanon's venv is missing ({PYCANON_PYTHON}); scripts/test makes it")
        pytest.skip("pycanon's venv (.venv-pycanon, made by scripts/test) is not installed")
    frames = _random_frames(40)
    oracle = Path(__file__).with_name("pycanon_oracle.py")
    done = subprocess.run([str(PYCANON_PYTHON), str(oracle)], input=json.dumps(frames),
                          capture_output=True, text=True, timeout=300, check=True)
    expected = json.loads(done.stdout)
    assert len(expected) == len(frames)
    for rows, figures in zip(frames, expected, strict=True):
        frame = pd.DataFrame(rows, columns=["q1", "q2", "s", "n"])
        qi = ["q1", "q2"]
        report = check(frame, qi, "s", l=1, t=1.0)
        assert report.k == figures["k"], rows
        assert report.l_distinct == figures["l"], rows
        assert int(report.l_entropy + 1e-9) == figures["entropy_l"] or \
            abs(report.l_entropy - round(report.l_entropy)) < 1e-9, rows
        assert report.t == pytest.approx(figures["t"]), rows
        if figures["t_numeric"] is not None:
            numeric = check(frame, qi, "n", t=1.0)
            assert numeric.t == pytest.approx(figures["t_numeric"]), rows


def test_checker_reads_numpy_and_mappings() -> None:
    records = np.array([("a", "x"), ("a", "y")], dtype=[("q", "U1"), ("s", "U1")])
    assert check(records, ["q"], "s", k=2, l=2).passed
    assert check({"q": ["a", "b"], "s": ["x", "y"]}, ["q"], k=2).k == 1
