from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medanon.errors import ConfigurationError
from medanon.privacy.emd import emd_equal, emd_hierarchical, emd_ordered
from medanon.privacy.encode import build_tree_tables
from medanon.privacy.models import PrivacyModel, entropy, recursive_ok

from .bruteforce import emd_exact, equal_distance, hierarchical_distance, ordered_distance

# Li et al. (ICDE 2007), disease hierarchy of their Table 3: height 3.
DISEASES = [
    ("gastric ulcer", "stomach diseases", "digestive system diseases", "*"),
    ("gastritis", "stomach diseases", "digestive system diseases", "*"),
    ("stomach cancer", "stomach diseases", "digestive system diseases", "*"),
    ("colitis", "colon diseases", "digestive system diseases", "*"),
    ("colon cancer", "colon diseases", "digestive system diseases", "*"),
    ("flu", "respiratory infection", "respiratory system diseases", "*"),
    ("pneumonia", "respiratory infection", "respiratory system diseases", "*"),
    ("bronchitis", "respiratory infection", "respiratory system diseases", "*"),
    ("pulmonary edema", "vascular lung diseases", "respiratory system diseases", "*"),
]


def test_ordered_distance_matches_the_papers_salary_example() -> None:
    q = np.full(9, 1 / 9)
    p1 = np.array([1 / 3] * 3 + [0.0] * 6)
    p2 = np.zeros(9)
    p2[[3, 5, 8]] = 1 / 3
    got = emd_ordered(np.stack([p1, p2]), q)
    assert got[0] == pytest.approx(0.375)
    assert got[1] == pytest.approx(0.1667, abs=1e-4)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=9, max_size=9),
       st.lists(st.integers(0, 6), min_size=9, max_size=9))
def test_closed_forms_equal_exact_min_cost_flow(a: list[int], b: list[int]) -> None:
    if sum(a) == 0 or sum(b) == 0:
        return
    p = [Fraction(x, sum(a)) for x in a]
    q = [Fraction(x, sum(b)) for x in b]
    pf = np.array([[float(x) for x in p]])
    qf = np.array([float(x) for x in q])
    tree = build_tree_tables(DISEASES)
    cases = [(emd_equal(pf, qf), equal_distance(9)),
             (emd_ordered(pf, qf), ordered_distance(9)),
             (emd_hierarchical(pf, qf, tree), hierarchical_distance(DISEASES))]
    for closed, dist in cases:
        assert closed[0] == pytest.approx(float(emd_exact(p, q, dist)), abs=1e-12)


def test_entropy_and_recursive_diversity() -> None:
    counts = np.array([[2, 2, 2, 0], [6, 1, 1, 0], [3, 3, 1, 1]])
    sizes = counts.sum(axis=1)
    assert entropy(counts, sizes)[0] == pytest.approx(math.log(3))
    # r1 < c * (r_l + ...): (3,2): 2 < 3*(2+2)? yes; 6 < 3*(1+1)? no; 3 < 3*(3+1+1)? yes
    assert recursive_ok(counts, 2, 3.0).tolist() == [True, False, True]
    assert recursive_ok(counts, 5, 3.0).tolist() == [False, False, False]


@pytest.mark.parametrize("kwargs, message", [
    ({"k": 0}, "positive integer"),
    ({"k": 2, "l": 2, "l_model": "recursive"}, "needs a positive c"),
    ({"k": 2, "l": 2.5, "l_model": "distinct"}, "integer l"),
    ({"k": 2, "t": 1.5}, r"\[0, 1\]"),
    ({"k": 2, "l": 2, "l_model": "fancy"}, "l-model"),
])
def test_invalid_models_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        PrivacyModel(**kwargs)  # type: ignore[arg-type]
