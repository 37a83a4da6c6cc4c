"""Read and write clinical tables: CSV (delimiter sniffed) or Parquet, written atomically.

CSV input: the delimiter is sniffed among ``,`` ``;`` and tab from the first lines,
CRLF line ends and a UTF-8 byte-order mark are fine, and only an empty field counts
as missing (the text ``NA`` stays a value: it may be a real category). Numbers and
dates are typed by Arrow's inference, except code columns: a column named like a code
(zip, postcode, mrn, id, phone ...), or holding a value with a leading zero or more
digits than a float keeps, is read as text, so ``02139`` stays ``02139``. Every column
is also kept as read (text), so columns the engine does not generalise can be written
back with the same characters. Only
the suffixes below are read or written; anything else is refused. Output goes to a
temporary file beside the target, renamed into place once complete, so a failed run
never leaves half a table.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from medanon.errors import ConfigurationError, InputError
from medanon.privacy.columns import are_codes, has_code_shape, is_code_name

PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class ReadTable:
    """A table and how it was stored (so the output can follow suit)."""

    table: pa.Table
    delimiter: str  # "," for Parquet input
    text: pa.Table | None = None  # CSV input: every column as the text read
    codes: frozenset[str] = frozenset()  # text columns holding codes (masked by default)


def check_suffix(path: Path, role: str) -> None:
    """Refuse a suffix medanon cannot read (``role`` "input") or write ("output")."""
    if path.suffix.lower() in (*PARQUET_SUFFIXES, *CSV_SUFFIXES):
        return
    known = ", ".join((*CSV_SUFFIXES, *PARQUET_SUFFIXES))
    message = f"{role} {path.name}: medanon reads and writes only {known}"
    if role == "input":
        raise InputError(message)
    raise ConfigurationError(message)


def is_parquet(path: Path) -> bool:
    """Whether ``path`` names a Parquet file (by suffix)."""
    return path.suffix.lower() in PARQUET_SUFFIXES


def sniff_delimiter(sample: str) -> str:
    """The most plausible of ``,`` ``;`` and tab for a CSV sample."""
    lines = [line for line in sample.splitlines() if line.strip()][:50]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        header = lines[0]
        return max(DELIMITERS, key=header.count)


def read_table(path: str | Path) -> ReadTable:
    """Read CSV or Parquet; any failure becomes one :class:`InputError` naming the file."""
    path = Path(path)
    check_suffix(path, "input")
    if not path.is_file():
        raise InputError(f"cannot read {path}: no such file")
    try:
        if is_parquet(path):
            table = pq.read_table(path)
            return ReadTable(table, ",", None, code_columns(table))
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            sample = handle.read(65536)
        delimiter = sniff_delimiter(sample)
        typed = _read_csv(path, delimiter, None)
        text = _read_csv(path, delimiter, dict.fromkeys(typed.column_names, pa.string()))
    except (OSError, UnicodeDecodeError, pa.ArrowException) as exc:
        raise InputError(f"cannot read {path}: {_reason(exc)}") from None
    names = [name.lstrip("\ufeff").strip() for name in typed.column_names]
    text = text.rename_columns(names)
    columns = [text.column(i) if _keep_as_text(name, typed.column(i), text.column(i))
               else typed.column(i) for i, name in enumerate(names)]
    table = pa.table(columns, names=names)
    return ReadTable(table, delimiter, text, code_columns(table))


def _read_csv(path: Path, delimiter: str, types: dict[str, pa.DataType] | None) -> pa.Table:
    return pcsv.read_csv(
        path,
        read_options=pcsv.ReadOptions(encoding="utf8"),
        parse_options=pcsv.ParseOptions(delimiter=delimiter),
        convert_options=pcsv.ConvertOptions(null_values=[""], strings_can_be_null=True,
                                            quoted_strings_can_be_null=False,
                                            column_types=types))


def _keep_as_text(name: str, typed: pa.ChunkedArray, text: pa.ChunkedArray) -> bool:
    """Codes stay text: as numbers they would lose leading zeros and become ranges."""
    if pa.types.is_string(typed.type):
        return True
    return is_code_name(name) or has_code_shape(_distinct_texts(text))


def _distinct_texts(column: pa.ChunkedArray) -> list[str]:
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return []
    return [v for v in pc.unique(column).to_pylist() if v is not None]


def code_columns(table: pa.Table) -> frozenset[str]:
    """Text columns that hold codes, by name or by the shape of every value."""
    found = set()
    for name in table.column_names:
        texts = _distinct_texts(table.column(name))
        if texts and (is_code_name(name) or has_code_shape(texts) or are_codes(texts)):
            found.add(name)
    return frozenset(found)


def restore_text(published: pa.Table, read: ReadTable, generalised: set[str]) -> pa.Table:
    """CSV input: every column the engine did not generalise goes back as the text read."""
    if read.text is None:
        return published
    columns = [read.text.column(name) if name in read.text.column_names
               and name not in generalised else published.column(name)
               for name in published.column_names]
    return pa.table(columns, names=published.column_names)


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def _plain(table: pa.Table) -> pa.Table:
    """Dictionary columns as plain strings (CSV writers want plain types)."""
    columns = []
    for column in table.columns:
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write`` on a temporary file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_table(table: pa.Table, path: str | Path, delimiter: str = ",") -> None:
    """Write ``table`` as Parquet (by suffix) or CSV with ``delimiter``, atomically.

    CSV values are written without quotes, as most inputs hold them (``02139`` stays
    ``02139`` byte for byte); only a table with a value that needs quoting (a delimiter,
    quote or line break inside) is written with every text value quoted.
    """
    path = Path(path)
    check_suffix(path, "output")
    if is_parquet(path):
        atomic_write(path, lambda target: pq.write_table(table, target))
        return
    plain = _plain(table)
    try:
        options = pcsv.WriteOptions(delimiter=delimiter, quoting_style="none")
        atomic_write(path, lambda target: pcsv.write_csv(plain, target, options))
    except pa.ArrowInvalid:  # its message quotes the value: never passed on
        options = pcsv.WriteOptions(delimiter=delimiter, quoting_style="needed")
        atomic_write(path, lambda target: pcsv.write_csv(plain, target, options))
