"""ARX's three hierarchy builders, declared once and built from the column at run time.

Most clinical tables and DICOM attributes come without hierarchy files, so a
quasi-identifier can name a builder instead of a file:

* **intervals** for numbers: bands of the given widths from ``lower``, each width a
  multiple of the one before so the bands nest (age 0-120 by 5/10/20 gives ``0-4`` ->
  ``0-9`` -> ``0-19`` -> ``*``). Values below ``lower`` or at or above ``upper`` are
  bottom- and top-coded (``<0``, ``120+``) at every level.
* **ordering** for ordinal codes: the values in the declared order, grouped into runs
  of consecutive values (``I``, ``II``, ``III``, ``IV`` in pairs gives ``I-II`` -> ``*``).
* **masking** for code strings (postcodes, ZIP3, ICD-10): characters are masked from
  the end one level at a time (``021`` -> ``02*`` -> ``0**`` -> ``*``); codes of
  different lengths share a node by prefix (``I10`` and ``I109`` under ``I1*``).

The same declaration is read from a TOML table (``medanon table --config`` and the
recipe's ``[privacy.hierarchies]``) and from ``--hierarchy COLUMN=SPEC``. Built
hierarchies hold data values, so nothing here quotes a value in an error message.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from medanon.errors import ConfigurationError, InputError
from medanon.privacy.hierarchy import ROOT_LABEL, Hierarchy, load_hierarchy

BUILDERS = ("intervals", "ordering", "masking")


@dataclass(frozen=True)
class FileSpec:
    """An ARX-format hierarchy file."""

    path: Path

    def canonical(self) -> str:
        """What reports and fingerprints record (the resolved path)."""
        return str(self.path)


@dataclass(frozen=True)
class IntervalSpec:
    """Nested bands of ``widths`` from ``lower``; ``upper`` top-codes (None: no top)."""

    widths: tuple[float, ...]
    lower: float = 0.0
    upper: float | None = None

    def __post_init__(self) -> None:
        if not self.widths:
            raise ConfigurationError("intervals: give at least one width")
        if any(not math.isfinite(w) or w <= 0 for w in self.widths):
            raise ConfigurationError("intervals: widths must be positive numbers")
        for small, large in zip(self.widths, self.widths[1:], strict=False):
            ratio = large / small
            if large <= small or abs(ratio - round(ratio)) > 1e-9:
                raise ConfigurationError(
                    "intervals: each width must be a multiple of the one before it, so the "
                    f"bands nest ({_num(large)} after {_num(small)})")
        if not math.isfinite(self.lower) or \
                (self.upper is not None and (not math.isfinite(self.upper)
                                             or self.upper <= self.lower)):
            raise ConfigurationError("intervals: upper must be a number above lower")

    def canonical(self) -> dict[str, object]:
        """Plain JSON-ready form."""
        return {"intervals": list(self.widths), "lower": self.lower, "upper": self.upper}


@dataclass(frozen=True)
class OrderingSpec:
    """The values in order, grouped ``groups[i]`` nodes at a time at level ``i + 1``."""

    order: tuple[str, ...]
    groups: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if len(self.order) < 2:
            raise ConfigurationError("ordering: give at least two values in order")
        if len(set(self.order)) != len(self.order):
            raise ConfigurationError("ordering: a value is listed twice")
        if any("*" in v for v in self.order):
            raise ConfigurationError("ordering: values must not contain '*'")
        if any(g < 2 for g in self.groups):
            raise ConfigurationError("ordering: group sizes must be at least 2")

    def canonical(self) -> dict[str, object]:
        """Plain JSON-ready form."""
        return {"ordering": list(self.order), "groups": list(self.groups)}


@dataclass(frozen=True)
class MaskingSpec:
    """Mask from the end; ``keep`` lists the prefix lengths kept (None: every length)."""

    keep: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.keep is not None and (any(n < 0 for n in self.keep) or
                                      list(self.keep) != sorted(set(self.keep), reverse=True)):
            raise ConfigurationError(
                "masking: keep lists the characters kept per level, decreasing (e.g. [3, 1])")

    def canonical(self) -> dict[str, object]:
        """Plain JSON-ready form."""
        return {"masking": "right", "keep": None if self.keep is None else list(self.keep)}


@dataclass(frozen=True)
class TreeSpec:
    """A hierarchy already in memory (the Python API's :class:`Hierarchy` or rows)."""

    hierarchy: Hierarchy

    def canonical(self) -> str:
        """What reports record: where the rows came from."""
        return self.hierarchy.source


HierarchySpec = FileSpec | IntervalSpec | OrderingSpec | MaskingSpec | TreeSpec


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


# ---------------------------------------------------------------- declarations


def spec_from_toml(value: object, where: str, folder: Path | None) -> HierarchySpec:
    """A string is a file (relative to ``folder``); a table names one builder.

    ``where`` names the setting in messages (``hierarchies.age``).
    """
    if isinstance(value, str):
        if not value.strip():
            raise ConfigurationError(f"{where}: expected a file name or a builder table")
        path = Path(value)
        if not path.is_absolute() and folder is not None:
            path = folder / path
        return FileSpec(path)
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            f"{where}: expected a file name or a table such as "
            "{ intervals = [5, 10, 20], lower = 0, upper = 120 }")
    named = [b for b in BUILDERS if b in value]
    if len(named) != 1:
        raise ConfigurationError(f"{where}: name exactly one builder of {', '.join(BUILDERS)}")
    builder = named[0]
    allowed = {"intervals": {"intervals", "lower", "upper"},
               "ordering": {"ordering", "groups"}, "masking": {"masking", "keep"}}[builder]
    unknown = sorted(set(map(str, value)) - allowed)
    if unknown:
        raise ConfigurationError(f"{where}: unknown key {unknown[0]!r} for {builder} "
                                 f"(known: {', '.join(sorted(allowed))})")
    try:
        if builder == "intervals":
            upper = value.get("upper")
            return IntervalSpec(_numbers(value["intervals"], where),
                                _number(value.get("lower", 0), where),
                                None if upper is None else _number(upper, where))
        if builder == "ordering":
            order = value["ordering"]
            if not isinstance(order, list) or not all(isinstance(v, str | int) for v in order):
                raise ConfigurationError(f"{where}: ordering is a list of values in order")
            return OrderingSpec(tuple(str(v) for v in order),
                                _integers(value.get("groups", []), where))
        mode = value["masking"]
        if mode not in (True, "right"):
            raise ConfigurationError(f"{where}: masking = true (masks from the end)")
        keep = value.get("keep")
        return MaskingSpec(None if keep is None else _integers(keep, where))
    except ConfigurationError as exc:
        message = str(exc)
        raise ConfigurationError(message if message.startswith(where)
                                 else f"{where}: {message}") from None


def spec_from_option(text: str, folder: Path | None = None) -> HierarchySpec:
    """``--hierarchy`` values after ``COLUMN=``: a file, or a builder in short form.

    ``intervals:5,10,20[:LOWER[:UPPER]]``, ``ordering:I,II,III,IV[:2,2]``,
    ``masking[:3,1]``; anything else is a file name.
    """
    builder, _, rest = text.partition(":")
    where = builder
    parts = rest.split(":") if rest else []
    if builder == "intervals":
        if not 1 <= len(parts) <= 3:
            raise ConfigurationError("expected intervals:WIDTHS[:LOWER[:UPPER]], e.g. "
                                     "age=intervals:5,10,20:0:120")
        widths = _numbers(_split(parts[0]), where)
        lower = _number(parts[1], where) if len(parts) > 1 and parts[1] else 0.0
        upper = _number(parts[2], where) if len(parts) > 2 and parts[2] else None
        return IntervalSpec(widths, lower, upper)
    if builder == "ordering":
        if not 1 <= len(parts) <= 2:
            raise ConfigurationError("expected ordering:V1,V2,...[:GROUPS], e.g. "
                                     "stage=ordering:I,II,III,IV:2")
        groups = _integers(_split(parts[1]), where) if len(parts) > 1 else ()
        return OrderingSpec(tuple(_split(parts[0])), groups)
    if builder == "masking":
        if len(parts) > 1:
            raise ConfigurationError("expected masking[:KEEP], e.g. zip=masking:3,1")
        return MaskingSpec(_integers(_split(parts[0]), where) if parts else None)
    return spec_from_toml(text, "file", folder)


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _number(value: object, where: str) -> float:
    if isinstance(value, bool):
        raise ConfigurationError(f"{where}: expected a number")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigurationError(f"{where}: expected a number") from None
    if not math.isfinite(number):
        raise ConfigurationError(f"{where}: expected a finite number")
    return number


def _numbers(values: object, where: str) -> tuple[float, ...]:
    if not isinstance(values, list | tuple):
        raise ConfigurationError(f"{where}: expected a list of numbers")
    return tuple(_number(v, where) for v in values)


def _integers(values: object, where: str) -> tuple[int, ...]:
    numbers = _numbers(values, where)
    if any(not n.is_integer() for n in numbers):
        raise ConfigurationError(f"{where}: expected whole numbers")
    return tuple(int(n) for n in numbers)


# ---------------------------------------------------------------- building


def build_hierarchy(spec: HierarchySpec, name: str, column: pa.ChunkedArray | None
                    ) -> Hierarchy:
    """The hierarchy ``spec`` describes, over the values ``column`` holds.

    Raises
    ------
    ConfigurationError
        The builder does not fit the column (intervals on text that is not numbers).
    InputError
        A value of the column is not in a declared ordering (the row is not named:
        the message must not point at a person).
    """
    if isinstance(spec, FileSpec):
        return load_hierarchy(spec.path)
    if isinstance(spec, TreeSpec):
        return spec.hierarchy
    values = [] if column is None else column_texts(column)
    source = f"{BUILDERS_LABEL[type(spec)]} of {name}"
    if isinstance(spec, IntervalSpec):
        return interval_hierarchy(values, spec, name, source)
    if isinstance(spec, OrderingSpec):
        return ordering_hierarchy(values, spec, name, source)
    return mask_codes(values, spec, name, source)


BUILDERS_LABEL: dict[type, str] = {IntervalSpec: "intervals", OrderingSpec: "ordering",
                                   MaskingSpec: "masking"}


def column_texts(column: pa.ChunkedArray) -> list[str]:
    """The distinct non-empty values as the engine names hierarchy leaves."""
    from medanon.privacy.encode import format_number  # the engine's own leaf text

    kind = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
    plain = column.cast(kind) if pa.types.is_dictionary(column.type) else column
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        numbers = {float(v) for v in plain.cast(pa.float64()).to_pylist()
                   if v is not None and not math.isnan(v)}
        return [format_number(v, False) for v in sorted(numbers)]
    texts = {str(v).strip() for v in plain.to_pylist() if v is not None}
    return sorted(t for t in texts if t)


def interval_hierarchy(values: Iterable[str], spec: IntervalSpec, name: str,
                       source: str) -> Hierarchy:
    """Nested bands; integral data prints inclusive bounds ``0-4``, other data ``[0,5)``."""
    leaves = list(values)
    try:
        numbers = [float(v) for v in leaves]
    except ValueError:
        raise ConfigurationError(f"column {name!r}: intervals need numbers, and the column "
                                 "holds text; use masking or ordering") from None
    integral = all(n.is_integer() for n in numbers) and \
        all(float(w).is_integer() for w in spec.widths) and float(spec.lower).is_integer()
    rows = []
    for leaf, number in zip(leaves, numbers, strict=True):
        row = [leaf]
        for width in spec.widths:
            row.append(_band(number, width, spec, integral))
        rows.append(tuple(row))
    return Hierarchy(tuple(rows), source=source) if rows else _empty(source)


def _band(number: float, width: float, spec: IntervalSpec, integral: bool) -> str:
    if number < spec.lower:
        return f"<{_num(spec.lower)}"
    if spec.upper is not None and number >= spec.upper:
        return f"{_num(spec.upper)}+"
    start = spec.lower + math.floor((number - spec.lower) / width) * width
    end = start + width
    if spec.upper is not None:
        end = min(end, spec.upper)
    if integral:
        return f"{_num(start)}-{_num(end - 1)}" if end - 1 > start else _num(start)
    return f"[{_num(start)},{_num(end)})"


def ordering_hierarchy(values: Iterable[str], spec: OrderingSpec, name: str,
                       source: str) -> Hierarchy:
    """Runs of consecutive values named ``first-last``; groups of 2 when none are given."""
    present = set(values)
    known = set(spec.order)
    if present - known:
        raise InputError(f"column {name!r}: {len(present - known)} value(s) are not in its "
                         "declared ordering; list every value the column holds")
    nodes: list[list[str]] = [[v] for v in spec.order]  # each node: the leaves it covers
    paths: dict[str, list[str]] = {v: [v] for v in spec.order}
    sizes = list(spec.groups) or [2] * max(1, math.ceil(math.log2(len(spec.order))))
    for size in sizes:
        if len(nodes) == 1:
            break
        merged = [sum(nodes[i:i + size], []) for i in range(0, len(nodes), size)]
        for node in merged:
            label = node[0] if len(node) == 1 else f"{node[0]}-{node[-1]}"
            for leaf in node:
                paths[leaf].append(label)
        nodes = merged
    if len(nodes) == 1:  # the last run covers everything: call it the root
        for path in paths.values():
            path[-1] = ROOT_LABEL
    rows = tuple(tuple(paths[v]) for v in spec.order)
    return Hierarchy(rows, source=source)


def mask_codes(values: Iterable[str], spec: MaskingSpec, name: str, source: str
               ) -> Hierarchy:
    """Mask from the end; codes of one length keep their length (``02*``).

    Codes of different lengths share a node by prefix: ``E11*`` covers ``E11`` and
    ``E11.9``; a code no longer than the prefix, and no other code's prefix, stays itself.
    """
    leaves = sorted(set(values))
    if not leaves:
        return _empty(source)
    if any(ROOT_LABEL in v for v in leaves):
        raise ConfigurationError(f"column {name!r}: masking needs codes without '*'")
    longest = max(len(v) for v in leaves)
    uniform = len({len(v) for v in leaves}) == 1
    keeps = [n for n in (spec.keep if spec.keep is not None else range(longest - 1, 0, -1))
             if n < longest]
    extended = {leaf[:n] for leaf in leaves for n in range(1, len(leaf))}
    rows = []
    for leaf in leaves:
        row = [leaf]
        for keep in keeps:
            if uniform:
                row.append(leaf[:keep] + ROOT_LABEL * (len(leaf) - keep))
            elif len(leaf) < keep or (len(leaf) == keep and leaf not in extended):
                row.append(leaf)
            else:
                row.append(leaf[:keep] + ROOT_LABEL)
        row.append(ROOT_LABEL)
        rows.append(tuple(row))
    return Hierarchy(tuple(rows), source=source)


def masking_hierarchy(values: Iterable[str], source: str = "masking") -> Hierarchy | None:
    """Every-length masking of ``values`` (None when there are none)."""
    leaves = [v.strip() for v in values if v.strip()]
    if not leaves:
        return None
    return mask_codes(leaves, MaskingSpec(), "codes", source)


def _empty(source: str) -> Hierarchy:
    """A column without values: a one-leaf tree, so the engine's own error speaks."""
    return Hierarchy(((ROOT_LABEL,),), source=source)


def build_all(specs: Mapping[str, HierarchySpec], table: pa.Table) -> dict[str, Hierarchy]:
    """Build every declared hierarchy whose column ``table`` holds (others load as files)."""
    return {name: build_hierarchy(spec, name, table.column(name)
                                  if name in table.column_names else None)
            for name, spec in specs.items()}


def canonical_specs(specs: Mapping[str, HierarchySpec]) -> dict[str, object]:
    """JSON-ready declarations, for reports and fingerprints."""
    return {name: spec.canonical() for name, spec in sorted(specs.items())}


def describe(specs: Sequence[tuple[str, HierarchySpec]]) -> list[str]:
    """One line per declaration, for messages (``age: intervals``)."""
    return [f"{name}: {BUILDERS_LABEL.get(type(spec), 'file')}" for name, spec in specs]
