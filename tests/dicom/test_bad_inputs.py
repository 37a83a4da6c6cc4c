"""Folders of bad inputs through ``run_folder``: nothing written, every file reported."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from medanon.custody.keys import SecretKey
from medanon.profile.recipe import default_recipe
from medanon.profile.ruleset import build_ruleset
from medanon.runner.outcome import Status
from medanon.runner.process import RunContext
from medanon.runner.run import RunOptions, RunResult, run_folder
from medanon.runner.walk import STATE_DIR_NAME
from tests.dicom.builders import add_pixels, ct_dataset, write_part10

KEY = SecretKey(b"b" * 32)


def written_files(dst: Path) -> list[str]:
    return sorted(p.relative_to(dst).as_posix() for p in dst.rglob("*")
                  if p.is_file() and STATE_DIR_NAME not in p.relative_to(dst).parts)


def run(src: Path, dst: Path) -> RunResult:
    return run_folder(src, dst, default_recipe(), KEY, options=RunOptions(workers=1))


def source_id(src: Path, path: Path) -> str:
    """How the report names a file: the keyed hash of its path (public API of the runner)."""
    ctx = RunContext(src.resolve(), src.resolve(), build_ruleset(default_recipe()), KEY)
    return ctx.source_id(path.resolve())


@pytest.fixture
def bad_folder(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Each bad file, with a word its failure reason must contain."""
    src = tmp_path / "src"
    src.mkdir()
    good = write_part10(tmp_path / "good.dcm", add_pixels(ct_dataset(), 16, 16))
    raw = good.read_bytes()
    files = {
        "junk": (src / "junk.bin", os.urandom(4096), "not a DICOM file"),
        "truncated header": (src / "cut-header.dcm", raw[:raw.index(b"DOE^JOHN") + 3],
                             "truncated"),
        "truncated pixels": (src / "cut-pixels.dcm", raw[:-100], "truncated"),
        "empty": (src / "empty.dcm", b"", "empty"),
        "text named .dcm": (src / "x.dcm", b"Patient DOE^JOHN, MRN 12345678\n" * 40,
                            "not a DICOM file"),
    }
    for path, content, _ in files.values():
        path.write_bytes(content)
    return {label: (path, word) for label, (path, _, word) in files.items()}


def test_bad_files_are_reported_failed_and_nothing_is_written(
        tmp_path: Path, bad_folder: dict[str, tuple[Path, str]]) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    result = run(src, dst)
    report = result.report
    assert written_files(dst) == [], "nothing may be written for a bad input"
    assert report.counts[Status.FAILED.value] == len(bad_folder), report.to_dict()
    assert report.counts[Status.WRITTEN.value] == 0
    assert report.exit_code == 1
    problems = {p["file"]: p for p in report.problems}
    for label, (path, word) in bad_folder.items():
        problem = problems.get(source_id(src, path))
        assert problem is not None, f"{label}: not in the report's problems"
        assert problem["status"] == Status.FAILED.value, f"{label}: {problem}"
        assert word in problem["reason"], f"{label}: reason {problem['reason']!r}"
        assert path.name not in json.dumps(problem), "files are named by keyed hash only"
    on_disk = json.loads(result.report_path.read_text(encoding="utf-8"))
    assert on_disk["counts"][Status.FAILED.value] == len(bad_folder)
    assert "DOE" not in result.report_path.read_text(encoding="utf-8")


def test_a_good_file_among_bad_ones_is_still_written(
        tmp_path: Path, bad_folder: dict[str, tuple[Path, str]]) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    (tmp_path / "good.dcm").rename(src / "good.dcm")
    report = run(src, dst).report
    assert report.counts[Status.WRITTEN.value] == 1
    assert report.counts[Status.FAILED.value] == len(bad_folder)
    assert len(written_files(dst)) == 1 and report.exit_code == 1


def test_a_folder_without_files(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "empty-subfolder").mkdir(parents=True)
    report = run(src, dst).report
    assert written_files(dst) == []
    assert report.total == 0
    assert "nothing to do" in report.summary_line()


def test_a_folder_without_dicom_files(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    (src / "notes.txt").write_text("nothing here\n", encoding="utf-8")
    (src / "scan.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    report = run(src, dst).report
    assert written_files(dst) == []
    assert report.counts[Status.FAILED.value] == 2 and report.counts[Status.WRITTEN.value] == 0
    assert report.exit_code == 1
    assert all("not a DICOM file" in p["reason"] for p in report.problems)
    assert "2 failed" in report.summary_line()
