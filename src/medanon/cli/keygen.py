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

    Keep it secret: anyone holding it can test a guessed identity against the output.
    medanon refuses a key file that group or others can read (fix with chmod 600 FILE).

    Back it up: copy the file to offline storage you control (an encrypted USB stick in a
    safe, a password manager's file vault), or print its two lines and store the paper.
    A copy is the right one when a run with it reports the same key fingerprint. For
    services, pass the key's text with --key-env VAR instead of a file.

    Losing it cannot be undone: pseudonyms, UIDs and date shifts of new files will no
    longer match those already shared, so a patient's later studies can no longer be
    linked to earlier ones, and an interrupted run cannot be resumed with another key.
    """
    key = write_key(keyfile)
    typer.echo(f"wrote key {keyfile} (fingerprint {key.fingerprint}); back it up: losing it "
               "means new pseudonyms no longer match old ones")


def register(app: typer.Typer) -> None:
    """Add this subcommand to ``app``."""
    app.command("keygen")(keygen)
