from __future__ import annotations

import sys
from pathlib import Path

import pytest
import typer

from medanon.cli import main as main_module
from medanon.sample import SampleCollection


def _run(monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    """Run ``medanon.cli.main.main`` with only the sample subcommand registered."""
    app = typer.Typer(name="medanon", add_completion=False, pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        """Root."""

    monkeypatch.setattr(main_module, "app", app)
    monkeypatch.setattr(main_module, "SUBCOMMAND_MODULES", ("sample",))
    monkeypatch.setattr(sys, "argv", ["medanon", *argv])
    with pytest.raises(SystemExit) as exited:
        main_module.main()
    return int(exited.value.code or 0)


def test_writes_and_summarises_without_planted_values(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    sample: SampleCollection,
) -> None:
    target = tmp_path / "demo"
    assert _run(monkeypatch, "sample", str(target), "--seed", "0") == 0
    out = capsys.readouterr().out
    assert "65 patients, 91 studies and 96 series" in out and "writes 119 DICOM images" in out
    assert len(out.strip().splitlines()) == 1
    assert not [v for v in sample.planted if v in out]
    written = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert written == list(sample.files)


def test_refuses_a_non_empty_folder_with_one_error_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    assert _run(monkeypatch, "sample", str(tmp_path)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("medanon: error: ") and "not empty" in lines[0]
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
