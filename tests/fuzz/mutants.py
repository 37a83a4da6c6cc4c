"""Mutants of pydicom's own test files: the malformed inputs a pile of CDs holds.

Each mutant is one base file with one kind of damage, drawn from a seeded generator, so
the same seed always gives the same bytes. The kinds are what real broken files show:
bytes flipped, a file cut short, a length set huge, the DICM magic zeroed, a chunk
duplicated, and a VR no reader knows. The fuzz test in the suite and the larger run in
``bench/fuzz/`` both take their inputs from here.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pydicom
import pydicom.uid

TEST_FILES = Path(pydicom.__file__).parent / "data" / "test_files"

#: One base file of each kind the runner treats differently.
BASE_FILES = (
    "CT_small.dcm",                 # explicit VR little endian, the fast path
    "MR_small_implicit.dcm",        # implicit VR
    "MR_small_bigendian.dcm",       # explicit VR big endian
    "SC_rgb_jpeg_dcmtk.dcm",        # JPEG baseline: segment cleaning
    "MR_small_RLE.dcm",             # encapsulated, not JPEG
    "image_dfl.dcm",                # deflated
    "rtplan.dcm",                   # deep sequences
    "nested_priv_SQ.dcm",           # private sequences
    "reportsi.dcm",                 # structured report, no pixel data
)

KINDS = ("flip", "truncate", "huge-length", "zero-magic", "duplicate-chunk", "unknown-vr")

_VRS = (b"AE", b"AS", b"CS", b"DA", b"DS", b"IS", b"LO", b"PN", b"SH", b"SQ", b"UI", b"US",
        b"UL", b"OB", b"OW", b"LT", b"ST", b"UT", b"TM", b"DT", b"FD", b"FL", b"SS", b"SL")


@dataclass(frozen=True)
class Mutant:
    """A damaged copy of a base file."""

    name: str
    kind: str
    data: bytes


def _vr_positions(data: bytes) -> list[int]:
    """Offsets of what looks like an explicit VR after a tag (past the preamble)."""
    return [i for i in range(136, len(data) - 2, 2) if data[i:i + 2] in _VRS]


def mutate(data: bytes, kind: str, rng: random.Random) -> bytes:
    """``data`` with one damage of ``kind``."""
    body = max(132, len(data) // 8)  # leave the start of the file alone unless asked
    if kind == "flip":
        out = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            position = rng.randrange(body, len(out))
            out[position] ^= 1 << rng.randrange(8)
        return bytes(out)
    if kind == "truncate":
        return data[:rng.randrange(1, len(data))]
    if kind == "huge-length":
        position = rng.randrange(132, len(data) - 4)
        return data[:position] + struct.pack("<I", rng.choice((0xFFFFFFF0, 0x7FFFFFFF,
                                                                0x00FFFFFF))) + data[position + 4:]
    if kind == "zero-magic":
        return data[:128] + b"\0\0\0\0" + data[132:]
    if kind == "duplicate-chunk":
        start = rng.randrange(132, len(data) - 1)
        length = rng.randint(1, min(512, len(data) - start))
        return data[:start + length] + data[start:start + length] + data[start + length:]
    if kind == "unknown-vr":
        positions = _vr_positions(data)
        if not positions:
            return mutate(data, "flip", rng)
        position = rng.choice(positions)
        return data[:position] + rng.choice((b"ZZ", b"\0\0", b"q!")) + data[position + 2:]
    raise ValueError(f"unknown kind of damage: {kind}")


def mutants(count: int, seed: int = 0) -> Iterator[Mutant]:
    """``count`` mutants, spread over every base file and every kind of damage."""
    rng = random.Random(seed)
    bases = [(name, (TEST_FILES / name).read_bytes()) for name in BASE_FILES]
    for number in range(count):
        name, data = bases[number % len(bases)]
        kind = KINDS[(number // len(bases)) % len(KINDS)]
        stem = name.removesuffix(".dcm")
        yield Mutant(f"{number:05d}-{stem}-{kind}.dcm", kind, mutate(data, kind, rng))


def write_collection(folder: Path, count: int, seed: int = 0) -> tuple[list[Path], list[Path]]:
    """Write ``count`` mutants and an intact copy of each base file into ``folder``.

    Returns the mutant paths and the intact paths.
    """
    folder.mkdir(parents=True, exist_ok=True)
    damaged, intact = [], []
    for mutant in mutants(count, seed):
        path = folder / "mutants" / mutant.name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(mutant.data)
        damaged.append(path)
    for name in BASE_FILES:
        path = folder / "intact" / name
        path.parent.mkdir(exist_ok=True)
        _write_with_own_uid(TEST_FILES / name, path)
        intact.append(path)
    return damaged, intact


def _write_with_own_uid(source: Path, target: Path) -> None:
    """Copy ``source`` with a SOP Instance UID of its own.

    A mutant that still parses keeps its base file's UID, and two inputs with one UID and
    different bytes settle which is written by digest: the intact copies must not take part.
    """
    dataset = pydicom.dcmread(source)
    uid = pydicom.uid.generate_uid(entropy_srcs=["medanon-fuzz", source.name])
    dataset.SOPInstanceUID = uid
    if "MediaStorageSOPInstanceUID" in dataset.file_meta:
        dataset.file_meta.MediaStorageSOPInstanceUID = uid
    dataset.save_as(target, enforce_file_format=False)
