"""The small Python API: de-identify one in-memory dataset, or a folder.

Library code: nothing here prints or exits; problems are raised as
:class:`medanon.errors.MedanonError` subclasses.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path

from pydicom.dataset import Dataset, FileDataset

from medanon.custody.keys import SecretKey
from medanon.dicom.core import Instance, deidentify_instance
from medanon.dicom.plan import EMPTY_PLAN, CollectionPlan
from medanon.dicom.quiet import quiet_pydicom
from medanon.dicom.write import build_file_meta
from medanon.errors import ConfigurationError
from medanon.events import HandlerBinding, WithholdRule
from medanon.profile.recipe import Recipe, default_recipe
from medanon.profile.ruleset import build_ruleset
from medanon.runner.run import RunOptions, RunResult, run_folder

EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"


def deidentify_dataset(dataset: Dataset, key: SecretKey, recipe: Recipe | None = None, *,
                       plan: CollectionPlan = EMPTY_PLAN,
                       withhold: WithholdRule | None = None) -> Dataset:
    """De-identify one pydicom dataset in memory and return a new one.

    ``withhold`` is a site's rule, as a run gets it from EVT_WITHHOLD_LOOKUP: True for
    this dataset raises :class:`DeidentificationError`.

    The input is left as it was. When the input carries file meta information, the
    result gets new file meta built from its new UIDs (same transfer syntax), so it can be
    saved with ``dcmwrite(path, result, enforce_file_format=True)``.

    Raises
    ------
    DeidentificationError
        When the dataset cannot be fully de-identified under the recipe (for example
        suspected burned-in text): it must not be shared.
    """
    if recipe is not None and recipe.privacy is not None and not plan.closed:
        raise ConfigurationError(
            "the recipe has a [privacy] section, which plans over a whole collection: use "
            "deidentify_folder (or pass the collection's plan)")
    ruleset = build_ruleset(recipe or default_recipe())
    meta = getattr(dataset, "file_meta", None)
    syntax = str(meta.get("TransferSyntaxUID", EXPLICIT_VR_LITTLE_ENDIAN)) if meta else (
        EXPLICIT_VR_LITTLE_ENDIAN)
    with quiet_pydicom():
        # The core decodes raw sequences and private blocks of the dataset it is given; a
        # copy keeps the caller's dataset exactly as it was. The pixel data is inside it.
        output = deidentify_instance(Instance(copy.deepcopy(dataset), syntax), ruleset, key,
                                     plan, withhold=withhold)
        result = output.dataset
        if meta is not None and "SOPClassUID" in result and "SOPInstanceUID" in result:
            result.file_meta = build_file_meta(result, output.transfer_syntax)
    if isinstance(dataset, FileDataset):
        result.preamble = None
    return result


def deidentify_folder(src: Path, dst: Path, key: SecretKey, recipe: Recipe | None = None, *,
                      options: RunOptions | None = None,
                      clinical: Path | None = None, clinical_key: str = "PatientID",
                      handlers: Iterable[HandlerBinding] = ()) -> RunResult:
    """De-identify every DICOM file under ``src`` into ``dst`` (see :func:`run_folder`).

    ``handlers`` (``[(EVT_FILE_DONE, handler), ...]``, see :mod:`medanon.events`) follow
    the run or make its decisions; a failing notification handler is logged, not raised.

    A recipe with a ``[privacy]`` section runs both passes of
    :func:`medanon.collection.run.run_private` (``clinical`` names the clinical table and
    ``clinical_key`` its PatientID column) and writes ``dst/medanon-release/``.
    """
    chosen = recipe or default_recipe()
    if chosen.privacy is not None:
        from medanon.collection.run import ClinicalInput, run_private

        table = ClinicalInput(Path(clinical), clinical_key) if clinical is not None else None
        return run_private(Path(src), Path(dst), chosen, key, options=options,
                           clinical=table, handlers=handlers).run
    if clinical is not None:
        raise ConfigurationError("a clinical table needs a recipe with a [privacy] section")
    return run_folder(Path(src), Path(dst), chosen, key, options=options, handlers=handlers)
