"""The sealed crosswalk: a round trip for many patients, and one clear error for a wrong key,
a flipped byte, a truncated file; a resumed run adds what is new and nothing twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pydicom
import pytest

from medanon.custody.crosswalk import (
    CrosswalkError,
    load_private,
    look_up,
    open_crosswalk,
    write_crosswalk_keypair,
)
from medanon.custody.keys import SecretKey
from medanon.custody.recorder import CustodyOptions
from medanon.errors import KeyFileError
from medanon.profile.recipe import default_recipe
from medanon.runner.run import RunOptions, run_folder
from medanon.sample import SampleCollection
from tests.runner.conftest import multi_sample as multi_sample  # the same four sites

from .conftest import MEDANON, assert_one_clear_error, medanon

KEY = SecretKey(b"c" * 32)


@pytest.fixture()
def pair(tmp_path: Path) -> tuple[Path, Path]:
    private, public = tmp_path / "cw.key", tmp_path / "cw.pub"
    write_crosswalk_keypair(private, public)
    return private, public


def _run(src: Path, dst: Path, public: Path) -> None:
    run_folder(src, dst, default_recipe(), KEY, options=RunOptions(
        workers=1, custody=CustodyOptions(crosswalk_public_key=public)))


def _truth(dst: Path) -> dict[str, set[str]]:
    """Per patient pseudonym in the output, its new study UIDs."""
    studies: dict[str, set[str]] = {}
    for path in dst.rglob("*.dcm"):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        studies.setdefault(str(ds.PatientID), set()).add(str(ds.StudyInstanceUID))
    return studies


def _sealed(dst: Path) -> Path:
    return dst / ".medanon" / "crosswalk.sealed"


def test_round_trip_for_every_patient_and_study(tmp_path: Path, pair: tuple[Path, Path],
                                                sample: SampleCollection) -> None:
    private, public = pair
    dst = tmp_path / "out"
    _run(sample.root, dst, public)
    assert _sealed(dst).stat().st_mode & 0o777 == 0o600
    records = open_crosswalk(_sealed(dst), load_private(private, None))
    truth = _truth(dst)
    assert len(truth) >= 4
    patients = {r["pseudonym"]: r for r in records if r["kind"] == "patient"}
    assert set(patients) == set(truth)
    studies = {r["StudyInstanceUID"] for r in records if r["kind"] == "study"}
    assert studies == set().union(*truth.values())
    assert len(records) == len(patients) + len(studies)  # one record each, no duplicate
    planted_ids = {v.value for v in sample.planted_values if v.kind == "patient-id"}
    assert {r["PatientID"] for r in patients.values()} <= planted_ids
    # The site cannot read it: no planted value in its bytes.
    data = _sealed(dst).read_bytes()
    assert not [v for v in sample.planted if v.encode() in data]
    # The command line answers a pseudonym and a study UID, and logs the question only.
    pseudonym = sorted(truth)[0]
    answer = medanon("reidentify", "--crosswalk", _sealed(dst), "--private-key", private,
                     pseudonym)
    assert answer.returncode == 0, answer.stderr
    assert patients[pseudonym]["PatientID"] in answer.stdout
    study = sorted(truth[pseudonym])[0]
    by_uid = medanon("reidentify", "--crosswalk", _sealed(dst), "--private-key", private,
                     study)
    assert by_uid.returncode == 0 and patients[pseudonym]["PatientID"] in by_uid.stdout
    assert look_up(records, "MA-NOT-THERE") == []
    log = [json.loads(line) for line in (dst / ".medanon" / "audit.jsonl").read_bytes()
           .splitlines()]
    lookups = [e for e in log if e["kind"] == "lookup"]
    assert [e["query"] for e in lookups] == [pseudonym, study]
    assert patients[pseudonym]["PatientID"] not in json.dumps(log)
    assert medanon("audit", "verify", dst).returncode == 0


def test_wrong_key_flipped_byte_truncated(tmp_path: Path, pair: tuple[Path, Path],
                                          sample: SampleCollection) -> None:
    private, public = pair
    dst = tmp_path / "out"
    _run(sample.root, dst, public)
    sealed = _sealed(dst)
    good = sealed.read_bytes()
    other_private, _other_public = tmp_path / "o.key", tmp_path / "o.pub"
    write_crosswalk_keypair(other_private, _other_public)
    wrong = medanon("reidentify", "--crosswalk", sealed, "--private-key", other_private, "X")
    assert_one_clear_error(wrong, "does not open with this private key")
    lines = good.splitlines(keepends=True)
    record = bytearray(lines[3])
    position = record.index(b'"ct":"') + 10
    record[position] = ord("A") if record[position] != ord("A") else ord("B")
    sealed.write_bytes(b"".join([*lines[:3], bytes(record), *lines[4:]]))
    assert_one_clear_error(
        medanon("reidentify", "--crosswalk", sealed, "--private-key", private, "X"),
        "damaged at line 4")
    sealed.write_bytes(good[:len(good) - 20])
    assert_one_clear_error(
        medanon("reidentify", "--crosswalk", sealed, "--private-key", private, "X"),
        "truncated")
    sealed.write_bytes(b"".join([*lines[:2], *lines[3:]]))  # one record deleted
    with pytest.raises(CrosswalkError, match="missing or moved"):
        open_crosswalk(sealed, load_private(private, None))
    sealed.write_bytes(b"".join(lines[:-1]))  # the end line cut at a line boundary
    with pytest.raises(CrosswalkError, match="ends inside a session"):
        open_crosswalk(sealed, load_private(private, None))


def test_passphrase_protected_private_key(tmp_path: Path) -> None:
    private, public = tmp_path / "p.key", tmp_path / "p.pub"
    made = medanon("crosswalk", "keygen", private, public, "--passphrase-env", "CW_PASS",
                   env={"CW_PASS": "correct horse"})
    assert made.returncode == 0, made.stderr
    assert private.stat().st_mode & 0o777 == 0o600
    assert b"ENCRYPTED" in private.read_bytes()
    assert load_private(private, b"correct horse") is not None
    with pytest.raises(KeyFileError, match="passphrase"):
        load_private(private, None)
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        load_private(private, b"wrong")


def test_a_resumed_run_extends_without_duplicates(
        tmp_path: Path, pair: tuple[Path, Path], key_file: Path, multi_sample: Path) -> None:
    private, public = pair
    dst = tmp_path / "out"
    process = subprocess.Popen(
        [*MEDANON, "run", str(multi_sample), str(dst), "--key", str(key_file), "-q",
         "--workers", "2", "--no-report", "--crosswalk-public-key", str(public)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    log = dst / ".medanon" / "audit.jsonl"
    while process.poll() is None and (not log.exists() or log.read_bytes().count(b"\n") < 40):
        time.sleep(0.002)
    os.killpg(process.pid, signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    resumed = medanon("run", multi_sample, dst, "--key", key_file, "-q", "--workers", "2",
                      "--no-report", "--crosswalk-public-key", public)
    assert resumed.returncode == 1, resumed.stderr
    records = open_crosswalk(_sealed(dst), load_private(private, None))
    truth = _truth(dst)
    patients = [r["pseudonym"] for r in records if r["kind"] == "patient"]
    studies = [r["StudyInstanceUID"] for r in records if r["kind"] == "study"]
    assert sorted(patients) == sorted(truth)  # each once
    assert sorted(studies) == sorted(set().union(*truth.values()))
    sessions = [line for line in _sealed(dst).read_bytes().splitlines()
                if b'"kind":"session"' in line]
    assert len(sessions) == 2
