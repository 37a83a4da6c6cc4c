"""``medanon run`` with a recipe's ``[privacy]`` section: both passes and the summary.

Kept apart from :mod:`medanon.cli.run`, whose plain path (no privacy section) must stay
quick to start; this module and the privacy engine load only for a privacy run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from medanon.collection.planner import PrivacyPlan
from medanon.custody.keys import SecretKey
from medanon.profile.recipe import Recipe
from medanon.runner.run import RunOptions


def summary_lines(plan: PrivacyPlan, release: Path, output_check: dict[str, object],
                  unclassified_clinical: tuple[str, ...] = ()) -> list[str]:
    """What the run's summary shows: the models, the classes, suppression, loss, warnings."""
    section, metrics, check = plan.section, plan.metrics, plan.check
    model = f"k = {section['k']}"
    if section.get("l") is not None:
        achieved = check.get("l_distinct") if section["l_model"] == "distinct" else \
            check.get("l_entropy") if section["l_model"] == "entropy" else None
        model += f", l = {section['l']:g} ({section['l_model']}"
        model += f", achieved {achieved:.3g})" if achieved is not None else ")"
    if section.get("t") is not None:
        model += f", t = {section['t']:g} (achieved {check.get('t') or 0:.3g})"
    loss = ", ".join(f"{name} {value:.3f}" for name, value in metrics["gcp_per_qi"].items())
    lines = [
        f"medanon: privacy: {model}; {len(plan.patients)} patients in {metrics['classes']} "
        f"classes, smallest class {metrics['smallest_class']}, "
        f"{len(plan.suppressed)} patients suppressed (no file written)",
        f"medanon: information loss (GCP, 0 = exact, 1 = fully generalised): "
        f"{metrics['gcp']:.3f} overall; {loss}",
        f"medanon: release table: {release / 'patients.csv'} (settings and metrics: "
        f"{release / 'privacy.json'})",
    ]
    counts = plan.counts
    if "clinical_rows" in counts:
        lines.append(f"medanon: clinical table: {counts['clinical_rows']} rows, "
                     f"{counts['clinical_rows_without_images']} without images, "
                     f"{counts['patients_without_clinical_row']} patients without a row")
    unparseable = counts.get("patients_with_unparseable_values") or {}
    if unparseable:
        listed = ", ".join(f"{name} {count}" for name, count in unparseable.items())
        lines.append(f"medanon: unreadable values treated as missing (patients): {listed}")
    if unclassified_clinical:
        lines.append(f"medanon: warning: {len(unclassified_clinical)} clinical column(s) given "
                     f"no role, kept as read: {', '.join(unclassified_clinical)} (say "
                     "insensitive, identifying or pseudonymise in [privacy])")
    if output_check.get("classes_below_k_in_images"):
        lines.append(f"medanon: warning: {output_check['patients_without_images']} published "
                     "patients have no written image (withheld for another reason): "
                     f"{output_check['classes_below_k_in_images']} classes hold fewer than "
                     "k patients in the images; see the run report")
    return lines


def execute_private(src: Path, dst: Path, recipe: Recipe, key: SecretKey, options: RunOptions,
                    clinical: Path | None, clinical_key: str, *, quiet: bool,
                    echo: Callable[[str], None]) -> int:
    """Run both passes with progress, print the summary, return the exit code."""
    from medanon.cli.progress import RunProgress
    from medanon.collection.run import ClinicalInput, run_private
    from medanon.runner.walk import STATE_DIR_NAME

    if not quiet:
        echo("medanon: privacy run, pass 1: reading every header to plan the classes")
    exclude = (dst, options.state_dir or dst / STATE_DIR_NAME)

    def planned(plan: PrivacyPlan) -> None:
        if not quiet:
            echo(f"medanon: pass 2: writing the files of {len(plan.patients)} patients "
                 f"({len(plan.suppressed)} suppressed)")

    with RunProgress(src, exclude, quiet=quiet) as progress:
        result = run_private(src, dst, recipe, key, options=options,
                             clinical=ClinicalInput(clinical, clinical_key) if clinical else None,
                             on_progress=progress.update, on_planned=planned)
    report = result.run.report
    echo(f"medanon: {report.summary_line()}; report: {result.run.report_path}")
    for line in summary_lines(result.plan, result.release, result.output_check,
                              result.unclassified_clinical):
        echo(line)
    return report.exit_code
