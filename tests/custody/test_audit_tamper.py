"""Tampering with the audit log or an output is caught, and the right line is named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medanon.custody.audit import verify_audit
from medanon.custody.chain import GENESIS, canonical, entry_hash
from medanon.sample import SampleCollection

from .conftest import medanon


def _log(dst: Path) -> Path:
    return dst / ".medanon" / "audit.jsonl"


def _lines(dst: Path) -> list[bytes]:
    return _log(dst).read_bytes().splitlines(keepends=True)


def _write(dst: Path, lines: list[bytes]) -> None:
    _log(dst).write_bytes(b"".join(lines))


def test_an_untouched_run_verifies(audited_copy: Path) -> None:
    result = verify_audit(audited_copy)
    assert result.intact, result.problem
    assert result.outputs_checked == len(list(audited_copy.rglob("*.dcm"))) > 0
    entries = [json.loads(line) for line in _lines(audited_copy)]
    assert entries[0]["kind"] == "run-start" and entries[0]["prev"] == GENESIS
    assert entries[-1]["kind"] == "run-end"
    assert all(e["prev"] == p["hash"] for p, e in zip(entries, entries[1:], strict=False))
    report = json.loads((audited_copy / ".medanon" / "report.json").read_text())
    assert report["settings"]["audit_head"] == entries[-1]["hash"] == result.summary.head
    cli = medanon("audit", "verify", audited_copy)
    assert cli.returncode == 0 and "intact" in cli.stdout, cli.stderr


def test_one_edited_byte_names_its_line(audited_copy: Path) -> None:
    lines = _lines(audited_copy)
    target = 5
    edited = lines[target - 1].replace(b'"status":"', b'"status":"X', 1)
    assert edited != lines[target - 1]
    lines[target - 1] = edited
    _write(audited_copy, lines)
    problem = verify_audit(audited_copy).problem
    assert problem is not None and problem.line == target and "edited" in problem.message
    cli = medanon("audit", "verify", audited_copy)
    assert cli.returncode == 1 and f"line {target}:" in cli.stderr


@pytest.mark.parametrize("position", [0, 40])
def test_a_single_flipped_byte_anywhere_in_a_line(audited_copy: Path, position: int) -> None:
    lines = _lines(audited_copy)
    line = bytearray(lines[9])
    line[position] ^= 0x01
    lines[9] = bytes(line)
    _write(audited_copy, lines)
    problem = verify_audit(audited_copy).problem
    assert problem is not None and problem.line == 10


def test_a_deleted_line_names_the_line_after_the_gap(audited_copy: Path) -> None:
    lines = _lines(audited_copy)
    del lines[6]
    _write(audited_copy, lines)
    problem = verify_audit(audited_copy).problem
    assert problem is not None and problem.line == 7 and "deleted" in problem.message


def test_two_swapped_lines(audited_copy: Path) -> None:
    lines = _lines(audited_copy)
    lines[10], lines[11] = lines[11], lines[10]
    _write(audited_copy, lines)
    problem = verify_audit(audited_copy).problem
    assert problem is not None and problem.line == 11 and "moved" in problem.message


def test_a_forged_line_with_a_good_own_hash_but_the_wrong_predecessor(
        audited_copy: Path) -> None:
    lines = _lines(audited_copy)
    original = json.loads(lines[12])
    forged = {**original, "status": "written", "prev": "f" * 64}
    forged["hash"] = entry_hash(forged)
    lines[12] = canonical(forged) + b"\n"
    _write(audited_copy, lines)
    problem = verify_audit(audited_copy).problem
    assert problem is not None and problem.line == 13 and "predecessor" in problem.message


def test_an_inserted_line_with_a_recomputed_chain_up_to_it(audited_copy: Path) -> None:
    lines = _lines(audited_copy)
    before = json.loads(lines[14])
    forged = {"kind": "file", "source": "0" * 20, "status": "written", "n": 16,
              "prev": before["hash"], "output": None}
    forged["hash"] = entry_hash(forged)
    lines.insert(15, canonical(forged) + b"\n")
    _write(audited_copy, lines)
    problem = verify_audit(audited_copy).problem
    # The forged line itself fits; the real line after it no longer does.
    assert problem is not None and problem.line == 17


def test_a_log_truncated_mid_line(audited_copy: Path) -> None:
    data = _log(audited_copy).read_bytes()
    lines = _lines(audited_copy)
    cut = sum(len(line) for line in lines[:20]) + 30
    _log(audited_copy).write_bytes(data[:cut])
    problem = verify_audit(audited_copy).problem
    assert problem is not None and problem.line == 21 and "truncated" in problem.message


def test_a_log_cut_back_at_a_line_end_is_caught_by_the_kept_head(audited_copy: Path) -> None:
    lines = _lines(audited_copy)
    head = json.loads(lines[-1])["hash"]
    _write(audited_copy, lines[:-3])
    assert verify_audit(audited_copy, check_outputs=False).intact  # a chain alone cannot tell
    problem = verify_audit(audited_copy, head=head, check_outputs=False).problem
    assert problem is not None and "cut back" in problem.message


def _first_output_line(dst: Path) -> tuple[int, Path]:
    for number, line in enumerate(_lines(dst), start=1):
        entry = json.loads(line)
        if entry.get("output_sha256"):
            return number, dst / entry["output"]
    raise AssertionError("no output in the log")


def test_an_output_changed_after_the_run(audited_copy: Path) -> None:
    number, output = _first_output_line(audited_copy)
    data = bytearray(output.read_bytes())
    data[-1] ^= 0xFF
    output.write_bytes(bytes(data))
    problem = verify_audit(audited_copy).problem
    assert problem is not None and problem.line == number and "changed" in problem.message
    output.unlink()
    problem = verify_audit(audited_copy).problem
    assert problem is not None and problem.line == number and "missing" in problem.message


def test_an_output_added_after_the_run(audited_copy: Path) -> None:
    _number, output = _first_output_line(audited_copy)
    (output.parent / "2.25.1.dcm").write_bytes(output.read_bytes())
    problem = verify_audit(audited_copy).problem
    assert problem is not None and "not in the audit log" in problem.message


def test_show_summarises(audited_copy: Path) -> None:
    result = medanon("audit", "show", audited_copy)
    assert result.returncode == 0, result.stderr
    assert "sessions: 1 started, 1 finished" in result.stdout
    assert "written" in result.stdout and "head: " in result.stdout


def test_no_log_is_one_clear_error(tmp_path: Path) -> None:
    result = medanon("audit", "verify", tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("medanon: error: no audit log")


def test_a_state_folder_elsewhere_is_verified_against_its_output(
        tmp_path: Path, sample: SampleCollection) -> None:
    from medanon.custody.keys import SecretKey
    from medanon.profile.recipe import default_recipe
    from medanon.runner.run import RunOptions, run_folder

    dst, state = tmp_path / "out", tmp_path / "elsewhere"
    run_folder(sample.root, dst, default_recipe(), SecretKey(b"e" * 32),
               options=RunOptions(workers=1, state_dir=state))
    problem = verify_audit(state).problem  # its parent holds no outputs
    assert problem is not None and "missing" in problem.message
    assert verify_audit(state, output_root=dst).intact
    cli = medanon("audit", "verify", state, "--output", dst)
    assert cli.returncode == 0, cli.stderr


def test_a_stage_2_run_links_to_the_stage_1_log(tmp_path: Path, audited_copy: Path) -> None:
    from medanon.custody.keys import SecretKey
    from medanon.profile.recipe import default_recipe
    from medanon.runner.run import RunOptions, run_folder

    stage2 = tmp_path / "stage2"
    run_folder(audited_copy, stage2, default_recipe(), SecretKey(b"2" * 32),
               options=RunOptions(workers=1))
    start = json.loads(_lines(stage2)[0])
    assert start["source_audit_head"] == json.loads(_lines(audited_copy)[-1])["hash"]
    assert verify_audit(stage2, source=audited_copy).intact
    assert medanon("audit", "verify", stage2, "--source", audited_copy).returncode == 0
    # The stage-1 log rewritten from the start (a new chain): the link no longer holds.
    lines = _lines(audited_copy)
    _write(audited_copy, lines[:-1])
    problem = verify_audit(stage2, source=audited_copy).problem
    assert problem is not None and problem.line == 1 and "stage-1" in problem.message


def test_chain_only_checks_the_chain_and_not_the_outputs(audited_copy: Path) -> None:
    # As in a serve state folder: the outputs are gone (forwarded), the chain is intact.
    for path in audited_copy.rglob("*.dcm"):
        path.unlink()
    assert medanon("audit", "verify", audited_copy).returncode == 1
    cli = medanon("audit", "verify", audited_copy, "--chain-only")
    assert cli.returncode == 0, cli.stderr
    assert "outputs not checked" in cli.stdout
    log = audited_copy / ".medanon" / "audit.jsonl"
    lines = log.read_text().splitlines()
    log.write_text("\n".join(lines[:2] + lines[3:]) + "\n")  # a line deleted: still caught
    assert medanon("audit", "verify", audited_copy, "--chain-only").returncode == 1
