from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from medanon.custody.keys import SecretKey, write_key
from medanon.sample import SampleCollection, generate_sample


@pytest.fixture(scope="session")
def sample_collection(tmp_path_factory: pytest.TempPathFactory) -> SampleCollection:
    """The bundled sample collection (seed 0), generated once per test session."""
    return generate_sample(tmp_path_factory.mktemp("sample") / "collection")


@pytest.fixture(scope="session")
def multi_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four sample collections side by side: about 170 files, a few hundred KB each patient."""
    root = tmp_path_factory.mktemp("multi") / "source"
    for seed in range(4):
        generate_sample(root / f"site{seed}", seed=seed)
    return root


@pytest.fixture()
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "run.key"
    write_key(path, SecretKey(b"medanon-test-key".ljust(32, b".")))
    return path


@pytest.fixture()
def make_tree_snapshot() -> Callable[[Path], dict[str, bytes]]:
    def snapshot(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes()
                for p in sorted(root.rglob("*"))
                if p.is_file() and ".medanon" not in p.relative_to(root).parts}
    return snapshot
