"""``medanon run SRC DST``: de-identify a folder of DICOM files."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from medanon.custody.keys import SecretKey, load_key, write_key
from medanon.errors import KeyFileError
from medanon.profile.recipe import default_recipe, load_recipe
from medanon.runner.run import run_folder

DEFAULT_KEY_PATH = Path("~/.config/medanon/medanon.key")


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
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the summary."),
) -> None:
    """De-identify every DICOM file under SRC into DST.

    Output files are named DST/<patient pseudonym>/<study UID>/<series UID>/<instance UID>.dcm.
    Files that cannot be fully de-identified are never written; the report
    (DST/.medanon/report.json) lists them by a keyed hash of their path, with the reason.

    Exit codes: 0 every file written, 1 some files withheld or failed, 2 usage or
    configuration error.
    """
    chosen = load_recipe(recipe) if recipe is not None else default_recipe()
    secret, notice = resolve_key(key)
    if notice and not quiet:
        typer.echo(f"medanon: {notice}", err=True)
    result = run_folder(src, dst, chosen, secret)
    typer.echo(f"medanon: {result.report.summary_line()}; report: {result.report_path}")
    raise typer.Exit(result.report.exit_code)


def register(app: typer.Typer) -> None:
    """Add this subcommand to ``app``."""
    app.command("run")(run)
