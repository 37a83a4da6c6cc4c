"""The fast backend: medanon's speed code over pydicom's internals, in pydicom's decoder shape.

pydicom's pixel-data decoders each declare their ``DEPENDENCIES``, answer
``is_available()`` and do one piece of work; this package does the same for medanon's
fast header path, and it is the only code in medanon that touches pydicom internals (a
test parses every other module and fails on any private pydicom name). When it is
available, a little-endian Part 10 header is read in one pass into pydicom
``RawDataElement`` tuples (:func:`read_header`), and common actions (UID remapping, date
shifts, dummies, name pseudonyms) are applied to the raw bytes; when it is not, every
file takes the general path, plain public pydicom (``dcmread`` and decoded values). Both
give the same bytes: tests hold them to it over every pydicom test file and the sample
collection, switching with :func:`general_path_only`.

Its modules, each with one job (those marked *off* do nothing inside
:func:`general_path_only`, where pydicom's public API does the work instead):

- ``availability``: the dependencies, :func:`is_available` and :func:`general_path_only`;
- ``fastread``: the one-pass header reader behind :func:`read_header` (*off*: ``dcmread``);
- ``actions``: the raw actions on the bytes of raw elements, and new plain-ASCII values
  stored as raw bytes (*off*: decoded values, new elements encoded by pydicom);
- ``sequences``: the sequence decoder, items sliced out of the bytes as pydicom would
  slice them (*off*: ``dataset[tag]``);
- ``datasets``: datasets built from the state of a template instead of ``Dataset.__init__``,
  and raw elements stored without ``__setitem__`` (*off*: the constructors, ``__setitem__``);
- ``peek``: values read without decoding the element in place (*off*: the same through
  public ``get_item`` and ``convert_raw_data_element``), and canonical values read off
  raw bytes so that the element stays raw (*off*: pydicom decodes);
- ``encode``: the encoder that copies untouched raw elements byte for byte (*off*:
  pydicom's ``write_dataset``, which copies raw elements as read too).

The speed code relies on pydicom's internal layout (a dataset's element dict and
character set, the fields and construction of raw elements, the state its constructor
sets), so pydicom is bounded to the minor version it is tested with
(``pydicom>=3.0.1,<3.1`` in pyproject.toml), and the switchable paths turn themselves off
on any other version. Callers import from the submodules (``medanon.dicom.backend.peek``
and so on); ``medanon.verify`` never does: it reads outputs with public pydicom only.
"""

from __future__ import annotations

from medanon.dicom.backend.availability import DEPENDENCIES, general_path_only, is_available
from medanon.dicom.backend.fastread import FastHeader, read_header_fast

__all__ = ["DEPENDENCIES", "general_path_only", "is_available", "read_header"]


def read_header(data: bytes, size: int) -> FastHeader | None:
    """The header in ``data`` (the start of a file of ``size`` bytes), or None.

    None means: take the general reader (the backend is off, or the file is unusual).
    """
    if not is_available():
        return None
    return read_header_fast(data, size)
