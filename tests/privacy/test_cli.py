from __future__ import annotations

import json
from pathlib import Path

import pyarrow.csv as pcsv
import pytest
import typer
from typer.testing import CliRunner

from medanon.cli.table import register
from medanon.errors import ConfigurationError, InputError
from medanon.privacy import check

from .conftest import ADULT_QI, CATEGORICAL, DATA


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    application = typer.Typer()
    register(application)

    @application.callback()
    def _root() -> None:
        """medanon."""

    return application


def hierarchy_options(names: list[str]) -> list[str]:
    options = []
    for name in names:
        options += ["--hierarchy", f"{name}={DATA / f'adult_hierarchy_{name}.csv'}"]
    return options


def test_table_writes_checked_output_report_aggregate_and_plot(app: typer.Typer,
                                                                tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    args = ["table", str(DATA / "adult_slice.csv"), str(out), "--qi", ",".join(ADULT_QI),
            "--sensitive", "occupation", "--k", "5", "--l", "3", "--l-model", "entropy",
            *hierarchy_options(CATEGORICAL), "--aggregate", str(tmp_path / "agg.csv"),
            "--plot", "age,education", str(tmp_path / "plot.png")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "independent check passed" in result.output and "gcp" in result.output
    table = pcsv.read_csv(out, parse_options=pcsv.ParseOptions(delimiter=";"))
    assert table.num_rows == 1000
    assert check(table, ADULT_QI, "occupation", k=5, l=3, l_model="entropy").passed
    report = json.loads((tmp_path / "out.json").read_text())
    assert report["check"]["passed"] is True
    assert report["settings"]["k"] == 5 and report["settings"]["l_model"] == "entropy"
    assert report["metrics"]["classes"] == report["check"]["classes"]
    assert set(report["metrics"]["gcp_per_qi"]) == set(ADULT_QI)
    assert (tmp_path / "agg.csv").read_text().startswith('"equivalence_class"')
    assert (tmp_path / "plot.png").read_bytes()[:4] == b"\x89PNG"


def test_settings_from_toml_with_command_line_override(app: typer.Typer, tmp_path: Path) -> None:
    config = tmp_path / "settings.toml"
    config.write_text(
        'qi = ["age", "sex", "race"]\nsensitive = "occupation"\nk = 50\nt = 0.3\n'
        f'[hierarchies]\nrace = "{DATA / "adult_hierarchy_race.csv"}"\n')
    out = tmp_path / "out.parquet"
    result = CliRunner().invoke(app, ["table", str(DATA / "adult_slice.csv"), str(out),
                                      "--config", str(config), "--k", "20"])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "out.json").read_text())
    assert report["settings"]["k"] == 20 and report["settings"]["t"] == 0.3
    assert report["check"]["k"] >= 20 and report["check"]["t"] <= 0.3


@pytest.mark.parametrize("extra, error, message", [
    (["--qi", "age,zip", "--k", "5"], InputError, "column 'zip' is not in the table"),
    (["--qi", "age", "--k", "5", "--hierarchy", "race"], ConfigurationError, "COLUMN=FILE"),
    (["--qi", "age"], ConfigurationError, "no k"),
    (["--qi", "age", "--k", "5000"], Exception, "larger than the table"),
])
def test_errors_are_single_medanon_errors_and_nothing_is_written(
        app: typer.Typer, tmp_path: Path, extra: list[str], error: type[Exception],
        message: str) -> None:
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["table", str(DATA / "adult_slice.csv"), str(out), *extra])
    assert isinstance(result.exception, error)
    assert message in str(result.exception)
    assert not out.exists() and not (tmp_path / "out.json").exists()


def test_unreadable_input_and_unknown_setting(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["table", str(tmp_path / "absent.csv"),
                                      str(tmp_path / "o.csv"), "--qi", "a", "--k", "2"])
    assert isinstance(result.exception, InputError)
    config = tmp_path / "bad.toml"
    config.write_text("qi = ['age']\nk = 2\nlmodel = 'entropy'\n")
    result = CliRunner().invoke(app, ["table", str(DATA / "adult_slice.csv"),
                                      str(tmp_path / "o.csv"), "--config", str(config)])
    assert isinstance(result.exception, ConfigurationError)
    assert "unknown key 'lmodel'" in str(result.exception)


def test_help_explains_every_metric(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["table", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for name in ("gcp", "dm", "cavg", "prosecutor_highest", "records_at_risk", "marketer"):
        assert name in result.output


def test_console_entry_point_maps_errors_to_one_line_and_exit_2(tmp_path: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "medanon.cli.main", "table",
                           str(DATA / "adult_slice.csv"), str(tmp_path / "o.csv"),
                           "--qi", "age,postcode", "--k", "5"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "medanon: error: column 'postcode' is not in the table (columns: sex, age, race, "
        "marital-status, education, native-country, workclass, occupation, salary-class)"]


def test_settings_are_refused_before_the_table_is_read(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["table", str(tmp_path / "absent.csv"),
                                      str(tmp_path / "o.csv"), "--qi", "age", "--k", "2",
                                      "--sensitive", "occupation", "--l", "2",
                                      "--l-model", "most"])
    assert isinstance(result.exception, ConfigurationError)
    assert "l-model must be distinct, entropy or recursive, got 'most'" in str(result.exception)
