"""k, l and t of a privacy release re-checked by the independent checker inside verify."""

from __future__ import annotations

import json
from pathlib import Path

from medanon.verify import VerifyOptions, verify_folder


def _release(out: Path, settings: dict[str, object], diagnoses: list[str]) -> None:
    folder = out / "medanon-release"
    folder.mkdir(parents=True)
    ages = ["40-49"] * 3 + ["50-59"] * 2
    (folder / "patients.csv").write_text(
        "patient,age,PatientSex,class,class_size\n"
        + "".join(f"P{n},{age},F,0,9\n" for n, age in enumerate(ages)), encoding="utf-8")
    (folder / "clinical.csv").write_text(
        "patient,diagnosis,class,class_size\n"
        + "".join(f"P{n},{d},0,9\n" for n, d in enumerate(diagnoses)), encoding="utf-8")
    (folder / "privacy.json").write_text(json.dumps({"settings": {
        "quasi_identifiers": ["age", "PatientSex"], "sensitive": "clinical:diagnosis",
        **settings}}), encoding="utf-8")


def test_a_release_that_meets_its_settings_passes(tmp_path: Path) -> None:
    _release(tmp_path, {"k": 2, "l": 2}, ["a", "b", "a", "c", "d"])
    result = verify_folder(tmp_path, VerifyOptions(workers=1))
    assert result.findings == []
    assert result.summary["privacy_release"]["k"] == 2
    assert result.summary["privacy_release"]["l_distinct"] == 2


def test_k_and_l_below_the_settings_are_findings(tmp_path: Path) -> None:
    # The engine's class ids claim one class of 9; the checker counts classes of 3 and 2.
    _release(tmp_path, {"k": 3, "l": 2}, ["a", "b", "a", "c", "c"])
    result = verify_folder(tmp_path, VerifyOptions(workers=1))
    checks = sorted(f.check for f in result.findings)
    assert [f.location for f in result.findings] == ["table", "table"]
    assert checks[0].startswith("privacy release: k:") and checks[1].startswith(
        "privacy release: l")
    assert result.exit_code == 1
