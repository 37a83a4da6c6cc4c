from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from medanon.cli import profiles as profiles_cli
from medanon.profile.table import load_table


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Test root."""

    profiles_cli.register(app)
    return app


runner = CliRunner()


def test_profiles_lists_profile_and_options() -> None:
    result = runner.invoke(_app(), ["profiles"])
    assert result.exit_code == 0, result.output
    assert "basic" in result.output
    assert "retain-safe-private" in result.output and "130 private attributes" in result.output
    assert "retain-uids" in result.output and "(59 attributes)" in result.output
    assert "clean-graphics" in result.output and "(4 attributes)" in result.output
    assert (
        "Default recipe: basic + retain-longitudinal-modified-dates, blacklist mode."
        in result.output
    )


def _data_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("(")]


def test_show_prints_every_row() -> None:
    result = runner.invoke(_app(), ["profiles", "show"])
    assert result.exit_code == 0, result.output
    lines = _data_lines(result.output)
    assert len(lines) == len(load_table())
    study_date = next(line for line in lines if line.startswith("(0008,0020)"))
    assert study_date.split() == ["(0008,0020)", "StudyDate", "Z", "empty", "basic:Z"]
    private = next(line for line in lines if line.startswith("(gggg,eeee)"))
    assert "remove" in private


def test_show_under_options() -> None:
    result = runner.invoke(
        _app(), ["profiles", "show", "retain-longitudinal-modified-dates", "retain-uids"]
    )
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split() for line in _data_lines(result.output)}
    assert lines["(0008,0020)"][-2:] == [
        "shift-date",
        "option:retain-longitudinal-modified-dates:C",
    ]
    assert lines["(0020,000D)"][-2:] == ["keep", "option:retain-uids:K"]


def test_unknown_option_is_one_clear_error() -> None:
    result = runner.invoke(_app(), ["profiles", "show", "retain-everything"])
    assert result.exit_code == 2
    assert "unknown option 'retain-everything'" in result.output
    assert "retain-longitudinal-full-dates" in result.output
    assert "Traceback" not in result.output


def test_exclusive_options_exit_2() -> None:
    result = runner.invoke(
        _app(),
        [
            "profiles",
            "show",
            "retain-longitudinal-full-dates",
            "retain-longitudinal-modified-dates",
        ],
    )
    assert result.exit_code == 2 and "exclude each other" in result.output


def test_show_recipe(tmp_path: Path) -> None:
    recipe = tmp_path / "r.toml"
    recipe.write_text(
        'mode = "whitelist"\n[attributes]\nStudyDate = "keep"\nSliceThickness = "keep"\n'
        '"(0019,xx23)@GEMS_ACQU_01" = "keep"\n',
        encoding="utf-8",
    )
    result = runner.invoke(_app(), ["profiles", "show", "--recipe", str(recipe)])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in _data_lines(result.output)}
    assert lines["(0008,0020)"].split()[-2:] == ["keep", "recipe"]
    assert lines["(0018,0050)"].split()[-2:] == ["keep", "recipe"]  # not in the table
    assert lines["(7FE0,0010)"].split()[-2:] == ["keep", "whitelist:structural"]
    assert "(0019,xx23)" in lines
    assert "every other public attribute is removed" in result.output


def test_show_recipe_errors(tmp_path: Path) -> None:
    recipe = tmp_path / "bad.toml"
    recipe.write_text('mode = "blacklist"\n[attributes]\nPatientAgee = "keep"\n', encoding="utf-8")
    result = runner.invoke(_app(), ["profiles", "show", "--recipe", str(recipe)])
    assert result.exit_code == 2
    assert "bad.toml, line 3" in result.output
    result = runner.invoke(_app(), ["profiles", "show", "retain-uids", "--recipe", str(recipe)])
    assert result.exit_code == 2 and "not both" in result.output


def test_rich_table_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(profiles_cli, "_is_terminal", lambda: True)
    result = runner.invoke(_app(), ["profiles", "show", "clean-graphics"])
    assert result.exit_code == 0, result.output
    assert "┃" in result.output or "│" in result.output
    assert (
        "OverlayData" in result.output and "Basic Profile, options: clean-graphics" in result.output
    )
