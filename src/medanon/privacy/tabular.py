"""Accept pandas, Arrow, numpy and plain mappings; give back the same kind.

Internally every table is a :class:`pyarrow.Table` (pyarrow is a core dependency,
pandas an optional extra), so the engine runs without pandas. The published table
keeps the input's rows in the input's order and its other columns untouched; the
quasi-identifiers become text, and two columns are appended: the equivalence class
(-1 for suppressed rows) and the ``suppressed`` flag.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from medanon.errors import ConfigurationError, InputError

CLASS_COLUMN = "equivalence_class"
SUPPRESSED_COLUMN = "suppressed"


@dataclass(frozen=True)
class TableKind:
    """How to turn the published Arrow table back into what the caller passed."""

    kind: str  # "pandas", "arrow", "structured", "array", "mapping"
    names: tuple[str, ...]


def _is_dataframe(table: Any) -> bool:
    module = type(table).__module__
    return module.startswith("pandas") and hasattr(table, "columns")


def to_arrow(table: Any) -> tuple[pa.Table, TableKind]:
    """Convert a supported table to Arrow, remembering its kind."""
    if isinstance(table, pa.Table):
        return table, TableKind("arrow", tuple(table.column_names))
    if _is_dataframe(table):
        names = tuple(str(c) for c in table.columns)
        if len(set(names)) != len(names):
            raise InputError("the DataFrame has duplicate column names")
        frame = table.copy(deep=False)
        frame.columns = list(names)
        return pa.Table.from_pandas(frame, preserve_index=False), TableKind("pandas", names)
    if isinstance(table, np.ndarray):
        if table.dtype.names:
            names = tuple(table.dtype.names)
            return (pa.table({name: _arrow_column(table[name]) for name in names}),
                    TableKind("structured", names))
        if table.ndim == 2:
            names = tuple(str(i) for i in range(table.shape[1]))
            return (pa.table({name: _arrow_column(table[:, i]) for i, name in enumerate(names)}),
                    TableKind("array", names))
        raise InputError("a numpy table must be a structured array or a 2-D array")
    if isinstance(table, Mapping):
        names = tuple(str(n) for n in table)
        lengths = {len(v) for v in table.values()}
        if len(lengths) > 1:
            raise InputError("the columns of the mapping have different lengths")
        return (pa.table({str(n): _arrow_column(np.asarray(v)) for n, v in table.items()}),
                TableKind("mapping", names))
    raise InputError(f"unsupported table type {type(table).__name__}; pass a pandas "
                     "DataFrame, a pyarrow Table, a numpy array or a mapping of columns")


def _arrow_column(values: npt.NDArray[Any]) -> pa.Array:
    if values.dtype == object:
        return pa.array(values.tolist())
    return pa.array(values)


def resolve_column(name: str | int, kind: TableKind) -> str:
    """Column name for ``name``; integer positions are accepted for 2-D arrays."""
    if isinstance(name, int | np.integer) and not isinstance(name, bool):
        if kind.kind != "array":
            raise ConfigurationError(
                f"column {name!r}: positions are only accepted for 2-D numpy arrays")
        if not 0 <= int(name) < len(kind.names):
            raise InputError(f"column {int(name)} is out of range "
                             f"(the array has {len(kind.names)} columns)")
        return kind.names[int(name)]
    text = str(name)
    if text not in kind.names:
        raise InputError(f"column {text!r} is not in the table (columns: "
                         f"{', '.join(kind.names)})")
    return text


def check_output_names(kind: TableKind) -> None:
    """The two appended columns must not overwrite input columns."""
    for name in (CLASS_COLUMN, SUPPRESSED_COLUMN):
        if name in kind.names:
            raise ConfigurationError(
                f"the input already has a column named {name!r}; rename it first")


def build_published(source: pa.Table, replaced: Mapping[str, pa.Array],
                    classes: npt.NDArray[np.int64], suppressed: npt.NDArray[np.bool_]
                    ) -> pa.Table:
    """The input table with generalised columns and the class and suppressed columns."""
    columns = []
    for name in source.column_names:
        columns.append(replaced[name] if name in replaced else source.column(name))
    columns.append(pa.array(classes, type=pa.int64()))
    columns.append(pa.array(suppressed, type=pa.bool_()))
    return pa.table(columns, names=[*source.column_names, CLASS_COLUMN, SUPPRESSED_COLUMN])


def from_arrow(table: pa.Table, kind: TableKind) -> Any:
    """Convert a published Arrow table back to the caller's kind."""
    if kind.kind == "arrow":
        return table
    if kind.kind == "pandas":
        return table.to_pandas()
    if kind.kind == "mapping":
        return {name: _numpy(table.column(name)) for name in table.column_names}
    arrays = [_numpy(table.column(name)) for name in table.column_names]
    if kind.kind == "structured":
        dtype = np.dtype([(name, values.dtype)
                          for name, values in zip(table.column_names, arrays, strict=True)])
        records = np.empty(table.num_rows, dtype=dtype)
        for name, values in zip(table.column_names, arrays, strict=True):
            records[name] = values
        return records
    out = np.empty((table.num_rows, len(arrays)), dtype=object)
    for i, values in enumerate(arrays):
        out[:, i] = values
    return out


def _numpy(column: pa.ChunkedArray) -> npt.NDArray[Any]:
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        values = column.to_pylist()
        width = max((len(v) for v in values if v is not None), default=1)
        return np.array(["" if v is None else v for v in values], dtype=f"<U{width}")
    return np.asarray(column.to_numpy())


def columns_of(qi: Sequence[str | int], kind: TableKind) -> tuple[str, ...]:
    """Resolve and de-duplicate-check the quasi-identifier names."""
    names = tuple(resolve_column(q, kind) for q in qi)
    if not names:
        raise ConfigurationError("at least one quasi-identifier is needed")
    if len(set(names)) != len(names):
        raise ConfigurationError("a quasi-identifier is listed twice")
    return names
