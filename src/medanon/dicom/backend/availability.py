"""Whether the fast backend runs: the pydicom it is tested with, and no switch turning it off.

Kept apart from the package's ``__init__`` so that every module of the backend can ask
without importing the others.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from importlib import metadata

#: What the backend needs: the package, and the versions it is tested with.
DEPENDENCIES = {"pydicom": ("3.0.1", "3.1")}

_switched_off = False


def _tested_version(package: str, lowest: str, below: str) -> bool:
    try:
        installed = metadata.version(package)
    except metadata.PackageNotFoundError:
        return False

    def numbers(text: str) -> tuple[int, ...]:
        return tuple(int(part) for part in text.split(".")[:3] if part.isdigit())

    return numbers(lowest) <= numbers(installed) < numbers(below)


_AVAILABLE = all(_tested_version(name, low, high) for name, (low, high) in DEPENDENCIES.items())


def is_available() -> bool:
    """Whether the fast path runs: the pydicom tested with is installed, and it is not off."""
    return _AVAILABLE and not _switched_off


@contextlib.contextmanager
def general_path_only() -> Iterator[None]:
    """While this lasts, every file in this process takes the general (public pydicom) path."""
    global _switched_off
    previous, _switched_off = _switched_off, True
    try:
        yield
    finally:
        _switched_off = previous
