"""The HTML report: written by ``medanon run`` and ``medanon verify --report``, one
self-contained file, bounded in size for huge runs."""

from __future__ import annotations

import re
import time
from pathlib import Path

from medanon.report.data import build_report_data
from medanon.report.render import render_html
from medanon.sample import SampleCollection
from medanon.verify import Finding, VerifyResult
from tests.report_html.conftest import medanon

SECTIONS = ("summary", "findings", "problems", "review", "pixels", "census", "privacy",
            "timings")


def _self_contained(html: str) -> None:
    assert "<script" not in html.lower()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", html)
    assert "@import" not in html


def test_run_writes_the_report_and_says_where(run_output: tuple[Path, str]) -> None:
    out, printed = run_output
    html_path = out / ".medanon" / "report.html"
    assert f"HTML report: {html_path}" in printed
    html = html_path.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f'<section id="{section}">' in html
    _self_contained(html)
    assert "<svg" in html  # the outcome plot is embedded
    assert "not a DICOM file" in html  # a failed file's reason


def test_run_report_names_no_planted_value(run_output: tuple[Path, str],
                                           report_sample: SampleCollection) -> None:
    html = (run_output[0] / ".medanon" / "report.html").read_text(encoding="utf-8")
    for value in report_sample.planted:
        if len(value) >= 6:
            assert value not in html


def test_no_report_skips_it(report_sample: SampleCollection, report_key: Path,
                            tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = medanon("run", report_sample.root, out, "--key", report_key, "--workers", "1",
                  "-q", "--no-report")
    assert run.returncode == 1
    assert not (out / ".medanon" / "report.html").exists()
    assert "HTML report" not in run.stdout


def test_verify_report_shows_findings(report_sample: SampleCollection, tmp_path: Path) -> None:
    target = tmp_path / "verify.html"
    run = medanon("verify", report_sample.root, "--report", target, "--dciodvfy", "off",
                  "-q", "--workers", "1")
    assert run.returncode == 1
    html = target.read_text(encoding="utf-8")
    assert "Verification: " in html and "findings in" in html
    assert "PN value is not a pseudonym" in html


def test_a_huge_run_makes_a_bounded_report() -> None:
    """200,000 problems, 100,000 findings, 3,000 attributes: capped, fast to build."""
    run = {"settings": {"mode": "blacklist"}, "files": 1_000_000,
           "counts": {"written": 800_000, "withheld": 200_000},
           "problems": [{"file": f"{n:020x}", "status": "withheld",
                         "reason": "BurnedInAnnotation is YES"} for n in range(200_000)],
           "whitelist_review": [], "this_session": {"processed": 1_000_000,
                                                    "elapsed_seconds": 5000.0}}
    findings = [Finding(f"p/{n}.dcm", "(0010,0010)", "name", "PN value is not a pseudonym")
                for n in range(100_000)]
    census = [{"path": f"(0009,{n:04X})", "keyword": "private", "vr": "LO", "files": 10,
               "occurrences": 10, "distinct": 10_000, "distinct_more": True,
               "free_text": True, "flags": ["id"], "values_hidden": 9_975,
               "values": [{"value": f"V{v}", "count": 1, "flags": []} for v in range(25)]}
              for n in range(3_000)]
    verified = VerifyResult(findings, census, {"outputs": 800_000, "files_with_findings": 1,
                                               "by_category": {"name": 100_000},
                                               "against": False, "dciodvfy": "off",
                                               "timings": {}, "outputs_per_second": 1.0})
    started = time.monotonic()
    html = render_html(build_report_data(Path("/nonexistent"), run, verified, title="t"))
    assert time.monotonic() - started < 20
    assert len(html) < 8_000_000
    assert "The first 500 of 100000 findings" in html
    assert "The first 500 of 200000" in html


def test_privacy_release_class_sizes_come_from_the_table(tmp_path: Path) -> None:
    """A release as ``medanon run`` with a [privacy] section writes it: classes counted from
    patients.csv, the quasi-identifiers and metrics from privacy.json."""
    import json

    from medanon.report.release import read_release

    release = tmp_path / "medanon-release"
    release.mkdir()
    rows = ["patient,age,PatientSex,class,class_size"]
    rows += [f"MA{n:012d},40-49,F,0,3" for n in range(3)]
    rows += [f"MB{n:012d},50-59,M,1,2" for n in range(2)]
    (release / "patients.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (release / "privacy.json").write_text(json.dumps({
        "settings": {"k": 2, "quasi_identifiers": ["age", "PatientSex"]},
        "metrics": {"gcp": 0.25, "gcp_per_qi": {"age": 0.5, "PatientSex": 0.0}}}))
    summary = read_release(tmp_path)
    assert summary.class_sizes == (2, 3) and summary.smallest_class == 2
    verified = VerifyResult([], [], {"outputs": 0, "files_with_findings": 0,
                                     "by_category": {}, "against": False, "dciodvfy": "off",
                                     "timings": {}, "outputs_per_second": 0})
    html = render_html(build_report_data(tmp_path, None, verified, title="t"))
    assert "2 equivalence classes over age, PatientSex" in html and "(k = 2)" in html
    assert "gcp_per_qi age" in html
    from medanon.verify import VerifyOptions, verify_folder

    checked = verify_folder(tmp_path, VerifyOptions(workers=1))
    html = render_html(build_report_data(tmp_path, None, checked, title="t"))
    assert "Re-checked by the independent checker" in html and "meets the run" in html
    absent = render_html(build_report_data(tmp_path / "none", None, verified, title="t"))
    assert "this output has no privacy release" in absent
