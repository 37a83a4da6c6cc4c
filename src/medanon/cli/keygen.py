"""``medanon keygen KEYFILE``: write a new secret key."""

from __future__ import annotations

from pathlib import Path

import typer

from medanon.custody.keys import write_key


def keygen(
    keyfile: Path = typer.Argument(
        ..., help="Where to write the key (mode 0600; never overwritten)."),
) -> None:
    """Write a new random secret key for pseudonyms, UIDs and date shifts.

    Keep it safe: the same key gives the same pseudonyms on every run and machine,
    and anyone holding it can test a guessed identity against the output.
    """
    key = write_key(keyfile)
    typer.echo(f"wrote key {keyfile} (fingerprint {key.fingerprint})")


def register(app: typer.Typer) -> None:
    """Add this subcommand to ``app``."""
    app.command("keygen")(keygen)
