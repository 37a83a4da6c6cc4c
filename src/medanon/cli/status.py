"""``medanon status DST``: summarise a run from its manifest.

The manifest says "running" from a run's start until it finishes, and a run that was
killed never gets to change that; the state folder's lock tells whether a run really is
going (:func:`medanon.runner.lock.is_locked`). Staged copies that an interrupted run left
behind are named here; the next run removes them.
"""

from __future__ import annotations

from pathlib import Path

import typer

from medanon.errors import ConfigurationError
from medanon.runner.lock import is_locked
from medanon.runner.manifest import MANIFEST_NAME, Manifest
from medanon.runner.outcome import Status
from medanon.runner.staging import STAGING_RECORD
from medanon.runner.walk import STATE_DIR_NAME


def run_state(recorded: str | None, locked: bool) -> str:
    """What the run is doing: a recorded "running" with a free lock was interrupted."""
    if locked:
        return "running"
    if recorded == "running":
        return "interrupted (rerun the same command to resume)"
    return recorded or "unknown"


def staging_leftovers(recorded: str | None, locked: bool) -> int:
    """Staged copies left by a session that is not running any more (0 when none)."""
    if recorded is None or locked:
        return 0
    folder = Path(recorded)
    try:
        return sum(1 for _entry in folder.iterdir())
    except OSError:
        return 0


def status(
    dst: Path = typer.Argument(..., help="The output folder of a run."),
    state: Path | None = typer.Option(None, "--state", help="State folder, if not DST/.medanon."),
) -> None:
    """Summarise a run: finished or not, files by outcome, the settings it is pinned to."""
    state_dir = state or dst / STATE_DIR_NAME
    path = state_dir / MANIFEST_NAME
    if not path.exists():
        raise ConfigurationError(f"no medanon run found in {dst} (no {path})")
    locked = is_locked(state_dir)
    manifest = Manifest(path)
    try:
        counts = manifest.counts()
        bytes_out, rows = manifest.totals()
        recorded = manifest.get("state")
        state_text = run_state(recorded, locked)
        typer.echo(f"run:      {state_text} (started {manifest.get('started')}"
                   + (f", finished {manifest.get('finished')})" if state_text == "finished"
                      else ")"))
        leftovers = staging_leftovers(manifest.get(STAGING_RECORD), locked)
        if leftovers:
            typer.echo(f"staging:  {leftovers} staged copies of source files left by the "
                       f"interrupted run in {manifest.get(STAGING_RECORD)}; the next run "
                       "into this output removes them")
        typer.echo(f"files:    {rows} recorded, {bytes_out / 1e6:.1f} MB written")
        for item in Status:
            typer.echo(f"  {item.value:<10} {counts.get(item.value, 0)}")
        typer.echo(f"recipe:   {manifest.get('recipe_fingerprint')}")
        typer.echo(f"key:      {manifest.get('key_fingerprint')}")
    finally:
        manifest.close()


def register(app: typer.Typer) -> None:
    """Add this subcommand to ``app``."""
    app.command("status")(status)
