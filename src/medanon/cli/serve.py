"""``medanon serve``: the DICOM network node; ``medanon serve status``: its ledger.

The command reads its options, sets up logging to stderr (one line per event, no value
from any data set), and runs the service until SIGTERM or Ctrl-C, which stop it cleanly:
the instance in hand is finished and the queue is kept for the next start.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import typer

from medanon.errors import ConfigurationError

LOG_FORMAT = "%(asctime)s medanon serve: %(message)s"


def _configure_logging(quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT, "%Y-%m-%dT%H:%M:%S"))
    logger = logging.getLogger("medanon.serve")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.WARNING if quiet else logging.INFO)
    logger.propagate = False
    # pynetdicom's own lines can quote UIDs from the requests it parses: errors only.
    logging.getLogger("pynetdicom").setLevel(logging.ERROR)


def execute(*, ae: str, port: int, recipe: Path | None, key: Path | None,
            key_env: str | None, forward: str | None, out: Path | None, allow: list[str],
            queue: Path | None, host: str, reserve: str, max_backoff: float, summary_every: float,
            associations: int, quiet: bool) -> int:
    """Run the service until a signal stops it; return the exit code."""
    from medanon.cli.run import parse_size, resolve_key
    from medanon.node.service import Service, state_dir_default
    from medanon.node.settings import Destination, ServeSettings
    from medanon.profile.recipe import default_recipe, load_recipe

    settings = ServeSettings(
        ae_title=ae, port=port, state_dir=queue or state_dir_default(),
        forward=Destination.parse(forward) if forward else None, out=out,
        allow=tuple(allow), host=host, reserve_bytes=parse_size(reserve),
        max_backoff=max_backoff, summary_every=summary_every, associations=associations)
    chosen = load_recipe(recipe) if recipe is not None else default_recipe()
    secret, notice = resolve_key(key, key_env)
    _configure_logging(quiet)
    if notice:
        logging.getLogger("medanon.serve").warning(notice)
    try:
        service = Service(settings, chosen, secret)
    except OSError as exc:
        raise ConfigurationError(f"cannot use the serve state folder ({exc.strerror})") from None
    stop = threading.Event()

    def _on_signal(_number: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {number: signal.signal(number, _on_signal)
                for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        service.run(stop)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return 0


def status_lines(queue: Path, as_json: bool) -> list[str]:
    """The ledger's counts (or, as JSON, also what is pending or quarantined)."""
    from medanon.node.ledger import LEDGER_NAME, Ledger, State

    if not (queue / LEDGER_NAME).exists():
        raise ConfigurationError(f"no medanon serve state in {queue} (no {LEDGER_NAME})")
    ledger = Ledger(queue)
    try:
        counts = ledger.counts()
        if as_json:
            entries = ledger.entries((State.PENDING, State.QUARANTINED))
            listed = [{"instance": e.name, "state": e.state.value, "reason": e.reason,
                       "received": e.received, "attempts": e.attempts} for e in entries]
            return [json.dumps({"counts": counts, "instances": listed}, indent=2)]
    finally:
        ledger.close()
    order = ("received", "duplicates", *(state.value for state in State))
    return [f"{name:<12} {counts[name]}" for name in order]


def register(app: typer.Typer) -> None:
    """Add ``serve`` (and ``serve status``) to ``app``."""
    serve_app = typer.Typer(no_args_is_help=False, add_completion=False)

    @serve_app.callback(invoke_without_command=True)
    def serve(
        ctx: typer.Context,
        ae: str = typer.Option("MEDANON", "--ae", help="This node's AE title."),
        port: int = typer.Option(11112, "--port", help="TCP port to listen on."),
        recipe: Path | None = typer.Option(None, "--recipe", "-r",
                                           help="Recipe TOML, as for 'medanon run'."),
        key: Path | None = typer.Option(None, "--key", "-k",
                                        help="Secret key file, as for 'medanon run'."),
        key_env: str | None = typer.Option(None, "--key-env", metavar="VAR",
                                           help="Read the key from this environment "
                                                "variable, as for 'medanon run'."),
        forward: str | None = typer.Option(None, "--forward",
                                           help="Forward by C-STORE to AE@HOST:PORT."),
        out: Path | None = typer.Option(None, "--out",
                                        help="Write under DIR, laid out as 'medanon run' does."),
        allow: list[str] = typer.Option([], "--allow",  # noqa: B008
                                        help="Calling AE title to accept (repeatable). "
                                             "Without it: loopback peers only."),
        queue: Path | None = typer.Option(None, "--queue",
                                          help="Serve state folder (queue, ledger, "
                                               "quarantine). Default: "
                                               "~/.local/state/medanon/serve."),
        host: str = typer.Option("127.0.0.1", "--host",
                                 help="Address to listen on (not loopback: needs --allow)."),
        reserve: str = typer.Option("256M", "--reserve",
                                    help="Free space the queue's disk keeps; below it, "
                                         "C-STORE answers Out of Resources."),
        max_backoff: float = typer.Option(60.0, "--max-backoff",
                                          help="Longest wait between forwarding retries (s)."),
        summary_every: float = typer.Option(60.0, "--summary-every",
                                            help="Seconds between summary log lines."),
        associations: int = typer.Option(2, "--associations",
                                         help="Associations to the destination at once."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="Log warnings only."),
    ) -> None:
        """Receive DICOM by C-STORE, de-identify as 'medanon run' does, forward or write.

        Every received instance is queued durably before its C-STORE is answered, and
        ends in one state of the ledger (forwarded, written, quarantined with its
        reason, or pending a retry): see 'medanon serve status'. SIGTERM or Ctrl-C
        stops cleanly; the queue is kept and resumed on the next start.
        """
        if ctx.invoked_subcommand is not None:
            return
        raise typer.Exit(execute(ae=ae, port=port, recipe=recipe, key=key, key_env=key_env,
                                 forward=forward, out=out, allow=allow, queue=queue, host=host,
                                 reserve=reserve, max_backoff=max_backoff,
                                 summary_every=summary_every, associations=associations,
                                 quiet=quiet))

    @serve_app.command("status")
    def status(
        queue: Path | None = typer.Option(None, "--queue", help="Serve state folder."),
        as_json: bool = typer.Option(False, "--json",
                                     help="Also list what is pending or quarantined, by "
                                          "keyed hash, as JSON."),
    ) -> None:
        """Counts of the ledger: every received instance and the state it ended in."""
        from medanon.node.service import state_dir_default

        for line in status_lines(queue or state_dir_default(), as_json):
            typer.echo(line)

    app.add_typer(serve_app, name="serve")
