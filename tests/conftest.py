"""Fixtures shared by every test package: keys only. Anything specific lives beside its tests."""

from __future__ import annotations

import pytest

from medanon.custody.keys import SecretKey


@pytest.fixture(scope="session")
def key() -> SecretKey:
    """A fixed key, so that outputs are reproducible from one test run to the next."""
    return SecretKey(bytes(range(32)))


@pytest.fixture(scope="session")
def other_key() -> SecretKey:
    """A second fixed key, for unlinkability checks."""
    return SecretKey(bytes(range(100, 132)))
