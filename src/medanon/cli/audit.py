"""``medanon audit verify|show|keygen``: check, summarise and sign the audit log."""

from __future__ import annotations

from pathlib import Path

import typer

from medanon.custody.audit import AuditSummary, verify_audit


def _summary_lines(summary: AuditSummary) -> list[str]:
    files = ", ".join(f"{n} {status}" for status, n in sorted(summary.files.items())) or "none"
    return [
        f"entries: {summary.entries}",
        f"sessions: {summary.runs} started, {summary.sessions_finished} finished, "
        f"{summary.sessions_stopped} stopped, {summary.signed} signed",
        f"file entries: {files}",
        f"re-identification look-ups: {summary.lookups}",
        f"last entry: {summary.last_time or '-'}",
        f"head: {summary.head}",
    ]


def verify(
    folder: Path = typer.Argument(..., help="An output folder (DST) or its state folder."),
    public_key: Path | None = typer.Option(
        None, "--public-key", help="Also check that every session end is signed by the "
                                   "private half of this public key."),
    head: str | None = typer.Option(
        None, "--head", help="A head hash kept elsewhere (printed by the run): the log "
                             "must contain it."),
    output: Path | None = typer.Option(
        None, "--output", help="The output folder, when FOLDER is a state folder given to "
                               "'run --state' (default: the state folder's parent)."),
    source: Path | None = typer.Option(
        None, "--source", help="For a stage-2 run (its input was a medanon output): that "
                               "input folder; its log is checked and linked too."),
    chain_only: bool = typer.Option(
        False, "--chain-only", help="Check the chain, signatures and head only, not the "
                                    "outputs: for a 'medanon serve' state folder, whose "
                                    "forwarded outputs are not kept."),
) -> None:
    """Check the hash chain and every output's SHA-256 against the files on disk.

    Exit codes: 0 intact; 1 something is wrong (the first bad line is named, with what is
    wrong: edited, deleted, moved, inserted, truncated, or an output changed); 2 no log.
    """
    checker = None
    if public_key is not None:
        from medanon.custody.signing import load_public_key

        checker = load_public_key(public_key)
    result = verify_audit(folder, public_key=checker, head=head, output_root=output,
                          source=source, check_outputs=not chain_only)
    if result.problem is not None:
        typer.echo(f"medanon: audit log NOT intact: {result.problem}", err=True)
        raise typer.Exit(1)
    signed = f", signatures valid ({checker.fingerprint})" if checker else ""
    outputs = "outputs not checked" if chain_only else \
        f"{result.outputs_checked} outputs match"
    typer.echo(f"audit log intact: {result.summary.entries} entries, {outputs}{signed}; "
               f"head {result.summary.head}")


def show(
    folder: Path = typer.Argument(..., help="An output folder (DST) or its state folder."),
) -> None:
    """Summarise the audit log: sessions, files by outcome, look-ups, head."""
    result = verify_audit(folder, check_outputs=False)
    for line in _summary_lines(result.summary):
        typer.echo(line)
    if result.problem is not None:
        typer.echo(f"warning: the log is damaged ({result.problem}); "
                   "the summary stops there. Run 'medanon audit verify'.", err=True)


def keygen(
    private: Path = typer.Argument(..., help="Where to write the private key (mode 0600)."),
    public: Path = typer.Argument(..., help="Where to write the public key."),
) -> None:
    """Make an Ed25519 key pair for signing audit logs (--audit-signing-key).

    Keep the private key on the machine that runs medanon but out of the output folder;
    give the public key to whoever checks the output (medanon audit verify --public-key).
    """
    from medanon.custody.signing import write_signing_keypair

    fingerprint = write_signing_keypair(private, public)
    typer.echo(f"wrote signing key {private} and public key {public} "
               f"(fingerprint {fingerprint})")


def register(app: typer.Typer) -> None:
    """Add this subcommand group to ``app``."""
    group = typer.Typer(help="Check and summarise the tamper-evident audit log of a run.",
                        no_args_is_help=True)
    group.command("verify")(verify)
    group.command("show")(show)
    group.command("keygen")(keygen)
    app.add_typer(group, name="audit")
