from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from medanon.errors import InputError
from medanon.privacy.tableio import read_table, sniff_delimiter, write_table

from .conftest import DATA


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiter_is_sniffed_and_crlf_is_fine(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "t.csv"
    text = delimiter.join(["age", "sex", "note"]) + "\r\n"
    text += delimiter.join(["30", "F", "NA"]) + "\r\n" + delimiter.join(["41", "M", ""]) + "\r\n"
    path.write_bytes(("\ufeff" + text).encode("utf-8"))
    read = read_table(path)
    assert read.delimiter == delimiter
    assert read.table.column_names == ["age", "sex", "note"]
    assert read.table.column("age").to_pylist() == [30, 41]
    assert read.table.column("note").to_pylist() == ["NA", None]


def test_adult_slice_reads_with_semicolons() -> None:
    read = read_table(DATA / "adult_slice.csv")
    assert read.delimiter == ";" and read.table.num_rows == 1000


def test_parquet_round_trip_and_atomic_csv(tmp_path: Path) -> None:
    table = pa.table({"a": [1, 2], "b": ["x", "y"]})
    write_table(table, tmp_path / "t.parquet")
    assert read_table(tmp_path / "t.parquet").table.equals(table)
    write_table(table, tmp_path / "t.csv", ";")
    assert (tmp_path / "t.csv").read_text().splitlines()[0] == '"a";"b"'
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".part"] == []


def test_unreadable_files_raise_one_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_table(tmp_path / "absent.csv")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(InputError, match="cannot read"):
        read_table(broken)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3\n")
    with pytest.raises(InputError, match="cannot read"):
        read_table(ragged)


def test_sniffer_falls_back_to_header_counts() -> None:
    assert sniff_delimiter("a;b;c\n") == ";"
    assert sniff_delimiter("") == ","
