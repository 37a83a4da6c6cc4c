"""``medanon sample DIR``: write the synthetic sample collection used by the demo and tests."""

from __future__ import annotations

from pathlib import Path

import typer

from medanon.sample import generate_sample


def sample(
    directory: Path = typer.Argument(
        ..., help="Folder to write into (created if missing; must be empty)."),
    seed: int = typer.Option(
        0, "--seed", help="Chooses people, identifiers, dates and UIDs; same seed, same bytes."),
    cohort: bool = typer.Option(
        True, "--cohort/--no-cohort",
        help="Add the screening cohort: 60 more patients with small CT images, enough for "
             "a [privacy] section's k-anonymity."),
    clinical: Path | None = typer.Option(
        None, "--clinical",
        help="Also write the cohort's clinical table (CSV, keyed by PatientID) to this file "
             "(outside DIRECTORY), for 'medanon run --clinical'."),
) -> None:
    """Write a synthetic DICOM collection full of planted personal data.

    Five patients with longitudinal CT, MR, ultrasound and secondary-capture
    studies, laid out like real PACS exports and a patient CD, and a screening cohort
    of 60 patients with small CT images (leave it out with --no-cohort). Every
    identifying value in it is invented; the summary printed names none of them.
    """
    collection = generate_sample(directory, seed=seed, cohort=cohort)
    typer.echo(f"{collection.describe()} Written under {directory}.")
    if clinical is not None:
        from medanon.sample.cohort import write_clinical

        rows = write_clinical(clinical, seed)
        typer.echo(f"Clinical table of the cohort ({rows} rows, keyed by PatientID): {clinical}")


def register(app: typer.Typer) -> None:
    """Add this subcommand to ``app``."""
    app.command("sample")(sample)
