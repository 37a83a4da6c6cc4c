"""The ``medanon`` command: assembles the subcommands and maps errors to exit codes.

Exit codes: 0 everything written, 1 some files withheld or failed, 2 usage or
configuration error. Only this layer prints and exits.
"""

from __future__ import annotations

import importlib
import sys

import typer

from medanon._version import __version__
from medanon.errors import ConfigurationError, MedanonError

app = typer.Typer(
    name="medanon",
    help="De-identify DICOM collections and clinical tables for research sharing.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Each subcommand module exposes ``register(app)``; the order here is the order of --help.
SUBCOMMAND_MODULES = ("run", "status", "sample", "keygen", "profiles", "table")


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"medanon {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    """De-identify DICOM collections and clinical tables for research sharing."""


def _register_subcommands(argv: list[str] | None = None) -> None:
    """Register the subcommands; only the one being run when the command line names it.

    Each subcommand brings its own dependencies (pydicom, numpy, pandas, ...): loading
    only the one in use keeps ``medanon run`` from paying for the table engine, and a
    rerun with nothing left to do fast.
    """
    wanted = [arg for arg in (argv or [])[:1] if arg in SUBCOMMAND_MODULES]
    for name in wanted or SUBCOMMAND_MODULES:
        module = importlib.import_module(f"medanon.cli.{name}")
        module.register(app)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one clear error line on stderr and return the Exit to raise."""
    typer.echo(f"medanon: error: {message}", err=True)
    return typer.Exit(code)


def main() -> None:
    """Console entry point: run the app, turning medanon errors into one line and an exit code."""
    _register_subcommands(sys.argv[1:])
    try:
        app(standalone_mode=True)
    except ConfigurationError as exc:
        typer.echo(f"medanon: error: {exc}", err=True)
        sys.exit(2)
    except MedanonError as exc:
        typer.echo(f"medanon: error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("medanon: interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
