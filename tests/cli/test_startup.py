"""``medanon run`` starts cheaply: a rerun with nothing left to do must stay far quicker
than the run itself, so it loads the command line (typer) and what the rerun needs, and
nothing of the de-identification or table machinery. These tests hold the rerun to its
import budget, and its answers to what the command line promises."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from medanon.sample import generate_sample

#: What a rerun with nothing left to do must not import (typer, and the pydantic it
#: converts parameters with, read the command line).
HEAVY = ("rich", "pydicom", "numpy", "pandas", "pyarrow", "matplotlib", "jinja2",
         "cryptography", "tomllib")


def _medanon_with_modules(*args: str | Path) -> tuple[int, str, str, list[str]]:
    """Run the console entry point in a fresh interpreter; return what it imported too."""
    code = (
        "import json, sys\n"
        "from medanon.cli.main import main\n"
        f"sys.argv = ['medanon', *{[str(a) for a in args]!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    status = exc.code\n"
        "sys.stdout.flush()\n"
        "print(json.dumps({'status': status, 'modules': sorted(sys.modules)}), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "COLUMNS": "100"})
    *messages, last = result.stderr.splitlines()
    report = json.loads(last)
    return report["status"], result.stdout, "\n".join(messages), report["modules"]


def test_a_rerun_with_nothing_to_do_loads_nothing_heavy(tmp_path: Path) -> None:
    sample = generate_sample(tmp_path / "sample").root
    key = tmp_path / "site.key"
    out = tmp_path / "out"
    status, _, _, _ = _medanon_with_modules("keygen", key)
    assert status in (0, None)
    first = _medanon_with_modules("run", sample, out, "--key", key, "--workers", "1", "-q")
    assert first[0] == 1  # the sample plants files that must be withheld
    rerun = _medanon_with_modules("run", sample, out, "--key", key, "--workers", "1", "-q")
    assert rerun[0] == 1 and "(42 already done before this session)" in rerun[1]
    assert rerun[2] == ""
    heavy = [m for m in rerun[3] if m.split(".")[0] in HEAVY]
    assert heavy == []
    assert "audit head: " in rerun[1]
    # Short options grouped as click allows mean the same command.
    grouped = _medanon_with_modules("run", sample, out, "-qk", key, "--workers", "1")
    assert grouped[0] == 1 and "(42 already done before this session)" in grouped[1]


def test_errors_on_the_plain_path_are_one_clear_line(tmp_path: Path) -> None:
    key = tmp_path / "site.key"
    _medanon_with_modules("keygen", key)
    status, stdout, stderr, modules = _medanon_with_modules(
        "run", tmp_path / "absent", tmp_path / "out", "--key", key)
    assert status == 2 and stdout == ""
    assert stderr == "medanon: error: the source folder (SRC) does not exist"
    assert "pydicom" not in modules


def test_usage_errors_exit_2_without_running(tmp_path: Path) -> None:
    status, stdout, stderr, modules = _medanon_with_modules(
        "run", tmp_path / "absent", tmp_path / "out", "--workers", "-1")
    assert status == 2 and stdout == ""
    assert "--workers" in stderr and "Traceback" not in stderr
    assert "medanon.runner.run" not in modules
