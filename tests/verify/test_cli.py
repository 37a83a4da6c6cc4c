"""``medanon verify`` and ``medanon locate`` on the command line: exit codes, JSON, no values."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pydicom

from medanon.sample import FileKind, SampleCollection


def _medanon(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    return subprocess.run([sys.executable, "-m", "medanon.cli.main", *map(str, args)],
                          capture_output=True, text=True, env=env, check=False, timeout=120)


def test_clean_output_exits_0(clean_output: Path, collection: SampleCollection,
                              key_file: Path) -> None:
    run = _medanon("verify", clean_output, "--against", collection.root, "--key", key_file,
                   "--workers", "2", "--dciodvfy", "off", "-q")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "nothing found" in run.stdout
    assert "0 unaccounted for" in run.stdout


def test_copy_exits_1_and_names_no_value(collection: SampleCollection, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(collection.root, copy)
    report = tmp_path / "findings.json"
    run = _medanon("verify", copy, "--against", collection.root, "--json", report,
                   "--dciodvfy", "off", "-q", "--workers", "1")
    assert run.returncode == 1, run.stderr
    text = report.read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["findings"] and all(set(f) == {"file", "location", "category", "check"}
                                    for f in data["findings"])
    for value in collection.planted:
        if len(value) >= 6 and not value.startswith("2.25."):
            # The copy's own paths hold names (the file column shows them); nothing else may.
            assert value not in run.stderr + json.dumps(
                [{k: v for k, v in f.items() if k != "file"} for f in data["findings"]],
                ensure_ascii=False)


def test_show_values_only_outside_out(clean_output: Path, tmp_path: Path) -> None:
    run = _medanon("verify", clean_output, "--json", clean_output / "x.json",
                   "--show-values", "-q")
    assert run.returncode == 2
    assert run.stderr.startswith("medanon: error:") and "Traceback" not in run.stderr
    assert _medanon("verify", tmp_path / "nowhere", "-q").returncode == 2


def test_without_against_patterns_find_a_name(output_copy: Path) -> None:
    path = sorted(output_copy.rglob("*.dcm"))[0]
    ds = pydicom.dcmread(path)
    ds.ReferringPhysicianName = "Smith^Anna"
    ds.save_as(path)
    run = _medanon("verify", output_copy, "-q", "--workers", "1")
    assert run.returncode == 1
    assert "(0008,0090)" in run.stdout and "Smith" not in run.stdout


def test_locate_lists_the_files_not_written(collection: SampleCollection, clean_output: Path,
                                            key_file: Path, tmp_path: Path) -> None:
    report = json.loads((clean_output / ".medanon" / "report.json").read_text())
    hashes = {p["file"] for p in report["problems"]}
    run = _medanon("locate", clean_output, "--source", collection.root, "--key", key_file)
    assert run.returncode == 0, run.stderr
    rows = [line.split("\t") for line in run.stdout.splitlines()]
    assert {r[0] for r in rows} == hashes
    not_written = {Path(r[3]).relative_to(collection.root.resolve()).as_posix() for r in rows}
    written_kinds = {FileKind.IMAGE, FileKind.BURNED_IN}  # burned-in text is blanked
    expected = {f.path for f in collection.expected if f.kind not in written_kinds}
    assert not_written == expected
    one = sorted(hashes)[0]
    listing = tmp_path / "paths.tsv"
    run = _medanon("locate", clean_output, one, "--source", collection.root, "--key",
                   key_file, "--output", listing)
    assert run.returncode == 0 and listing.read_text().startswith(one)
    assert _medanon("locate", clean_output, "--source", collection.root, "--key", key_file,
                    "--output", clean_output / "p.tsv").returncode == 2
    assert _medanon("locate", clean_output, "0" * 20, "--source", collection.root, "--key",
                    key_file).returncode == 1


def test_locate_prints_a_latin1_name_escaped(tmp_path: Path, key_file: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / os.fsdecode(b"M\xfcller.txt")).write_bytes(b"not dicom")
    out = tmp_path / "out"
    assert _medanon("run", src, out, "--key", key_file, "-q", "--no-report").returncode == 1
    run = _medanon("locate", out, "--source", src, "--key", key_file)
    assert run.returncode == 0, run.stderr
    assert run.stdout.rstrip().endswith("M\\xfcller.txt") and "\tfailed\t" in run.stdout
