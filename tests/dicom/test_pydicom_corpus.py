"""Every file that ships with pydicom goes through ``process_file``: written, or not with a reason.

The files are globbed on disk (``pydicom/data/test_files``); pydicom's
``get_testdata_file`` is not used because it may try to download. Then, with
Debian's dicom3tools (installed by scripts/test), every written output is
validated by ``dciodvfy``: it must report no error that it did not already report
on the input.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pydicom
import pytest

from medanon.custody.keys import SecretKey
from medanon.dicom.quiet import quiet_pydicom
from medanon.dicom.tempfiles import TEMP_PREFIX
from medanon.profile.recipe import default_recipe
from medanon.profile.ruleset import build_ruleset
from medanon.runner.outcome import FileOutcome, Status
from medanon.runner.process import RunContext, process_file
from tests.dicom.builders import ruleset

TEST_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
CORPUS = sorted(p for p in TEST_FILES.rglob("*") if p.is_file())
KEY = SecretKey(b"corpus-key-0123456789abcdef")
NOT_WRITTEN = (Status.WITHHELD, Status.FAILED, Status.EXCLUDED)
ON_DISK = (Status.WRITTEN, Status.DUPLICATE)


def name(path: Path) -> str:
    return path.relative_to(TEST_FILES).as_posix()


@dataclass(frozen=True)
class CorpusRun:
    dst: Path
    outcomes: dict[str, FileOutcome]
    crashes: dict[str, str]


def run_corpus(dst: Path, *, separate: bool, allow_burned_in: bool) -> CorpusRun:
    """Process every file; ``separate`` gives each its own output folder (no name clashes)."""
    rules = (ruleset(["retain-longitudinal-modified-dates"], allow_burned_in=True)
             if allow_burned_in else build_ruleset(default_recipe()))
    outcomes, crashes = {}, {}
    for index, path in enumerate(CORPUS):
        target = dst / str(index) if separate else dst
        ctx = RunContext(TEST_FILES, target, rules, KEY, durable=False)
        try:
            outcomes[name(path)] = process_file(path, ctx)
        except Exception as exc:  # noqa: BLE001 - the point is that nothing escapes
            crashes[name(path)] = f"{type(exc).__name__}: {exc}"
    return CorpusRun(dst, outcomes, crashes)


@pytest.fixture(scope="module")
def shared_run(tmp_path_factory: pytest.TempPathFactory) -> CorpusRun:
    """The default recipe, every file into one output folder, as ``medanon run`` would."""
    return run_corpus(tmp_path_factory.mktemp("corpus-shared"), separate=False,
                      allow_burned_in=False)


def test_the_corpus_is_there() -> None:
    assert len(CORPUS) > 80, f"pydicom's test files not found under {TEST_FILES}"


def test_no_exception_escapes(shared_run: CorpusRun) -> None:
    assert not shared_run.crashes, "process_file raised:\n" + "\n".join(
        f"  {file}: {error}" for file, error in sorted(shared_run.crashes.items()))


def test_every_file_has_an_outcome_and_a_reason(shared_run: CorpusRun) -> None:
    problems = []
    for file, outcome in sorted(shared_run.outcomes.items()):
        if outcome.status in NOT_WRITTEN:
            if not (outcome.reason or "").strip():
                problems.append(f"{file}: {outcome.status.value} without a reason")
            if outcome.output is not None:
                problems.append(f"{file}: {outcome.status.value} but names an output")
        else:
            assert outcome.status in ON_DISK
            if outcome.output is None or not (shared_run.dst / outcome.output).is_file():
                problems.append(f"{file}: {outcome.status.value} but no output file")
    assert not problems, "\n".join(problems)
    assert len(shared_run.outcomes) + len(shared_run.crashes) == len(CORPUS)


def test_only_written_inputs_have_output_files(shared_run: CorpusRun) -> None:
    claimed = {o.output for o in shared_run.outcomes.values() if o.status in ON_DISK}
    files = {p.relative_to(shared_run.dst).as_posix() for p in shared_run.dst.rglob("*")
             if p.is_file() and ".medanon" not in p.parts}
    assert files == claimed


def test_no_temporary_file_is_left(shared_run: CorpusRun) -> None:
    assert not [p for p in shared_run.dst.rglob("*") if p.name.startswith(TEMP_PREFIX)]


@pytest.mark.parametrize(("file", "status", "words"), [
    ("CT_small.dcm", Status.WRITTEN, ""),
    ("MR_small.dcm", Status.WRITTEN, ""),
    ("dicomdirtests/DICOMDIR", Status.EXCLUDED, "DICOMDIR"),
    ("README.txt", Status.FAILED, "not a DICOM file"),
    ("MR_truncated.dcm", Status.FAILED, "truncated"),
    ("rtplan_truncated.dcm", Status.FAILED, "truncated"),
    # Ultrasound: searched for burned-in text and written clean (JPEG 2000 lossless again).
    ("examples_jpeg2k.dcm", Status.WRITTEN, ""),
    # Must be searched, but its 12-bit JPEG cannot be decoded here: withheld (fail closed).
    ("JPEG-lossy.dcm", Status.WITHHELD, "cannot be decoded"),
])
def test_known_outcomes(shared_run: CorpusRun, file: str, status: Status, words: str) -> None:
    outcome = shared_run.outcomes[file]
    assert outcome.status is status, f"{file}: {outcome.status.value} ({outcome.reason})"
    assert words in (outcome.reason or "")


def test_written_files_are_marked_and_free_of_the_patient_name(shared_run: CorpusRun) -> None:
    problems = []
    for file, outcome in sorted(shared_run.outcomes.items()):
        if outcome.status is not Status.WRITTEN or outcome.output is None:
            continue
        with quiet_pydicom():
            source = pydicom.dcmread(TEST_FILES / file, stop_before_pixels=True, force=True)
            output_path = shared_run.dst / outcome.output
            out = pydicom.dcmread(output_path)
        if out.get("PatientIdentityRemoved") != "YES":
            problems.append(f"{file}: PatientIdentityRemoved is not YES")
        raw = output_path.read_bytes()
        full_name = str(source.get("PatientName", "") or "")
        for part in {full_name, *re.split(r"[\^=]", full_name)}:
            if len(part.strip()) >= 4 and part.strip().encode("latin-1", "ignore") in raw:
                problems.append(f"{file}: a part of the patient's name is in the output")
        patient_id = str(source.get("PatientID", "") or "").strip()
        if len(patient_id) >= 4 and patient_id.encode("latin-1", "ignore") in raw:
            problems.append(f"{file}: the Patient ID is in the output")
    assert not problems, "\n".join(problems)


# ----------------------------------------------------------------------------------------
# dciodvfy: no new errors.
# ----------------------------------------------------------------------------------------

DCIODVFY = shutil.which("dciodvfy")
_VALUE = re.compile(r"= <[^>]*>")
_INDEX = re.compile(r"\[\d+\]")


def dciodvfy_errors(path: Path) -> tuple[frozenset[str], bool]:
    """The normalised Error lines dciodvfy prints for ``path``, and whether it could read it."""
    assert DCIODVFY is not None
    result = subprocess.run([DCIODVFY, "-new", str(path)], capture_output=True, text=True,
                            errors="replace", timeout=60, check=False)
    lines = (result.stdout + result.stderr).splitlines()
    errors = frozenset(_INDEX.sub("", _VALUE.sub("", line)).strip()
                       for line in lines if line.startswith("Error"))
    readable = not any("Dicom dataset read failed" in line for line in lines)
    return errors, readable


MISSING = "dciodvfy (Debian package dicom3tools) is not installed; scripts/test installs it"


def running_under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def test_dciodvfy_is_installed() -> None:
    """Under CI the validator must be there: a skipped validation would pass unnoticed."""
    if DCIODVFY is None:
        if running_under_ci():
            pytest.fail(MISSING + " (CI is set)")
        pytest.skip(MISSING)


@pytest.fixture(scope="module")
def validated_run(tmp_path_factory: pytest.TempPathFactory) -> CorpusRun:
    """Every file in its own folder, burned-in check off: as many outputs as possible."""
    if DCIODVFY is None:
        pytest.skip(MISSING)
    return run_corpus(tmp_path_factory.mktemp("corpus-validated"), separate=True,
                      allow_burned_in=True)


def test_enough_outputs_are_validated(validated_run: CorpusRun) -> None:
    written = [o for o in validated_run.outcomes.values() if o.status is Status.WRITTEN]
    assert len(written) >= 60, f"only {len(written)} corpus files were written"


@pytest.mark.parametrize("file", [name(p) for p in CORPUS])
def test_dciodvfy_reports_no_new_error(validated_run: CorpusRun, file: str) -> None:
    outcome = validated_run.outcomes.get(file)
    if outcome is None or outcome.status is not Status.WRITTEN or outcome.output is None:
        pytest.skip("not written: nothing to validate")
    index = [name(p) for p in CORPUS].index(file)
    output = validated_run.dst / str(index) / outcome.output
    before, readable = dciodvfy_errors(TEST_FILES / file)
    if not readable:
        pytest.skip("dciodvfy cannot read the input (e.g. deflated): no baseline")
    after, _ = dciodvfy_errors(output)
    new = sorted(after - before)
    assert not new, f"{file}: dciodvfy reports {len(new)} new error(s):\n" + "\n".join(new)
