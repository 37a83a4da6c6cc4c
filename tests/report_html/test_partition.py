"""The partition rectangles of a privacy run's report: one per released class, drawn from
the release table, none in the report of a run without a ``[privacy]`` section."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from medanon.errors import ConfigurationError, RecipeError
from medanon.profile.recipe import parse_recipe
from medanon.report.data import build_report_data
from medanon.report.release import numeric_range, partition, partition_axes, read_release
from medanon.report.render import render_html
from medanon.sample.cohort import write_cohort
from medanon.sample.derive import Deriver
from medanon.verify import VerifyResult
from tests.report_html.conftest import medanon

QIS = ["age", "PatientSex", "PatientSize", "PatientWeight"]
RECIPE = ("[privacy]\nk = 3\nmax_suppression = 0.3\n"
          f"quasi_identifiers = {json.dumps(QIS)}\n")
RECTANGLE = re.compile(r'<g id="class-\d+"')


def _nothing_found() -> VerifyResult:
    return VerifyResult([], [], {"outputs": 0, "files_with_findings": 0, "by_category": {},
                                 "against": False, "dciodvfy": "off", "timings": {},
                                 "outputs_per_second": 0})


@pytest.fixture(scope="module")
def privacy_run(tmp_path_factory: pytest.TempPathFactory, report_key: Path) -> Path:
    folder = tmp_path_factory.mktemp("partition")
    write_cohort(folder / "src", Deriver(1), 24)
    (folder / "recipe.toml").write_text(RECIPE, encoding="utf-8")
    run = medanon("run", folder / "src", folder / "out", "--recipe", folder / "recipe.toml",
                  "--key", report_key, "--workers", "1", "-q")
    assert run.returncode in (0, 1), run.stderr
    return folder / "out"


def test_a_privacy_run_report_draws_one_rectangle_per_class(privacy_run: Path) -> None:
    with (privacy_run / "medanon-release" / "patients.csv").open(newline="") as handle:
        classes = {row["class"] for row in csv.DictReader(handle)}
    assert len(classes) >= 2
    html = (privacy_run / ".medanon" / "report.html").read_text(encoding="utf-8")
    drawn = html[html.index('<div id="partition">'):]
    assert len(RECTANGLE.findall(drawn)) == len(classes)
    assert f"{len(classes)} equivalence classes over age and PatientSize" in html
    assert "Partition of age and PatientSize" in html
    assert "largest of" not in html  # nothing left out


def test_a_run_without_privacy_section_has_no_rectangles(run_output: tuple[Path, str]
                                                         ) -> None:
    html = (run_output[0] / ".medanon" / "report.html").read_text(encoding="utf-8")
    assert '<div id="partition">' not in html and not RECTANGLE.search(html)


def _release(root: Path, rows: list[tuple[str, ...]], qis: list[str]) -> Path:
    folder = root / "medanon-release"
    folder.mkdir(parents=True)
    columns = {name: [row[i] for row in rows] for i, name in enumerate(["patient", *qis])}
    pq.write_table(pa.table(columns), folder / "patients.parquet")
    (folder / "privacy.json").write_text(json.dumps({"settings": {"quasi_identifiers": qis}}))
    return root


def test_parquet_release_single_values_and_axes(tmp_path: Path) -> None:
    """Read from the Parquet table alone; a single value is a thin rectangle; the axes are
    the first two numeric quasi-identifiers (a set of codes is not one)."""
    rows = [("P1", "{F,M}", "40-49", "70"), ("P2", "{F,M}", "40-49", "70"),
            ("P3", "F", "50-59", "60-80"), ("P4", "F", "50-59", "60-80"),
            ("P5", "F", "50-59", "60-80")]
    root = _release(tmp_path, rows, ["sex", "age", "weight"])
    summary = read_release(root)
    assert "patients.parquet" in summary.note and summary.class_sizes == (2, 3)
    found = partition(summary)
    assert found is not None and (found.x, found.y) == ("age", "weight")
    assert sorted(found.boxes) == [(40.0, 49.0, 70.0, 70.0, 2), (50.0, 59.0, 60.0, 80.0, 3)]
    assert partition(summary, limit=1) is not None
    assert len(partition(summary, limit=1).boxes) == 1  # type: ignore[union-attr]
    html = render_html(build_report_data(root, None, _nothing_found(), title="t"))
    svg = html[html.index('<div id="partition">'):]
    assert len(RECTANGLE.findall(svg)) == 2
    # The single weight 70 is drawn, thin: its rectangle's height is a small fraction of
    # the other's (paths of a patch are "M x0 y0 L x1 y0 L x1 y1 L x0 y1 z", in pixels).
    heights = []
    for group in re.findall(r'<g id="class-\d+">\s*<path d="([^"]+)"', svg):
        ys = [float(v) for v in re.findall(r"[-\d.]+", group)[1::2]]
        heights.append(max(ys) - min(ys))
    assert len(heights) == 2 and 0 < min(heights) < 0.05 * max(heights)


def test_no_two_numeric_quasi_identifiers_no_picture(tmp_path: Path) -> None:
    root = _release(tmp_path, [("P1", "F", "40-49"), ("P2", "M", "1990/1999")],
                    ["sex", "birth"])
    summary = read_release(root)
    assert partition(summary) is None
    html = render_html(build_report_data(root, None, _nothing_found(), title="t"))
    assert "fewer than two numeric quasi-identifiers" in html and not RECTANGLE.search(html)


@pytest.mark.parametrize(("text", "expected"), [
    ("40-49", (40.0, 49.0)), ("70", (70.0, 70.0)), ("1.45-1.64", (1.45, 1.64)),
    ("-5--1", (-5.0, -1.0)), ("*", None), ("{F,M}", None), ("2001/2003", None),
    ("9-3", None), ("", None)])
def test_numeric_range(text: str, expected: tuple[float, float] | None) -> None:
    assert numeric_range(text) == expected


def test_chosen_axes_are_the_ones_drawn(tmp_path: Path) -> None:
    rows = [("P1", "{F,M}", "40-49", "70"), ("P2", "{F,M}", "40-49", "70"),
            ("P3", "F", "50-59", "60-80"), ("P4", "F", "50-59", "60-80")]
    summary = read_release(_release(tmp_path, rows, ["sex", "age", "weight"]))
    assert partition_axes(summary, ["weight", "age"]) == ("weight", "age")
    data = build_report_data(tmp_path, None, _nothing_found(), title="t",
                             partition_axes=("weight", "age"))
    assert (data["release"]["partition"]["x"], data["release"]["partition"]["y"]) == (
        "weight", "age")
    html = render_html(data)
    assert "2 equivalence classes over weight and age" in html
    assert len(RECTANGLE.findall(html[html.index('<div id="partition">'):])) == 2


@pytest.mark.parametrize(("names", "message"), [
    (["age", "height"], "height is not a quasi-identifier of the release; its "
                        "quasi-identifiers: sex, age, weight"),
    (["sex", "age"], "sex not released as numbers or ranges"),
    (["age", "age"], "name two different quasi-identifiers"),
    (["age"], "name two different quasi-identifiers"),
])
def test_wrong_axes_are_refused(tmp_path: Path, names: list[str], message: str) -> None:
    rows = [("P1", "F", "40-49", "70"), ("P2", "M", "50-59", "60-80")]
    summary = read_release(_release(tmp_path, rows, ["sex", "age", "weight"]))
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        partition_axes(summary, names)
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        build_report_data(tmp_path, None, _nothing_found(), title="t",
                          partition_axes=tuple(names))  # type: ignore[arg-type]


def test_verify_draws_the_axes_asked_for(privacy_run: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    check = medanon("verify", privacy_run, "--report", report, "--partition-axes",
                    "PatientWeight,age", "--dciodvfy", "off", "-q")
    assert check.returncode in (0, 1), check.stderr
    html = report.read_text(encoding="utf-8")
    assert "equivalence classes over PatientWeight and age" in html
    assert "Partition of PatientWeight and age" in html


def test_verify_refuses_a_name_the_release_does_not_have(privacy_run: Path,
                                                         tmp_path: Path) -> None:
    check = medanon("verify", privacy_run, "--report", tmp_path / "r.html",
                    "--partition-axes", "age,PatientHeight", "--dciodvfy", "off", "-q")
    assert check.returncode == 2
    assert ("PatientHeight is not a quasi-identifier of the release; its quasi-identifiers: "
            "age, PatientSex, PatientSize, PatientWeight") in check.stderr
    assert not (tmp_path / "r.html").exists()


def test_the_recipe_chooses_the_run_report_axes(tmp_path: Path, report_key: Path) -> None:
    write_cohort(tmp_path / "src", Deriver(1), 12)
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(RECIPE + '\n[report]\npartition_axes = ["PatientWeight", "age"]\n',
                      encoding="utf-8")
    run = medanon("run", tmp_path / "src", tmp_path / "out", "--recipe", recipe, "--key",
                  report_key, "--workers", "1", "-q")
    assert run.returncode in (0, 1), run.stderr
    html = (tmp_path / "out" / ".medanon" / "report.html").read_text(encoding="utf-8")
    assert "equivalence classes over PatientWeight and age" in html


def test_the_recipe_refuses_axes_that_are_not_its_quasi_identifiers() -> None:
    text = RECIPE + '\n[report]\npartition_axes = ["age", "PatientHeight"]\n'
    with pytest.raises(RecipeError, match=re.escape(
            "'PatientHeight' is not a quasi-identifier of the [privacy] section; its "
            "quasi-identifiers: age, PatientSex, PatientSize, PatientWeight")):
        parse_recipe(text)
    with pytest.raises(RecipeError, match="needs a \\[privacy\\] section"):
        parse_recipe('[report]\npartition_axes = ["age", "PatientWeight"]\n')
    chosen = parse_recipe(RECIPE + '\n[report]\npartition_axes = ["PatientWeight", "age"]\n')
    assert chosen.report_partition_axes == ("PatientWeight", "age")
    assert chosen.fingerprint() == parse_recipe(RECIPE).fingerprint()  # looks, not output


def test_a_rerun_redraws_the_report_when_only_its_settings_changed(tmp_path: Path,
                                                                    report_key: Path) -> None:
    """``[report]`` reprocesses nothing, but the report follows it; an unchanged rerun keeps it."""
    write_cohort(tmp_path / "src", Deriver(1), 12)
    recipe = tmp_path / "recipe.toml"
    page = tmp_path / "out" / ".medanon" / "report.html"

    def run_with(axes: str) -> str:
        recipe.write_text(RECIPE + f"\n[report]\npartition_axes = {axes}\n", encoding="utf-8")
        run = medanon("run", tmp_path / "src", tmp_path / "out", "--recipe", recipe, "--key",
                      report_key, "--workers", "1", "-q")
        assert run.returncode in (0, 1), run.stderr
        return page.read_text(encoding="utf-8")

    assert "equivalence classes over PatientWeight and age" in run_with(
        '["PatientWeight", "age"]')
    assert "equivalence classes over age and PatientSize" in run_with('["age", "PatientSize"]')
    drawn = page.stat().st_mtime_ns
    assert "equivalence classes over age and PatientSize" in run_with('["age", "PatientSize"]')
    assert page.stat().st_mtime_ns == drawn  # nothing changed: the report is kept
