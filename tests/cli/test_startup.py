"""``medanon run`` starts cheaply: a rerun with nothing left to do must stay far quicker
than the run itself, so its command line skips typer (which loads pydantic) and the
default recipe skips pydantic. These tests hold the plain-argument reader to the typer
declaration, and the rerun to its import budget."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.main import get_command

from medanon.cli import run as run_cli
from medanon.sample import generate_sample

#: What a rerun with nothing left to do must not import.
HEAVY = ("typer", "click", "pydantic", "pydantic_core", "rich", "pydicom", "numpy", "pandas",
         "pyarrow", "matplotlib", "jinja2", "cryptography", "tomllib")


def _run_command() -> Any:
    """The click command typer builds for ``run`` (typer ships its own copy of click)."""
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Test root."""

    run_cli.register(app)
    return get_command(app).commands["run"]  # type: ignore[attr-defined]


def test_plain_reader_knows_exactly_the_declared_options() -> None:
    command = _run_command()
    declared: dict[str, str] = {}
    defaults: dict[str, Any] = {}
    flags: set[str] = set()
    for param in command.params:
        if param.param_type_name == "option":
            for spelling in param.opts:
                declared[spelling] = str(param.name)
            if param.is_flag:
                flags.add(str(param.name))
            defaults[str(param.name)] = param.default
        else:
            assert param.name in ("src", "dst") and param.required
    assert declared == {**run_cli.VALUE_OPTIONS, **run_cli.FLAG_OPTIONS}
    assert set(run_cli.FLAG_OPTIONS.values()) == flags
    assert defaults == run_cli.DEFAULTS


@pytest.mark.parametrize(("args", "expected"), [
    (["s", "d"], {}),
    (["s", "--key", "k.key", "d", "-q"], {"key": Path("k.key"), "quiet": True}),
    (["--key=k", "-w", "3", "--restart", "s", "d", "--staging-size", "1G"],
     {"key": Path("k"), "workers": 3, "restart": True, "staging_size": "1G"}),
    (["s", "d", "--accept-no-meta"], {"accept_no_meta": True}),
    (["s", "d", "-r", "r.toml", "--state", "st", "--staging", "sg", "--cluster", "local:2"],
     {"recipe": Path("r.toml"), "state": Path("st"), "staging": Path("sg"),
      "cluster": "local:2"}),
    (["s", "d", "--key-env", "SITE_KEY"], {"key_env": "SITE_KEY"}),
    (["--key-env=SITE_KEY", "s", "d"], {"key_env": "SITE_KEY"}),
])
def test_plain_command_lines_are_read_as_typer_reads_them(args: list[str],
                                                          expected: dict[str, Any]) -> None:
    want = {"src": Path("s"), "dst": Path("d"), **run_cli.DEFAULTS, **expected}
    assert run_cli.plain_arguments(args) == want
    context = _run_command().make_context("run", list(args))
    assert {name: context.params[name] for name in want} == want


@pytest.mark.parametrize("args", [
    [], ["s"], ["s", "d", "e"], ["s", "d", "--help"], ["s", "d", "-qk", "k"],
    ["s", "d", "--key"], ["s", "d", "--key", "-q"], ["s", "d", "-k=x"], ["s", "d", "-kx"],
    ["s", "d", "--workers", "-1"], ["s", "d", "--workers", "x"], ["s", "d", "-w", "1_0"],
    ["s", "d", "--quiet=1"], ["s", "d", "-q", "-q"], ["s", "d", "--", "x"], ["s", "-", "d"],
    ["s", ""], ["s", "d", "--bogus"], ["s", "d", "--ke", "k"],
])
def test_anything_unusual_is_left_to_typer(args: list[str]) -> None:
    assert run_cli.plain_arguments(args) is None


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


def _without_head(summary: str) -> str:
    return re.sub(r"; audit head: [0-9a-f]{64}", "", summary)


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
    # The same command line spelt so that typer reads it gives the same answer.
    via_typer = _medanon_with_modules("run", sample, out, "-qk", key, "--workers", "1")
    assert "typer" in via_typer[3]
    # Each session appends to the audit log, so the heads the two print differ.
    assert via_typer[0] == rerun[0] and via_typer[2] == rerun[2]
    assert _without_head(via_typer[1]) == _without_head(rerun[1])
    assert "audit head: " in rerun[1]


def test_errors_on_the_plain_path_are_one_clear_line(tmp_path: Path) -> None:
    key = tmp_path / "site.key"
    _medanon_with_modules("keygen", key)
    status, stdout, stderr, modules = _medanon_with_modules(
        "run", tmp_path / "absent", tmp_path / "out", "--key", key)
    assert status == 2 and stdout == ""
    assert stderr == "medanon: error: the source folder (SRC) does not exist"
    assert "typer" not in modules
