"""``medanon crosswalk keygen PRIVATE PUBLIC``: the key pair the crosswalk is sealed to."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from medanon.errors import KeyFileError


def passphrase_from(variable: str | None) -> bytes | None:
    """The passphrase held in the environment variable ``variable`` (never on the command line)."""
    if variable is None:
        return None
    value = os.environ.get(variable)
    if not value:
        raise KeyFileError(f"the environment variable {variable} is not set or empty")
    return value.encode("utf-8")


def keygen(
    private: Path = typer.Argument(..., help="Where to write the private key (mode 0600)."),
    public: Path = typer.Argument(..., help="Where to write the public key."),
    passphrase_env: str | None = typer.Option(
        None, "--passphrase-env", metavar="VAR",
        help="Encrypt the private key with the passphrase in the environment variable VAR."),
) -> None:
    """Make an X25519 key pair for the re-identification crosswalk.

    Give the public key to the site that runs medanon (run --crosswalk-public-key PUBLIC):
    it can write the crosswalk but not read it. Keep the private key with whoever may
    re-identify (medanon reidentify), away from the output and the site.
    """
    from medanon.custody.crosswalk import write_crosswalk_keypair

    fingerprint = write_crosswalk_keypair(private, public, passphrase_from(passphrase_env))
    typer.echo(f"wrote crosswalk private key {private} and public key {public} "
               f"(fingerprint {fingerprint})")


def register(app: typer.Typer) -> None:
    """Add this subcommand group to ``app``."""
    group = typer.Typer(help="Keys of the sealed re-identification crosswalk.",
                        no_args_is_help=True)
    group.command("keygen")(keygen)
    app.add_typer(group, name="crosswalk")
