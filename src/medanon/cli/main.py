"""The ``medanon`` command: assembles the subcommands and maps errors to exit codes.

Exit codes: 0 everything written, 1 some files withheld or failed, 2 usage or
configuration error. Only this layer prints and exits.

Every command line is read by the one typer app. Only the subcommand named on the
command line is registered, so ``medanon run`` does not load the dependencies of the
other commands (the table engine, the report), and a rerun with nothing left to do
stays cheap.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

from medanon._version import __version__
from medanon.errors import ConfigurationError, MedanonError

if TYPE_CHECKING:
    import typer

# Each subcommand module exposes ``register(app)``; the order here is the order of --help.
SUBCOMMAND_MODULES = ("run", "scan", "verify", "locate", "status", "serve", "sample", "keygen",
                      "audit", "crosswalk", "reidentify", "profiles", "table")


def _build_app() -> typer.Typer:
    """The typer app with its root options (subcommands are registered by ``main``)."""
    import typer

    application = typer.Typer(
        name="medanon",
        help="De-identify DICOM collections and clinical tables for research sharing.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    def _version_callback(value: bool) -> None:
        if value:
            typer.echo(f"medanon {__version__}")
            raise typer.Exit(0)

    @application.callback()
    def _root(
        version: bool = typer.Option(
            False, "--version", callback=_version_callback, is_eager=True,
            help="Print the version and exit.",
        ),
    ) -> None:
        """De-identify DICOM collections and clinical tables for research sharing."""

    return application


def __getattr__(name: str) -> Any:
    """``app`` is built on first use (PEP 562), so that importing this module is cheap."""
    if name == "app":
        application = _build_app()
        globals()["app"] = application
        return application
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _app() -> typer.Typer:
    """The app: the module's ``app`` (tests may replace it), built when first asked for."""
    application: typer.Typer = globals().get("app") or __getattr__("app")
    return application


def _register_subcommands(argv: list[str] | None = None) -> None:
    """Register the subcommands; only the one being run when the command line names it.

    Each subcommand brings its own dependencies (pydicom, numpy, pandas, ...): loading
    only the one in use keeps ``medanon run`` from paying for the table engine, and a
    rerun with nothing left to do fast.
    """
    wanted = [arg for arg in (argv or [])[:1] if arg in SUBCOMMAND_MODULES]
    for name in wanted or SUBCOMMAND_MODULES:
        module = importlib.import_module(f"medanon.cli.{name}")
        module.register(_app())


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one clear error line on stderr and return the Exit to raise."""
    import typer

    typer.echo(f"medanon: error: {message}", err=True)
    return typer.Exit(code)


def main() -> None:
    """Console entry point: run the app, turning medanon errors into one line and an exit code."""
    _register_subcommands(sys.argv[1:])
    try:
        _app()(standalone_mode=True)
    except ConfigurationError as exc:
        print(f"medanon: error: {exc}", file=sys.stderr, flush=True)
        sys.exit(2)
    except MedanonError as exc:
        print(f"medanon: error: {exc}", file=sys.stderr, flush=True)
        sys.exit(2)
    except KeyboardInterrupt:
        print("medanon: interrupted", file=sys.stderr, flush=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
