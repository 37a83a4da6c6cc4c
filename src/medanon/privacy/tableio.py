"""Read and write clinical tables: CSV (delimiter sniffed) or Parquet, written atomically.

CSV input: the delimiter is sniffed among ``,`` ``;`` and tab from the first lines,
CRLF line ends and a UTF-8 byte-order mark are fine, and only an empty field counts
as missing (the text ``NA`` stays a value: it may be a real category). Numbers and
dates are typed by Arrow's inference, except code columns: a column named like a code
(zip, postcode, mrn, id, phone ...) or holding a value with a leading zero is read as
text, so ``02139`` stays ``02139``. Every column is also kept as read (text), so columns
the engine does not generalise can be written back with the same characters. Only
the suffixes below are read or written; anything else is refused. Output goes to a
temporary file beside the target, renamed into place once complete, so a failed run
never leaves half a table.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from medanon.errors import ConfigurationError, InputError

PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
CODE_NAME = re.compile(
    r"(^|[^a-z])(zip|zipcode|postcode|postal|plz|mrn|id|code|icd|phone|tel|ssn|nhs)"
    r"([^a-z]|$)|(zip|postcode|postal|mrn|icd|phone|code)", re.IGNORECASE)
LEADING_ZERO = r"^0\d"
DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class ReadTable:
    """A table and how it was stored (so the output can follow suit)."""

    table: pa.Table
    delimiter: str  # "," for Parquet input
    text: pa.Table | None = None  # CSV input: every column as the text read
    codes: frozenset[str] = frozenset()  # CSV columns kept as text because they are codes


def is_code_name(name: str) -> bool:
    """Whether a column name says it holds codes (identifiers, ZIPs, phone numbers)."""
    return CODE_NAME.search(name) is not None


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
            return ReadTable(pq.read_table(path), ",")
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            sample = handle.read(65536)
        delimiter = sniff_delimiter(sample)
        table = _read_csv(path, delimiter, None)
        text = _read_csv(path, delimiter, dict.fromkeys(table.column_names, pa.string()))
    except (OSError, UnicodeDecodeError, pa.ArrowException) as exc:
        raise InputError(f"cannot read {path}: {_reason(exc)}") from None
    names = [name.lstrip("\ufeff").strip() for name in table.column_names]
    codes = frozenset(name for i, name in enumerate(names) if _is_code(name, text.column(i)))
    columns = [text.column(i) if name in codes else table.column(i)
               for i, name in enumerate(names)]
    return ReadTable(pa.table(columns, names=names), delimiter, text.rename_columns(names),
                     codes)


def _read_csv(path: Path, delimiter: str, types: dict[str, pa.DataType] | None) -> pa.Table:
    return pcsv.read_csv(
        path,
        read_options=pcsv.ReadOptions(encoding="utf8"),
        parse_options=pcsv.ParseOptions(delimiter=delimiter),
        convert_options=pcsv.ConvertOptions(null_values=[""], strings_can_be_null=True,
                                            quoted_strings_can_be_null=False,
                                            column_types=types))


def _is_code(name: str, text: pa.ChunkedArray) -> bool:
    """Codes stay text: numbers would lose leading zeros and become ranges."""
    if is_code_name(name):
        return True
    return bool(pc.any(pc.match_substring_regex(text, LEADING_ZERO)).as_py())


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
    """Write ``table`` as Parquet (by suffix) or CSV with ``delimiter``, atomically."""
    path = Path(path)
    check_suffix(path, "output")
    if is_parquet(path):
        atomic_write(path, lambda target: pq.write_table(table, target))
        return
    options = pcsv.WriteOptions(delimiter=delimiter, quoting_style="needed")
    atomic_write(path, lambda target: pcsv.write_csv(_plain(table), target, options))
