"""``medanon locate DST --source SRC --key K [HASH ...]``: from a report's hash to the file.

Reports name the files a run did not write by a keyed hash of their path, so that the
report can travel with the output. A reviewer on the site's side, holding the source and
the key, needs the way back: this walks SRC as the run did, hashes every path with the
key and prints the source path of each file the run did not write (or of the hashes
given). The paths are personal data: they go to the terminal or a file the user names,
never into DST.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from medanon.errors import ConfigurationError, InputError

HASH_LENGTH = 20


def _inside(path: Path, folder: Path) -> bool:
    real, root = Path(os.path.realpath(path)), Path(os.path.realpath(folder))
    return real == root or root in real.parents


def _problems(dst: Path, state: Path | None) -> dict[str, dict[str, str]]:
    report = (state or dst / ".medanon") / "report.json"
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except OSError:
        raise InputError("no run report in DST (.medanon/report.json): is DST the output "
                         "of 'medanon run'?") from None
    except ValueError:
        raise InputError("the run report in DST is not valid JSON") from None
    return {str(p["file"]): p for p in data.get("problems", [])}


def locate(dst: Path, src: Path, key_path: Path, hashes: list[str], *,
           state: Path | None = None) -> tuple[list[tuple[str, str, str, Path]], list[str]]:
    """(hash, status, reason, source path) of each wanted file, and the hashes not found."""
    from medanon.custody.keys import load_key
    from medanon.runner.walk import STATE_DIR_NAME, walk_files

    if not src.is_dir():
        raise ConfigurationError("--source: the source folder does not exist")
    key = load_key(key_path)
    problems = _problems(dst, state)
    wanted = {h.lower() for h in hashes} or set(problems)
    bad = sorted(h for h in wanted if len(h) != HASH_LENGTH or
                 any(c not in "0123456789abcdef" for c in h))
    if bad:
        raise ConfigurationError(f"{bad[0]!r} is not a file hash from a medanon report")
    found: list[tuple[str, str, str, Path]] = []
    root = Path(os.path.realpath(src))
    for path in walk_files(root, exclude=(dst, state or dst / STATE_DIR_NAME)):
        relative = os.fsencode(path.relative_to(root))
        digest = key.digest("source-path", relative).hex()[:HASH_LENGTH]
        if digest in wanted:
            problem = problems.get(digest, {})
            found.append((digest, str(problem.get("status", "written")),
                          str(problem.get("reason", "")), path))
    missing = sorted(wanted - {f[0] for f in found})
    return found, missing


def register(app: typer.Typer) -> None:
    """Add this subcommand to ``app``."""

    def locate_command(
        dst: Path = typer.Argument(..., help="The output folder of the run."),
        hashes: list[str] = typer.Argument(None, help="File hashes from the report "
                                                      "(default: every file not written)."),
        source: Path = typer.Option(..., "--source", help="The run's source folder."),
        key: Path = typer.Option(..., "--key", "-k", help="The run's key file."),
        output: Path | None = typer.Option(None, "--output", "-o",
                                           help="Write the list here (not inside DST) "
                                                "instead of printing it."),
        state: Path | None = typer.Option(None, "--state",
                                          help="The run's state folder, if not DST/.medanon."),
    ) -> None:
        """List the source path of each file the run did not write (or of HASH ...).

        Prints hash, status, reason and path, tab-separated. The paths are personal data:
        they are printed or written where you say, never into DST. Exit code 1 when a
        hash given matches no source file.
        """
        if output is not None and _inside(output, dst):
            raise ConfigurationError("--output must not be inside DST (the paths are "
                                     "personal data)")
        found, missing = locate(dst, source, key, list(hashes or []), state=state)
        # Old media carry names that are not UTF-8: shown escaped, never a crash.
        lines = [f"{h}\t{status}\t{reason}\t"
                 f"{os.fsencode(path).decode('utf-8', 'backslashreplace')}"
                 for h, status, reason, path in found]
        if output is not None:
            output.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
            typer.echo(f"medanon locate: {len(found)} files listed in {output}")
        else:
            for line in lines:
                typer.echo(line)
        for digest in missing:
            typer.echo(f"medanon locate: {digest}: no file under --source has this hash",
                       err=True)
        raise typer.Exit(1 if missing else 0)

    app.command("locate")(locate_command)
