"""A run with a ``[privacy]`` section: read every header, plan, then write every file.

Pass 1 is ``medanon scan``'s own code (:func:`medanon.scan.scan_folder`, headers only,
no attribute census) and gives the patient table; it keeps its state in the state folder,
so a pass 1 stopped half way resumes where it stopped. The plan
(:mod:`~medanon.collection.planner`) is stored in the state folder
(``privacy-plan.json``) before any file is written, and pass 2 is an ordinary
:func:`~medanon.runner.run.run_folder` carrying the plan as its
:class:`~medanon.dicom.plan.CollectionPlan`, which pins the plan's fingerprint in the
manifest beside the recipe and key. A rerun finds the stored plan and uses it as it is
(pass 1 is not repeated), so a run stopped in either pass and run again gives the same
output, byte for byte; a changed recipe, key or clinical table is refused unless
``--restart``.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medanon.collection.clinical import ClinicalTable, load_clinical
from medanon.collection.patients import CANDIDATE_KEYWORDS, unparseable_counts
from medanon.collection.planner import PrivacyPlan, collection_plan, plan_collection
from medanon.collection.release import write_release
from medanon.custody.keys import SecretKey
from medanon.errors import ConfigurationError
from medanon.events import HandlerBinding
from medanon.profile.privacy_section import PrivacySection
from medanon.profile.recipe import Recipe
from medanon.runner.run import (
    ProgressCallback,
    RunOptions,
    RunResult,
    check_folders,
    lock_output,
    run_folder,
)
from medanon.runner.walk import STATE_DIR_NAME
from medanon.scan.state import remove_state

if TYPE_CHECKING:
    from medanon.scan.result import ScanResult

PLAN_NAME = "privacy-plan.json"


@dataclass(frozen=True)
class ClinicalInput:
    """``--clinical FILE --clinical-key COLUMN``."""

    path: Path
    key_column: str = "PatientID"


@dataclass(frozen=True)
class PrivateRunResult:
    """A finished privacy run: the files' report, the plan, and the release folder."""

    run: RunResult
    plan: PrivacyPlan
    release: Path
    output_check: dict[str, Any]
    unclassified_clinical: tuple[str, ...] = ()
    """Clinical columns the recipe gave no role (kept as read): names only, for a warning."""


def _write_atomically(path: Path, text: str) -> None:
    from medanon.privacy.tableio import atomic_write

    def write(target: Path) -> None:
        target.write_text(text, encoding="ascii")
    atomic_write(path, write)


def _inputs(recipe: Recipe, key: SecretKey, clinical: ClinicalTable | None) -> dict[str, str]:
    return {"recipe_fingerprint": recipe.fingerprint(), "key_fingerprint": key.fingerprint,
            "clinical_fingerprint": clinical.fingerprint if clinical else ""}


def _stored_plan(path: Path, inputs: dict[str, str]) -> PrivacyPlan | None:
    """The plan an earlier session stored, or None; refused when made from other inputs."""
    if not path.is_file():
        return None
    try:
        document = json.loads(path.read_text(encoding="ascii"))
        stored_inputs, text = document["inputs"], document["plan"]
    except (OSError, ValueError, KeyError, TypeError):
        raise ConfigurationError("the stored privacy plan cannot be read; rerun with "
                                 "--restart") from None
    for name, value in inputs.items():
        if stored_inputs.get(name) != value:
            label = name.replace("_fingerprint", "").replace("_", " ")
            raise ConfigurationError(
                f"the {label} differs from the one this output folder was planned with; "
                "rerun with the same settings to resume, or pass --restart to start over")
    return PrivacyPlan.from_json(text)


def make_plan(src: Path, section: PrivacySection, key: SecretKey,
              clinical: ClinicalTable | None, options: RunOptions, state_dir: Path
              ) -> PrivacyPlan:
    """Pass 1 and the plan: headers → patient table (+ clinical) → classes.

    Pass 1 is :func:`medanon.scan.scan_folder` without its attribute census, its state in
    ``state_dir``: a pass 1 stopped half way resumes from the files it had counted, or
    starts over when that state cannot be resumed (other settings, a file changed since).
    """
    from medanon.scan import FileStatus, scan_folder
    from medanon.scan.state import ScanStateError

    keywords = tuple(dict.fromkeys((*CANDIDATE_KEYWORDS, *section.header_keywords)))

    def scan(restart: bool) -> ScanResult:
        return scan_folder(src, key, workers=options.workers, state=state_dir,
                           restart=restart, keywords=keywords,
                           accept_no_meta=options.accept_no_meta, census=False)
    try:
        result = scan(options.restart)
    except ScanStateError:  # no plan, no file written yet: counting again loses nothing
        result = scan(True)
    patients = result.patient_rows()
    counts: dict[str, Any] = {
        "files": result.files,
        "unreadable_files": result.files - result.tally.inventory.files[FileStatus.DICOM.value],
        "patients": len(patients), "studies": sum(p.studies for p in patients),
        "patients_with_unparseable_values": unparseable_counts(patients)}
    if clinical is not None:
        counts.update(clinical.counts({p.patient for p in patients}))
        if counts["clinical_rows_without_images"] == clinical.rows:
            raise ConfigurationError(
                f"the clinical key matches no patient of the collection ({clinical.rows} "
                "rows): check --clinical-key (it must hold the original PatientID)")
    return plan_collection(patients, section, clinical.by_patient if clinical else None,
                           counts)


def run_private(src: Path, dst: Path, recipe: Recipe, key: SecretKey, *,
                options: RunOptions | None = None, clinical: ClinicalInput | None = None,
                on_progress: ProgressCallback | None = None,
                on_planned: Callable[[PrivacyPlan], None] | None = None,
                handlers: Iterable[HandlerBinding] = ()) -> PrivateRunResult:
    """Run both passes and write the release folder; resume when ``dst`` has a run.

    ``handlers`` are bound to the second pass (:func:`~medanon.runner.run.run_folder`).

    Raises
    ------
    ConfigurationError
        No privacy section, unsafe folders, clinical problems, changed settings.
    PrivacyError
        The models cannot be met (see :func:`~medanon.collection.planner.plan_collection`).
    """
    section = recipe.privacy
    if section is None:
        raise ConfigurationError("the recipe has no [privacy] section")
    options = options or RunOptions()
    label = str(dst)
    src, dst = check_folders(src, dst)
    state_dir = options.state_dir or dst / STATE_DIR_NAME
    table = load_clinical(clinical.path, clinical.key_column, key, section) \
        if clinical is not None else None
    named = (*section.clinical_columns, *itertools.chain(*section.clinical_roles.values()))
    if table is None and named:  # before pass 1: its time would be wasted
        raise ConfigurationError("the privacy section names clinical columns "
                                 f"({', '.join(named)}); pass the table with "
                                 "--clinical FILE --clinical-key COLUMN")
    # Held through both passes and the release: pass 1's state, the plan and the release
    # folder are this run's alone (the folder run inside takes the same lock again).
    with lock_output(dst, state_dir, label):
        return _run_private_locked(src, dst, state_dir, recipe, section, key, table,
                                   options, on_progress, on_planned, handlers)


def _run_private_locked(src: Path, dst: Path, state_dir: Path, recipe: Recipe,
                        section: PrivacySection, key: SecretKey,
                        table: ClinicalTable | None, options: RunOptions,
                        on_progress: ProgressCallback | None,
                        on_planned: Callable[[PrivacyPlan], None] | None,
                        handlers: Iterable[HandlerBinding]) -> PrivateRunResult:
    """Both passes and the release, once the state folder is locked."""
    plan_path = state_dir / PLAN_NAME
    if options.restart:
        plan_path.unlink(missing_ok=True)
    inputs = _inputs(recipe, key, table)
    plan = _stored_plan(plan_path, inputs)
    if plan is None:
        plan = make_plan(src, section, key, table, options, state_dir)
        _write_atomically(plan_path, json.dumps({"inputs": inputs, "plan": plan.as_json()},
                                                sort_keys=True))
    # Pass 1's state is the patient table: not needed once the plan is stored.
    remove_state(state_dir)
    if on_planned is not None:
        on_planned(plan)
    result = run_folder(src, dst, recipe, key, plan=collection_plan(plan),
                        options=replace(options, state_dir=state_dir), on_progress=on_progress,
                        handlers=handlers)
    output_check = check_output(plan, state_dir)
    release = write_release(dst, plan, table, output_check)
    return PrivateRunResult(result, plan, release, output_check,
                            table.roles.unclassified if table is not None else ())


def check_output(plan: PrivacyPlan, state_dir: Path) -> dict[str, Any]:
    """Classes whose patients lost every file in pass 2 (withheld for another reason).

    Such a patient is in the release table but has no image, so the images alone show a
    smaller class than the table; the count is reported, never hidden.
    """
    from medanon.runner.manifest import MANIFEST_NAME, Manifest

    manifest = Manifest(state_dir / MANIFEST_NAME)
    try:
        with_files = {Path(output).parts[0] for output in manifest.recorded_outputs()}
    finally:
        manifest.close()
    per_class: dict[int, int] = {}
    for patient, class_id in zip(plan.patients, plan.classes, strict=True):
        if patient in with_files:
            per_class[class_id] = per_class.get(class_id, 0) + 1
    k = int(plan.section["k"])
    sizes = sorted(per_class.values())
    return {"patients_with_images": sum(sizes),
            "patients_without_images": len(plan.patients) - sum(sizes),
            "smallest_class_in_images": sizes[0] if sizes else 0,
            "classes_below_k_in_images": sum(1 for size in sizes if size < k)}
