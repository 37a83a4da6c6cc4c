"""The fast backend: medanon's speed code over pydicom's internals, in pydicom's decoder shape.

pydicom's pixel-data decoders each declare their ``DEPENDENCIES``, answer
``is_available()`` and do one piece of work; this module does the same for medanon's
fast header path. When it is available, a little-endian Part 10 header is read in one
pass into pydicom ``RawDataElement`` tuples (:func:`read_header`), and common actions
(UID remapping, date shifts, dummies, name pseudonyms) are applied to the raw bytes; when
it is not, every file takes the general path, plain public pydicom (``dcmread`` and
decoded values). Both give the same bytes: tests hold them to it over every pydicom test
file and the sample collection, switching with :func:`general_path_only`.

The speed code relies on pydicom's internal layout (a dataset's element dict, the
fields of raw elements, the state its constructor sets), so pydicom is bounded to the
minor version it is tested with (``pydicom>=3.0.1,<3.1`` in pyproject.toml), and this
backend turns itself off on any other version. Still outside this module, and to be
moved here: the raw encoder (``encode.py``), the dataset builder (``datasets.py``), the
sequence decoder (``sequences.py``), the raw peeks (``peek.py``, ``private.py``,
``markers.py``, ``safety_net.py``) and the raw actions (``transform.py``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from importlib import metadata

from medanon.dicom.fastread import FastHeader, read_header_fast

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


def read_header(data: bytes, size: int) -> FastHeader | None:
    """The header in ``data`` (the start of a file of ``size`` bytes), or None.

    None means: take the general reader (the backend is off, or the file is unusual).
    """
    if not is_available():
        return None
    return read_header_fast(data, size)


@contextlib.contextmanager
def general_path_only() -> Iterator[None]:
    """While this lasts, every file in this process takes the general (public pydicom) path."""
    global _switched_off
    previous, _switched_off = _switched_off, True
    try:
        yield
    finally:
        _switched_off = previous
