from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from medanon.errors import ConfigurationError, InputError, PrivacyError
from medanon.privacy import anonymize

from .conftest import ADULT_QI


def test_adult_slice_with_hierarchies(adult: pa.Table, adult_paths: dict[str, Path]) -> None:
    result = anonymize(adult, qi=ADULT_QI, sensitive="occupation", k=5, l=3,
                       hierarchies=adult_paths)
    assert isinstance(result.table, pa.Table)
    assert result.table.num_rows == adult.num_rows
    assert result.table.column_names == [*adult.column_names, "equivalence_class", "suppressed"]
    assert result.table.column("occupation").equals(adult.column("occupation"))
    assert result.metrics.smallest_class >= 5
    assert 0 < result.metrics.gcp < 0.2
    assert result.check(adult_paths["occupation"]).passed
    counts = np.bincount(result.classes)
    assert result.metrics.dm == int((counts**2).sum())


def test_pandas_in_pandas_out_and_aggregate(adult: pa.Table) -> None:
    frame = adult.to_pandas()
    result = anonymize(frame, qi=["age", "sex", "race"], sensitive="occupation", k=10)
    assert isinstance(result.table, pd.DataFrame)
    assert list(result.table["occupation"]) == list(frame["occupation"])
    summary = result.aggregate()
    assert isinstance(summary, pd.DataFrame)
    assert int(summary["count"].sum()) == len(frame)
    assert list(summary.columns) == ["equivalence_class", "age", "sex", "race", "occupation",
                                     "count"]
    sizes = summary.groupby("equivalence_class")["count"].sum()
    assert (sizes >= 10).all()


def test_numpy_structured_two_dimensional_and_mapping_inputs() -> None:
    ages = np.array([30, 31, 32, 50, 51, 52])
    weights = np.array([60.5, 70.0, 65.0, 90.0, 85.5, 80.0])
    records = np.zeros(6, dtype=[("age", "i8"), ("weight", "f8")])
    records["age"], records["weight"] = ages, weights
    out = anonymize(records, qi=["age", "weight"], k=3)
    assert out.table.dtype.names == ("age", "weight", "equivalence_class", "suppressed")
    assert out.table["age"].tolist() == ["30-32"] * 3 + ["50-52"] * 3
    matrix = np.column_stack([ages, weights])
    out2 = anonymize(matrix, qi=[0, 1], k=3)
    assert out2.table.shape == (6, 4)
    assert out2.table[0, 0] == "30-32"
    out3 = anonymize({"age": ages, "weight": weights}, qi=["age", "weight"], k=3)
    assert out3.table["weight"].tolist()[0] == "60.5-70"
    assert out3.classes.tolist() == out.classes.tolist() == out2.classes.tolist()


def test_missing_quasi_identifier_is_named() -> None:
    with pytest.raises(InputError, match="column 'zip' is not in the table"):
        anonymize(pa.table({"age": [1, 2]}), qi=["age", "zip"], k=1)


def test_k_larger_than_the_table() -> None:
    with pytest.raises(PrivacyError, match="k = 5 is larger than the table"):
        anonymize(pa.table({"age": [1, 2, 3]}), qi=["age"], k=5)


def test_impossible_diversity_is_explained() -> None:
    table = pa.table({"age": [1, 2, 3, 4], "s": ["a", "a", "b", "b"]})
    with pytest.raises(PrivacyError, match="only 2 distinct values"):
        anonymize(table, qi=["age"], sensitive="s", k=2, l=3)


def test_inconsistent_settings_are_refused() -> None:
    table = pa.table({"age": [1, 2], "s": ["a", "b"]})
    with pytest.raises(ConfigurationError, match="both sensitive and a quasi-identifier"):
        anonymize(table, qi=["age", "s"], sensitive="s", k=1)
    with pytest.raises(ConfigurationError, match="need a sensitive column"):
        anonymize(table, qi=["age"], k=1, l=2)
    with pytest.raises(ConfigurationError, match="neither a quasi-identifier"):
        anonymize(table, qi=["age"], k=1, hierarchies={"s": [("a", "*"), ("b", "*")]})
    with pytest.raises(ConfigurationError, match="already has a column"):
        anonymize(pa.table({"age": [1], "suppressed": [0]}), qi=["age"], k=1)


def test_missing_values_error_or_suppress_within_budget() -> None:
    table = pa.table({"age": [30.0, None, 32.0, 33.0, 34.0, 35.0], "s": list("abcabc")})
    with pytest.raises(InputError, match="column 'age': row 2 has a missing"):
        anonymize(table, qi=["age"], k=2)
    with pytest.raises(PrivacyError, match="suppression budget allows 0"):
        anonymize(table, qi=["age"], k=2, missing="suppress")
    result = anonymize(table, qi=["age"], k=2, missing="suppress", max_suppression=0.2)
    assert result.suppressed.tolist() == [False, True, False, False, False, False]
    assert result.table.column("age").to_pylist()[1] == "*"
    assert result.classes[1] == -1
    assert result.metrics.suppressed == 1
    assert result.metrics.dm == int((np.bincount(result.classes[result.classes >= 0])**2).sum()
                                    ) + 6


def test_entropy_infeasible_table_is_rescued_by_suppression_within_budget() -> None:
    # 8 x "flu" and 2 others: entropy of the table < log 2, so some "flu" must go.
    table = pa.table({"age": list(range(10)), "s": ["flu"] * 8 + ["copd", "asthma"]})
    with pytest.raises(PrivacyError, match="entropy l-diversity"):
        anonymize(table, qi=["age"], sensitive="s", k=2, l=2, l_model="entropy")
    result = anonymize(table, qi=["age"], sensitive="s", k=2, l=2, l_model="entropy",
                       max_suppression=0.5)
    kept = [s for s, gone in zip(table.column("s").to_pylist(), result.suppressed,
                                 strict=True) if not gone]
    # Capping "flu" at 6 gives entropy 0.736 >= log 2 = 0.693; a cap of 7 would not.
    assert result.metrics.suppressed == 2
    assert kept.count("flu") == 6
    assert result.check().passed


def test_output_is_deterministic_and_order_preserving(adult: pa.Table) -> None:
    first = anonymize(adult, qi=["age", "education", "sex"], k=7)
    second = anonymize(adult, qi=["age", "education", "sex"], k=7)
    assert first.table.equals(second.table)
    # Classes are numbered by their first row.
    firsts = [int(np.flatnonzero(first.classes == c)[0]) for c in range(first.metrics.classes)]
    assert firsts == sorted(firsts)


def test_dates_and_continuous_columns_end_to_end() -> None:
    import datetime as dt

    rng = np.random.default_rng(7)
    days = [dt.date(2020, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 400, 300)]
    frame = pd.DataFrame({"weight": rng.normal(75, 12, 300).round(2), "seen": days,
                          "sex": pd.Categorical(rng.choice(["F", "M"], 300)),
                          "dx": rng.choice(["a", "b", "c", "d"], 300)})
    result = anonymize(frame, qi=["weight", "seen", "sex"], sensitive="dx", k=4, l=2)
    seen = [str(v) for v in result.table["seen"]]
    assert all(len(v) == 10 or (len(v) == 21 and v[10] == "/") for v in seen)
    assert result.check().passed


def test_sort_and_histogram_indexes_give_the_same_classes(monkeypatch: pytest.MonkeyPatch,
                                                          adult: pa.Table) -> None:
    from medanon.privacy import partition, rankindex

    first = anonymize(adult, qi=ADULT_QI, sensitive="occupation", k=5, l=2)
    monkeypatch.setattr(partition, "build_index",
                        lambda column, pid, starts, lob, hib, card:
                        rankindex.SortIndex(column, pid, starts, card))
    second = anonymize(adult, qi=ADULT_QI, sensitive="occupation", k=5, l=2)
    assert np.array_equal(first.classes, second.classes)
    assert first.table.equals(second.table)


def test_small_histogram_budget_evaluates_in_chunks(monkeypatch: pytest.MonkeyPatch,
                                                    adult: pa.Table,
                                                    adult_paths: dict[str, Path]) -> None:
    from medanon.privacy import partition

    first = anonymize(adult, qi=ADULT_QI, sensitive="occupation", k=5, l=3,
                      hierarchies=adult_paths)
    monkeypatch.setattr(partition, "HISTOGRAM_CELLS", 200)
    second = anonymize(adult, qi=ADULT_QI, sensitive="occupation", k=5, l=3,
                       hierarchies=adult_paths)
    assert first.table.equals(second.table)
