"""What a quasi-identifier is generalised along when the user declares no hierarchy.

The automatic choice, documented in the README:

* numbers, dates and times: no hierarchy; the engine cuts ranges ``lo-hi`` at the
  data's own values, which loses less than any fixed bands (declare ``intervals`` to
  publish fixed bands such as 5-year age groups instead);
* codes (text columns named like codes, holding leading zeros, or whose every value
  is digits or upper-case letters with digits, such as ZIPs and ICD-10): ``masking``
  from the end, so ``02139`` can become ``021**`` and never a set of unrelated codes
  (codes that already hold ``*`` are left to sets: a mask could equal a value);
* other text: sets of the values present (``{a,b}``), cut in natural order.

Ordering needs the order, which only the user knows, so it is never automatic.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from medanon.privacy.builders import HierarchySpec, MaskingSpec


def resolve_specs(table: pa.Table, qi: Sequence[str], sensitive: str | None,
                  declared: Mapping[str, HierarchySpec], codes: Collection[str]
                  ) -> dict[str, HierarchySpec]:
    """The declared hierarchies, plus masking for every undeclared code quasi-identifier.

    ``codes`` names the text columns that hold codes (as :func:`code_columns` finds them).
    ``sensitive`` never gets an automatic hierarchy: one would change the t-closeness
    distance the user chose.
    """
    specs = dict(declared)
    for name in qi:
        if name in specs or name == sensitive or name not in table.column_names:
            continue
        if name in codes and not _has_star(table.column(name)):
            specs[name] = MaskingSpec()
    return specs


def _has_star(column: pa.ChunkedArray) -> bool:
    """Codes already masked (``021**``): a mask could equal a value, so sets instead."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    return bool(pc.any(pc.match_substring(column, "*")).as_py())
