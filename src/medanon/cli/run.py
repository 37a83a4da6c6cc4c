"""``medanon run SRC DST``: de-identify a folder of DICOM files.

The command line is read by the typer command declared in :func:`register`; the command
body (:func:`execute`) loads the runner and the recipe code only when it runs, so that
``medanon run --help`` stays quick.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from medanon.custody.keys import SecretKey, key_from_environment, load_key, write_key
from medanon.errors import ConfigurationError, KeyFileError

if TYPE_CHECKING:
    import typer

DEFAULT_KEY_PATH = Path("~/.config/medanon/medanon.key")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*$", re.IGNORECASE)

INTERRUPTED_MESSAGE = ("medanon: interrupted; what was finished is recorded: rerun the same "
                       "command to resume")


def parse_size(text: str) -> int:
    """'20G', '512M', '1.5T', '1000' → bytes (binary multiples)."""
    match = _SIZE.match(text)
    if match is None:
        raise ConfigurationError(f"--staging-size {text!r}: expected a size such as 20G or 512M")
    factor = 1024 ** " KMGT".index(match[2].upper() or " ")
    return int(float(match[1]) * factor)


def resolve_key(path: Path | None, variable: str | None = None
                ) -> tuple[SecretKey, str | None]:
    """The key to use, and a notice to print when a default key was created.

    ``--key`` or ``--key-env`` (not both) win; then ``$MEDANON_KEY_FILE``; then the per-user
    default key, created on first use so that runs on one machine agree without any setup.
    """
    if path is not None and variable is not None:
        raise ConfigurationError("give either --key or --key-env, not both")
    if variable is not None:
        return key_from_environment(variable), None
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


@contextlib.contextmanager
def sigterm_as_ctrl_c() -> Iterator[None]:
    """While the run goes, SIGTERM ends it as Ctrl-C does: cleanly, with the resume message.

    ``kill PID``, a service manager or a batch scheduler stop a run with SIGTERM, whose
    default action ends the process on the spot: staged copies of source files would
    stay behind and the workers would die on a broken pipe. Raised as KeyboardInterrupt,
    it takes the path Ctrl-C takes, where the run removes its staged copies, stops the
    workers and records what was finished. A second SIGTERM during that is ignored.

    It is passed on as a SIGINT when Python handles SIGINT, so that code which holds a
    Ctrl-C back for a moment (a manifest row and its audit entry go together) holds this
    one back too; where SIGINT is ignored (a job a script started in the background), it
    is raised here.
    """
    def interrupt(_signum: int, _frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if callable(signal.getsignal(signal.SIGINT)):
            signal.raise_signal(signal.SIGINT)
            return
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _echo(message: str, *, err: bool = False) -> None:
    """One line on stdout (or stderr), flushed at once, as ``typer.echo`` wrote it."""
    stream = sys.stderr if err else sys.stdout
    stream.write(f"{message}\n")
    stream.flush()


def execute(src: Path, dst: Path, *, recipe: Path | None = None, key: Path | None = None,
            key_env: str | None = None, workers: int = 0, state: Path | None = None,
            restart: bool = False,
            staging: Path | None = None, staging_size: str = "20G",
            cluster: str | None = None, quiet: bool = False,
            accept_no_meta: bool = False, clinical: Path | None = None,
            clinical_key: str = "PatientID", no_report: bool = False,
            audit_signing_key: Path | None = None,
            crosswalk_public_key: Path | None = None) -> int:
    """Run the command; return its exit code (medanon errors propagate to ``main``).

    The runner and the recipe code load here, not when the module is imported, so that
    ``medanon run --help`` stays quick and the typer declaration does not pay for them.
    """
    from medanon.cli.progress import RunProgress
    from medanon.custody.recorder import CustodyOptions, command_without_source
    from medanon.profile.recipe import default_recipe, load_recipe
    from medanon.runner.run import RunOptions, run_folder
    from medanon.runner.walk import STATE_DIR_NAME

    chosen = load_recipe(recipe) if recipe is not None else default_recipe()
    secret, notice = resolve_key(key, key_env)
    if notice and not quiet:
        _echo(f"medanon: {notice}", err=True)
    options = RunOptions(workers=workers, state_dir=state, restart=restart,
                         staging_dir=staging, staging_budget=parse_size(staging_size),
                         cluster=cluster, accept_no_meta=accept_no_meta,
                         custody=CustodyOptions(
                             command_line=command_without_source(sys.argv[1:], str(src)),
                             signing_key=audit_signing_key,
                             crosswalk_public_key=crosswalk_public_key))
    exclude = (dst, state or dst / STATE_DIR_NAME)
    if chosen.privacy is not None:
        from medanon.cli.privacy_run import execute_private

        with sigterm_as_ctrl_c():
            code = execute_private(src, dst, chosen, secret, options, clinical, clinical_key,
                                   quiet=quiet, echo=_echo)
    elif clinical is not None:
        raise ConfigurationError("--clinical needs a recipe with a [privacy] section")
    else:
        with sigterm_as_ctrl_c(), RunProgress(src, exclude, quiet=quiet) as progress:
            result = run_folder(src, dst, chosen, secret, options=options,
                                on_progress=progress.update)
        head = result.report.settings.get("audit_head")
        _echo(f"medanon: {result.report.summary_line()}; report: {result.report_path}"
              + (f"; audit head: {head}" if head else ""))
        code = result.report.exit_code
    if not no_report:
        from medanon.report import report_after_run

        axes = chosen.report_partition_axes
        line = report_after_run(dst, state or dst / STATE_DIR_NAME, workers,
                                (axes[0], axes[1]) if axes else None)
        _echo(f"medanon: {line}")
    return code


def register(app: typer.Typer) -> None:
    """Add this subcommand to ``app``."""
    import typer

    def run(
        src: Path = typer.Argument(..., help="Folder of DICOM files (searched recursively)."),
        dst: Path = typer.Argument(..., help="Output folder (created; must not be inside SRC)."),
        recipe: Path | None = typer.Option(None, "--recipe", "-r",
                                           help="Recipe TOML (default: Basic Profile + "
                                                "Retain Longitudinal Modified Dates)."),
        key: Path | None = typer.Option(None, "--key", "-k",
                                        help="Secret key file (see 'medanon keygen'). Default: "
                                             "$MEDANON_KEY_FILE or ~/.config/medanon/medanon.key."),
        key_env: str | None = typer.Option(None, "--key-env", metavar="VAR",
                                           help="Read the key from the environment variable "
                                                "VAR (the text of a key file), for services "
                                                "and containers."),
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
                                           help="Run on Dask: tcp://HOST:PORT of a scheduler, "
                                                "or local:N to start N local workers."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the summary."),
        accept_no_meta: bool = typer.Option(False, "--accept-no-meta",
                                            help="Also read DICOM data sets stored without "
                                                 "preamble and file meta (old archives), "
                                                 "or without preamble only."),
        clinical: Path | None = typer.Option(None, "--clinical",
                                             help="Clinical table (CSV or Parquet) joined by "
                                                  "patient, for a recipe's privacy section."),
        clinical_key: str = typer.Option("PatientID", "--clinical-key",
                                         help="Column of --clinical holding the original "
                                              "PatientID."),
        no_report: bool = typer.Option(False, "--no-report",
                                       help="Do not write the HTML report (which checks the "
                                            "output, as 'medanon verify OUT' does)."),
        audit_signing_key: Path | None = typer.Option(
            None, "--audit-signing-key",
            help="Ed25519 key (see 'medanon audit keygen') that signs the end of this "
                 "session in the audit log (DST/.medanon/audit.jsonl)."),
        crosswalk_public_key: Path | None = typer.Option(
            None, "--crosswalk-public-key",
            help="Write the sealed re-identification crosswalk DST/.medanon/crosswalk.sealed "
                 "for this public key (see 'medanon crosswalk keygen')."),
    ) -> None:
        """De-identify every DICOM file under SRC into DST.

        Output files are named DST/<patient pseudonym>/<study UID>/<series UID>/<instance UID>.dcm.
        Files that cannot be fully de-identified are never written; the report
        (DST/.medanon/report.json) lists them by a keyed hash of their path, with the reason.
        Every file is also recorded in the tamper-evident audit log DST/.medanon/audit.jsonl
        (check it with 'medanon audit verify DST'); the run prints the log's head hash.
        Interrupted? Run the same command again: finished files are skipped.

        Exit codes: 0 every file written, 1 some files withheld or failed, 2 usage or
        configuration error (or the output could not be written).
        """
        try:
            code = execute(src, dst, recipe=recipe, key=key, key_env=key_env,
                           workers=workers, state=state, restart=restart, staging=staging,
                           staging_size=staging_size, cluster=cluster, quiet=quiet,
                           accept_no_meta=accept_no_meta, clinical=clinical,
                           clinical_key=clinical_key, no_report=no_report,
                           audit_signing_key=audit_signing_key,
                           crosswalk_public_key=crosswalk_public_key)
        except KeyboardInterrupt:  # typer would say "Aborted!"
            _echo(INTERRUPTED_MESSAGE, err=True)
            raise typer.Exit(130) from None
        raise typer.Exit(code)

    app.command("run")(run)
