"""The scan reads headers: the bytes it reads from a file stop short of its pixel data."""

from __future__ import annotations

import builtins
import io
from pathlib import Path
from typing import Any

import pydicom
import pytest

from medanon.custody.keys import SecretKey
from medanon.sample import SampleCollection
from medanon.scan import FileStatus, scan_file
from medanon.scan.record import ScanSettings


class _Counting(io.BufferedReader):
    read_bytes = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        _Counting.read_bytes += len(data)
        return data


def test_pixel_data_is_never_read(sample: SampleCollection, scan_key: SecretKey,
                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ct = next(f for f in sample.dicom_files if f.modality == "CT" and
              f.transfer_syntax == "1.2.840.10008.1.2.1")
    ds = pydicom.dcmread(sample.root / ct.path)
    ds.Rows = ds.Columns = 512
    ds.PixelData = bytes(512 * 512 * 2)
    big = tmp_path / "big.dcm"
    ds.save_as(big, enforce_file_format=True)
    size = big.stat().st_size
    assert size > 512 * 512 * 2

    real_open = builtins.open

    def counting_open(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if mode != "rb":
            return real_open(path, mode, *args, **kwargs)
        return _Counting(io.FileIO(path, "rb"))

    # Every open of the file, the reader's and pydicom's alike, is counted.
    monkeypatch.setattr(builtins, "open", counting_open)
    record = scan_file(big, ScanSettings(tmp_path, scan_key))
    assert record.status is FileStatus.DICOM
    assert 0 < _Counting.read_bytes < 64 * 1024 < size
