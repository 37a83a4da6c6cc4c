"""``medanon status DST``: summarise a run from its manifest."""

from __future__ import annotations

from pathlib import Path

import typer

from medanon.errors import ConfigurationError
from medanon.runner.manifest import MANIFEST_NAME, Manifest
from medanon.runner.outcome import Status
from medanon.runner.walk import STATE_DIR_NAME


def status(
    dst: Path = typer.Argument(..., help="The output folder of a run."),
    state: Path | None = typer.Option(None, "--state", help="State folder, if not DST/.medanon."),
) -> None:
    """Summarise a run: finished or not, files by outcome, the settings it is pinned to."""
    path = (state or dst / STATE_DIR_NAME) / MANIFEST_NAME
    if not path.exists():
        raise ConfigurationError(f"no medanon run found in {dst} (no {path})")
    manifest = Manifest(path)
    try:
        counts = manifest.counts()
        bytes_out, rows = manifest.totals()
        state_text = manifest.get("state") or "unknown"
        typer.echo(f"run:      {state_text} (started {manifest.get('started')}"
                   + (f", finished {manifest.get('finished')})" if state_text == "finished"
                      else ")"))
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
