"""``medanon reidentify --crosswalk FILE --private-key KEY PSEUDONYM|UID``."""

from __future__ import annotations

from pathlib import Path

import typer


def reidentify(
    query: str = typer.Argument(..., help="A patient pseudonym (PatientID of the output), a "
                                          "new StudyInstanceUID or a new AccessionNumber."),
    crosswalk: Path = typer.Option(..., "--crosswalk",
                                   help="The sealed crosswalk (DST/.medanon/crosswalk.sealed)."),
    private_key: Path = typer.Option(..., "--private-key",
                                     help="The crosswalk private key (medanon crosswalk keygen)."),
    passphrase_env: str | None = typer.Option(
        None, "--passphrase-env", metavar="VAR",
        help="The private key's passphrase, from the environment variable VAR."),
) -> None:
    """Answer the original identifiers behind a pseudonym or a new UID.

    The look-up (who, when, what was asked; never the answer) is appended to the audit
    log beside the crosswalk. Exit codes: 0 found, 1 not in the crosswalk, 2 a wrong key
    or a damaged or truncated crosswalk.
    """
    from medanon.cli.crosswalk import passphrase_from
    from medanon.custody.crosswalk import load_private, look_up, open_crosswalk
    from medanon.custody.lookups import log_lookup

    private = load_private(private_key, passphrase_from(passphrase_env))
    records = open_crosswalk(crosswalk, private)
    answer = look_up(records, query)
    log_lookup(crosswalk.parent, query, found=bool(answer))
    if not answer:
        typer.echo(f"medanon: {query} is not in the crosswalk", err=True)
        raise typer.Exit(1)
    for record in answer:
        if record["kind"] == "patient":
            typer.echo(f"patient {record['pseudonym']}: PatientID {record['PatientID']}, "
                       f"PatientName {record['PatientName']}, dates shifted by "
                       f"{record['date_offset_days']} days")
        else:
            original, now = record["original"], record["AccessionNumber"] or "removed"
            typer.echo(f"study {record['StudyInstanceUID']}: StudyInstanceUID "
                       f"{original['StudyInstanceUID']}, AccessionNumber "
                       f"{original['AccessionNumber']} (now {now})")


def register(app: typer.Typer) -> None:
    """Add this subcommand to ``app``."""
    app.command("reidentify")(reidentify)
