from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from medanon.privacy import anonymize, average_class_size, discernibility, reidentification_risk
from medanon.privacy.metrics import compute_metrics


def test_metric_formulas_on_a_hand_example() -> None:
    sizes = np.array([2, 3, 5])
    assert discernibility(sizes, suppressed=2, total=12) == 4 + 9 + 25 + 24
    assert average_class_size(3, 2, 12, k=2) == pytest.approx((10 / 3) / 2)
    risk = reidentification_risk(sizes, suppressed=2, total=12, threshold=0.3)
    assert risk.prosecutor_highest == 0.5
    assert risk.prosecutor_average == pytest.approx(3 / 10)
    assert risk.records_at_risk == pytest.approx(5 / 12)  # classes of 2 and 3 exceed 0.3
    assert risk.marketer == pytest.approx(4 / 12)


def test_gcp_counts_suppressed_records_as_one_everywhere() -> None:
    m = compute_metrics(["a", "b"], np.array([4]), np.array([[0.5, 0.0]]), suppressed=1,
                        total=5, k=2)
    assert m.gcp_per_qi == {"a": pytest.approx(3 / 5), "b": pytest.approx(1 / 5)}
    assert m.gcp == pytest.approx(0.4)


def test_gcp_with_a_hierarchy_counts_values_present_in_the_data() -> None:
    # "d" is in the hierarchy but not in the data: the domain has 3 values, and node G
    # covers 2 of them, so a class published as G costs (2 - 1) / (3 - 1) = 0.5.
    tree = [("a", "G", "*"), ("b", "G", "*"), ("c", "H", "*"), ("d", "H", "*")]
    table = pa.table({"x": ["a", "b", "a", "b", "c", "c"], "y": [1, 1, 1, 1, 1, 1]})
    result = anonymize(table, qi=["x"], k=2, hierarchies={"x": tree})
    published = result.table.column("x").to_pylist()
    assert published == ["a", "b", "a", "b", "c", "c"]
    result = anonymize(table, qi=["x"], k=3, hierarchies={"x": tree})
    assert result.table.column("x").to_pylist() == ["G"] * 4 + ["*"] * 2 or \
        result.metrics.gcp_per_qi["x"] == pytest.approx(
            sum(0.5 if v == "G" else (1.0 if v == "*" else 0.0)
                for v in result.table.column("x").to_pylist()) / 6)


def test_numeric_gcp_uses_the_whole_columns_range() -> None:
    table = pa.table({"age": [20, 22, 40, 41, 60, 60]})
    result = anonymize(table, qi=["age"], k=2)
    assert result.table.column("age").to_pylist() == ["20-22", "20-22", "40-41", "40-41",
                                                      "60", "60"]
    assert result.metrics.gcp == pytest.approx((2 * 2 / 40 + 2 * 1 / 40) / 6)
    assert result.metrics.dm == 12
    assert result.metrics.classes == 3
