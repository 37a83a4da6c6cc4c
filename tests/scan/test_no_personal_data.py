"""Nothing ``medanon scan`` prints or writes holds a planted value, except ``--values``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from medanon.custody.keys import SecretKey, write_key
from medanon.sample import SampleCollection
from medanon.sample.collection import byte_patterns


def medanon(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "medanon", *map(str, args)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "200"})


@pytest.fixture(scope="module")
def outputs(sample: SampleCollection, tmp_path_factory: pytest.TempPathFactory
            ) -> dict[str, Path | str]:
    out = tmp_path_factory.mktemp("scan-out")
    key = out / "scan.key"
    write_key(key, SecretKey(bytes(range(32))))
    result = medanon("scan", sample.root, "--key", key, "--workers", "2",
                     "--json", out / "scan.json", "--census", out / "census.parquet",
                     "--patients", out / "patients.parquet", "--values", out / "values.csv")
    assert result.returncode == 0, result.stderr
    values_json = medanon("scan", sample.root, "--key", key, "--workers", "1", "--quiet",
                          "--values", out / "values.json")
    assert values_json.returncode == 0, values_json.stderr
    return {"screen": result.stdout + result.stderr, "json": out / "scan.json",
            "census": out / "census.parquet", "patients": out / "patients.parquet",
            "values": out / "values.csv", "values_json": out / "values.json"}


def _text(output: Path | str) -> str:
    if isinstance(output, str):
        return output
    if output.suffix == ".parquet":
        return json.dumps(pq.read_table(output).to_pylist(), ensure_ascii=False)
    return output.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["screen", "json", "census", "patients"])
def test_no_planted_value_in_what_scan_prints_and_writes(
        sample: SampleCollection, outputs: dict[str, Path | str], name: str) -> None:
    text = _text(outputs[name])
    assert text.strip()
    leaked = [p.kind for p in sample.planted_values if p.value in text]
    assert not leaked, f"{name} holds planted values of kinds {sorted(set(leaked))}"


def test_the_screen_shows_the_counts(sample: SampleCollection,
                                     outputs: dict[str, Path | str]) -> None:
    screen = _text(outputs["screen"])
    assert "CT Image Storage" in screen and "Explicit VR Little Endian" in screen
    assert "personal data" in screen  # the warning about the --values file
    document = json.loads(_text(outputs["json"]))
    assert document["summary"]["patients"] == sample.patients
    assert document["patients"]["count"] == sample.patients
    assert len(document["census"]) == document["summary"]["attributes"]["total"]


@pytest.mark.parametrize("name", ["values", "values_json"])
def test_the_values_file_holds_every_planted_header_value(
        sample: SampleCollection, dicom_bytes: bytes, outputs: dict[str, Path | str],
        name: str) -> None:
    in_headers = [p for p in sample.planted_values
                  if any(pattern in dicom_bytes for pattern in byte_patterns(p.value))]
    assert len(in_headers) > 100
    text = _text(outputs[name])
    if name == "values_json":
        text = json.dumps(json.loads(text), ensure_ascii=False)
    missing = [(p.kind, p.value) for p in in_headers if p.value not in text]
    assert not missing


def test_patient_table_columns(outputs: dict[str, Path | str],
                               sample: SampleCollection) -> None:
    table = pq.read_table(outputs["patients"]).to_pylist()
    assert len(table) == sample.patients
    for row in table:
        assert row["patient"].startswith("MA") and len(row["patient"]) == 14
        assert row["files"] >= row["studies"] >= 1
        assert row["age"] is None or 0 <= row["age"] <= 120
        assert row["PatientSex"] in ("M", "F", "O", None)
