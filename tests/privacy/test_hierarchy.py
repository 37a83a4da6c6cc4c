from __future__ import annotations

from pathlib import Path

import pytest

from medanon.errors import ConfigurationError
from medanon.privacy.hierarchy import Hierarchy, load_hierarchy, parse_hierarchy


def test_adult_hierarchies_load_and_order_leaves_depth_first(adult_paths: dict[str, Path]
                                                              ) -> None:
    education = load_hierarchy(adult_paths["education"])
    assert education.depth == 4
    order = [education.rows[i][0] for i in education.dfs_order()]
    # Every node's leaves are contiguous in depth-first order.
    for level in range(1, education.depth):
        labels = [education.path(leaf)[level] for leaf in order]
        runs = [label for i, label in enumerate(labels) if i == 0 or labels[i - 1] != label]
        assert len(runs) == len(set(runs))
    assert order[0] == "Bachelors"


def test_implicit_root_is_added_when_the_top_level_has_several_nodes() -> None:
    h = parse_hierarchy("a;X\nb;X\nc;Y\n")
    assert h.depth == 3
    assert h.path("c") == ("c", "Y", "*")


def test_duplicate_value_is_refused_naming_it() -> None:
    with pytest.raises(ConfigurationError, match="'a' appears twice"):
        parse_hierarchy("a;X;*\nb;X;*\na;Y;*\n", source="h.csv")


def test_node_with_two_parents_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="two parents"):
        parse_hierarchy("a;X;P\nb;X;Q\n")


def test_ambiguous_label_is_refused() -> None:
    # "A" is both a value and the group {A, B}: a published "A" would be ambiguous.
    with pytest.raises(ConfigurationError, match="ambiguous"):
        parse_hierarchy("A;A;*\nB;A;*\n")


def test_rows_of_different_lengths_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="row 2 has 2 levels"):
        parse_hierarchy("a;X;*\nb;*\n")


def test_unreadable_or_empty_files_are_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read hierarchy"):
        load_hierarchy(tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("\n")
    with pytest.raises(ConfigurationError, match="empty"):
        load_hierarchy(empty)


def test_comma_separated_hierarchies_are_accepted() -> None:
    assert parse_hierarchy("a,X\nb,X\n").path("b") == ("b", "X")


def test_hierarchy_objects_validate_on_construction() -> None:
    with pytest.raises(ConfigurationError):
        Hierarchy((("a", ""),))
