"""``medanon run SRC DST``: de-identify a folder of DICOM files."""

from __future__ import annotations

import os
import re
from pathlib import Path

import typer

from medanon.cli.progress import RunProgress
from medanon.custody.keys import SecretKey, load_key, write_key
from medanon.errors import ConfigurationError, KeyFileError
from medanon.profile.recipe import default_recipe, load_recipe
from medanon.runner.run import RunOptions, run_folder
from medanon.runner.walk import STATE_DIR_NAME

DEFAULT_KEY_PATH = Path("~/.config/medanon/medanon.key")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """'20G', '512M', '1.5T', '1000' → bytes (binary multiples)."""
    match = _SIZE.match(text)
    if match is None:
        raise ConfigurationError(f"--staging-size {text!r}: expected a size such as 20G or 512M")
    factor = 1024 ** " KMGT".index(match[2].upper() or " ")
    return int(float(match[1]) * factor)


def resolve_key(path: Path | None) -> tuple[SecretKey, str | None]:
    """The key to use, and a notice to print when a default key was created.

    ``--key`` wins; then ``$MEDANON_KEY_FILE``; then the per-user default key, created on
    first use so that runs on one machine agree without any setup.
    """
    if path is not None:
        return load_key(path), None
    env = os.environ.get("MEDANON_KEY_FILE")
    if env:
        return load_key(Path(env)), None
    default = DEFAULT_KEY_PATH.expanduser()
    if default.exists():
        return load_key(default), None
    try:
        default.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise KeyFileError(f"cannot create {default.parent}: {exc.strerror}") from None
    key = write_key(default)
    return key, (f"created a new key at {default} (fingerprint {key.fingerprint}); "
                 "keep it safe and pass it with --key on other machines")


def run(
    src: Path = typer.Argument(..., help="Folder of DICOM files (searched recursively)."),
    dst: Path = typer.Argument(..., help="Output folder (created; must not be inside SRC)."),
    recipe: Path | None = typer.Option(None, "--recipe", "-r",
                                       help="Recipe TOML (default: Basic Profile + "
                                            "Retain Longitudinal Modified Dates)."),
    key: Path | None = typer.Option(None, "--key", "-k",
                                    help="Secret key file (see 'medanon keygen'). Default: "
                                         "$MEDANON_KEY_FILE or ~/.config/medanon/medanon.key."),
    workers: int = typer.Option(0, "--workers", "-w", min=0,
                                help="Worker processes (0: one per core)."),
    state: Path | None = typer.Option(None, "--state",
                                      help="State folder (manifest, report). Default: "
                                           "DST/.medanon."),
    restart: bool = typer.Option(False, "--restart",
                                 help="Forget an earlier run into DST (its outputs are "
                                      "removed) and start over."),
    staging: Path | None = typer.Option(None, "--staging",
                                        help="Fast local folder to copy upcoming files to, "
                                             "for slow sources (network, USB, CD)."),
    staging_size: str = typer.Option("20G", "--staging-size",
                                     help="How much the staging folder may hold at once."),
    cluster: str | None = typer.Option(None, "--cluster",
                                       help="Run on Dask: tcp://HOST:PORT of a scheduler, or "
                                            "local:N to start N local workers."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the summary."),
) -> None:
    """De-identify every DICOM file under SRC into DST.

    Output files are named DST/<patient pseudonym>/<study UID>/<series UID>/<instance UID>.dcm.
    Files that cannot be fully de-identified are never written; the report
    (DST/.medanon/report.json) lists them by a keyed hash of their path, with the reason.
    Interrupted? Run the same command again: finished files are skipped.

    Exit codes: 0 every file written, 1 some files withheld or failed, 2 usage or
    configuration error (or the output could not be written).
    """
    chosen = load_recipe(recipe) if recipe is not None else default_recipe()
    secret, notice = resolve_key(key)
    if notice and not quiet:
        typer.echo(f"medanon: {notice}", err=True)
    options = RunOptions(workers=workers, state_dir=state, restart=restart,
                         staging_dir=staging, staging_budget=parse_size(staging_size),
                         cluster=cluster)
    exclude = (dst, state or dst / STATE_DIR_NAME)
    with RunProgress(src, exclude, quiet=quiet) as progress:
        result = run_folder(src, dst, chosen, secret, options=options,
                            on_progress=progress.update)
    typer.echo(f"medanon: {result.report.summary_line()}; report: {result.report_path}")
    raise typer.Exit(result.report.exit_code)


def register(app: typer.Typer) -> None:
    """Add this subcommand to ``app``."""
    app.command("run")(run)
