"""The run's own report checks a sample of the output, the same files every time."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from medanon.errors import ConfigurationError
from medanon.verify import VerifyOptions, verify_folder
from medanon.verify.verifier import sample_paths


def test_a_sample_is_even_bounded_and_repeatable() -> None:
    paths = [Path(f"f{i:05d}") for i in range(10_000)]
    chosen, total = sample_paths(iter(paths), 100)
    assert total == 10_000 and len(chosen) == 100
    assert chosen == sorted(chosen)  # walk order
    assert sample_paths(iter(paths), 100)[0] == chosen
    # Drawn over the whole list, not its start.
    assert sum(int(p.name[1:]) >= 5_000 for p in chosen) in range(30, 71)
    assert sample_paths(iter(paths[:7]), 100) == (paths[:7], 7)


def test_a_sampled_check_says_so(clean_output: Path) -> None:
    whole = verify_folder(clean_output, VerifyOptions(workers=1, dciodvfy="off"))
    sampled = verify_folder(clean_output, VerifyOptions(workers=1, dciodvfy="off", sample=5))
    assert whole.summary["outputs"] > 5 and "sampled" not in whole.summary
    assert sampled.summary["sampled"] == {"checked": 5, "of": whole.summary["outputs"]}
    assert sampled.summary["outputs"] == 5
    assert not [f for f in sampled.findings if f.check == "referenced instance is not in OUT"]


def test_the_runs_report_names_its_sample(clean_output: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from medanon.report import hook

    out = tmp_path / "out"
    shutil.copytree(clean_output, out)
    (out / ".medanon" / "report.html").unlink(missing_ok=True)
    monkeypatch.setattr(hook, "RUN_REPORT_SAMPLE", 3)
    line = hook.report_after_run(out, out / ".medanon", workers=1)
    assert line.startswith("HTML report:")
    html = (out / ".medanon" / "report.html").read_text()
    assert "3 of " in html and "run medanon verify OUT to check every file" in html


def test_a_sample_cannot_stand_in_for_the_source_accounting(clean_output: Path,
                                                            tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="sample"):
        verify_folder(clean_output, VerifyOptions(against=tmp_path, sample=5))
