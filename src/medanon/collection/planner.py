"""Plan the equivalence classes of a collection: the privacy engine on the patient table.

One record per patient (so a patient with ten studies counts once), the recipe's
quasi-identifiers as columns, the engine's automatic defaults for numbers (Mondrian
ranges ``lo-hi``) and the recipe's hierarchies for codes. Patients with a missing
quasi-identifier are suppressed, within ``max_suppression``; more than that is an error
that names the attribute, before the engine runs. The result is checked by the
independent checker (which shares no code with the engine) before anything is written.

How a published value reaches the headers (:func:`header_value`, :func:`_columns`):

- a class whose patients share one exact value publishes that value, and it is written
  as it is (valid for its VR, and the truth);
- a range (age, size, weight) is written as the class's midpoint only with
  ``represent = "midpoint"`` (PatientAge as whole years, ``NNNY``; DS as a decimal inside
  the range); otherwise the attribute is emptied when it is Type 2 and removed when it
  is Type 3;
- a set or hierarchy node (sex ``{F,M}``, an ethnic group generalised to a region)
  empties (Type 2) or removes (Type 3) the attribute; sex mixed in a class is empty;
- ``age`` is the age at the patient's first study; when it is written to PatientAge, the
  files of a later study carry it plus the whole years since the first study (the
  interval the shifted dates keep), so a patient's studies agree with each other, and a
  first study's age lies in the published range; PatientBirthDate is emptied by the
  Basic Profile in any case;
- ``first_study_year`` and clinical columns appear only in the release table.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from medanon.collection.patients import AGE, FIRST_STUDY_YEAR, NUMERIC_KEYWORDS, PatientRow
from medanon.errors import ConfigurationError, PrivacyError
from medanon.profile.privacy_section import CLINICAL_PREFIX, PrivacySection

PLAN_FORMAT = "medanon-privacy-plan/1"
#: Header attributes of Type 2 (emptied when generalised); the others are removed.
TYPE2_KEYWORDS = frozenset({"PatientSex", "PatientBirthDate", "Manufacturer"})
AS_MAX_YEARS = 999


@dataclass(frozen=True)
class PrivacyPlan:
    """The whole plan of one collection, by column (one entry per published patient).

    ``published`` holds the release table's value of each quasi-identifier; ``header``
    what each header keyword becomes (``""`` empty, None removed). Stored as JSON in the
    state folder and pinned by :attr:`fingerprint`.
    """

    section: Mapping[str, Any]
    patients: tuple[str, ...]
    classes: tuple[int, ...]
    class_sizes: tuple[int, ...]
    published: Mapping[str, tuple[str, ...]]
    header: Mapping[str, tuple[str | None, ...]]
    suppressed: tuple[str, ...]
    metrics: Mapping[str, Any]
    check: Mapping[str, Any]
    counts: Mapping[str, Any]
    method: str
    study_years: Mapping[str, int] = field(default_factory=dict)
    """Later studies of published patients whose PatientAge is written: years since the
    first study, by keyed study name (no date, no UID)."""

    def as_json(self) -> str:
        """Canonical JSON (sorted keys): the same plan always gives the same text."""
        data = {
            "format": PLAN_FORMAT, "section": self.section, "method": self.method,
            "patients": list(self.patients), "classes": list(self.classes),
            "class_sizes": list(self.class_sizes),
            "published": {name: list(values) for name, values in self.published.items()},
            "header": {name: list(values) for name, values in self.header.items()},
            "suppressed": list(self.suppressed), "metrics": self.metrics,
            "check": self.check, "counts": self.counts, "study_years": dict(self.study_years),
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON (first 16 hex digits), pinned in the manifest."""
        return hashlib.sha256(self.as_json().encode("ascii")).hexdigest()[:16]

    @classmethod
    def from_json(cls, text: str) -> PrivacyPlan:
        """Read a plan written by :meth:`as_json`."""
        data = json.loads(text)
        if data.get("format") != PLAN_FORMAT:
            raise ConfigurationError("the stored privacy plan has an unknown format; "
                                     "rerun with --restart")
        return cls(data["section"], tuple(data["patients"]), tuple(data["classes"]),
                   tuple(data["class_sizes"]),
                   {name: tuple(values) for name, values in data["published"].items()},
                   {name: tuple(values) for name, values in data["header"].items()},
                   tuple(data["suppressed"]), data["metrics"], data["check"], data["counts"],
                   data["method"], data.get("study_years", {}))


def header_value(name: str, label: str, represent: str) -> str | None:
    """What the AS or DS header of a patient publishing ``label`` for ``name`` holds.

    ``name`` is ``age`` or a numeric keyword (PatientSize, PatientWeight); ``label`` a
    published ``lo-hi`` or single value. None removes the attribute (they are Type 3).
    Categories are handled by :func:`_columns`: their value is written only when the
    class publishes the patient's own value.
    """
    bounds = _range(label)
    if bounds is None:
        return None
    low, high = bounds
    if name == AGE:
        if low == high:
            return _age_string(int(low))
        return _age_string(math.floor((low + high) / 2)) if represent == "midpoint" else None
    if low == high:
        return _decimal(low, low, high)
    return _decimal((low + high) / 2, low, high) if represent == "midpoint" else None


def _range(label: str) -> tuple[float, float] | None:
    """The bounds of a numeric published value ``lo-hi`` or ``v``; None for anything else."""
    parts = label.split("-")
    try:
        values = [float(part) for part in parts]
    except ValueError:
        return None
    if len(values) == 1:
        return values[0], values[0]
    return (values[0], values[1]) if len(values) == 2 else None


def _age_string(years: int) -> str | None:
    return f"{years:03d}Y" if 0 <= years <= AS_MAX_YEARS else None


def _decimal(value: float, low: float, high: float) -> str:
    """A DS text (at most 16 characters) for ``value`` that stays inside ``low..high``."""
    for digits in (6, 5, 4, 3):
        text = f"{value:.{digits}g}"
        if low <= float(text) <= high and len(text) <= 16:
            return text
    return f"{low:.6g}"


def _column(patients: Sequence[PatientRow], name: str, clinical: Mapping[str, Mapping[str, Any]]
            ) -> list[Any]:
    if name.startswith(CLINICAL_PREFIX):
        column = name[len(CLINICAL_PREFIX):]
        return [clinical.get(p.patient, {}).get(column) for p in patients]
    return [p.values.get(name) for p in patients]


def build_table(patients: Sequence[PatientRow], section: PrivacySection,
                clinical: Mapping[str, Mapping[str, Any]]) -> Any:
    """The engine's input: ``patient``, the quasi-identifiers and the sensitive column."""
    names = [*section.quasi_identifiers, *([section.sensitive] if section.sensitive else [])]
    columns: dict[str, Any] = {"patient": pa.array([p.patient for p in patients], pa.string())}
    for name in names:
        values = _column(patients, name, clinical)
        numeric = name in (AGE, FIRST_STUDY_YEAR) or name in NUMERIC_KEYWORDS
        columns[name] = pa.array(values, type=pa.float64() if numeric else None)
    return pa.table(columns)


def _hierarchies(table: Any, section: PrivacySection) -> dict[str, Any]:
    """The section's files and builders over the collection, and masking for clinical codes.

    The automatic masking is ``medanon table``'s default, applied to clinical columns
    only: header attributes have their own kinds (numbers, sexes, names of models).
    """
    from medanon.privacy.builders import build_all
    from medanon.privacy.defaults import resolve_specs
    from medanon.privacy.tableio import code_columns

    codes = {name for name in code_columns(table) if name.startswith(CLINICAL_PREFIX)}
    specs = resolve_specs(table, section.quasi_identifiers, section.sensitive,
                          dict(section.hierarchies), codes)
    return dict(build_all(specs, table))


def _check_inputs(table: Any, patients: Sequence[PatientRow], section: PrivacySection) -> None:
    """Refuse, with one message naming the attribute, what the engine would refuse later."""
    import pyarrow.compute as pc

    count = len(patients)
    if count < section.k:
        raise PrivacyError(f"k = {section.k} is larger than the number of patients in the "
                           f"collection ({count})")
    budget = math.floor(section.max_suppression * count + 1e-9)
    names = [*section.quasi_identifiers, *([section.sensitive] if section.sensitive else [])]
    lacking: dict[str, int] = {}
    any_missing = None
    for name in names:
        column = table.column(name)
        missing = column.null_count
        if missing == count:
            where = "no patient of the clinical table" if name.startswith(CLINICAL_PREFIX) \
                else "no file"
            raise ConfigurationError(f"privacy: {where} carries a readable value for {name!r}; "
                                     "remove it from the privacy section")
        if missing:
            lacking[name] = missing
            mask = pc.is_null(column)
            any_missing = mask if any_missing is None else pc.or_(any_missing, mask)
    total = 0 if any_missing is None else pc.sum(any_missing.cast("int64")).as_py()
    if total > budget:
        detail = ", ".join(f"{n} {c}" for n, c in lacking.items())
        raise PrivacyError(
            f"privacy: {total} of {count} patients lack a readable value (absent or "
            f"unparseable) of a quasi-identifier or the sensitive attribute ({detail}), more "
            f"than max_suppression = {section.max_suppression:g} allows ({budget}); raise "
            "max_suppression or remove the attribute")


def plan_collection(patients: Sequence[PatientRow], section: PrivacySection,
                    clinical: Mapping[str, Mapping[str, Any]] | None = None,
                    counts: Mapping[str, Any] | None = None) -> PrivacyPlan:
    """The equivalence classes of ``patients`` under ``section``, checked independently.

    ``clinical`` maps a patient pseudonym to its clinical row (column -> value).

    Raises
    ------
    ConfigurationError
        A quasi-identifier no patient carries.
    PrivacyError
        k larger than the collection, too many missing values, models that cannot be
        met, or a published table the independent checker rejects.
    """
    from medanon.privacy import anonymize, check

    clinical = clinical or {}
    table = build_table(patients, section, clinical)
    _check_inputs(table, patients, section)
    qis = list(section.quasi_identifiers)
    result = anonymize(table, qi=qis, sensitive=section.sensitive, k=section.k, l=section.l,
                       l_model=section.l_model,
                       c=section.c, t=section.t, hierarchies=_hierarchies(table, section),
                       max_suppression=section.max_suppression, missing="suppress")
    suppressed_mask = np.asarray(result.suppressed, dtype=bool)
    kept_rows = np.flatnonzero(~suppressed_mask)
    kept = result.arrow.take(pa.array(kept_rows))
    report = check(kept.select(qis + ([section.sensitive] if section.sensitive else [])),
                   qis, section.sensitive, k=section.k, l=section.l, l_model=section.l_model,
                   c=section.c, t=section.t, suppressed_column="__none__")
    if not report.passed:  # the engine and the checker disagree: publish nothing
        raise PrivacyError("the independent check of the plan failed: "
                           + "; ".join(report.violations))
    classes = np.asarray(result.classes)[kept_rows]
    sizes = np.bincount(classes)[classes] if len(classes) else classes
    published, header = _columns(table, kept_rows, result.publication.columns, section)
    suppressed = tuple(patients[i].patient for i in np.flatnonzero(suppressed_mask).tolist())
    return PrivacyPlan(section.canonical(),
                       tuple(patients[i].patient for i in kept_rows.tolist()),
                       tuple(classes.tolist()), tuple(sizes.tolist()), published, header,
                       suppressed, result.metrics.as_dict(), report.as_dict(),
                       dict(counts or {}), section.model_text(),
                       _later_study_years(patients, kept_rows, header.get("PatientAge")))


def _later_study_years(patients: Sequence[PatientRow], rows: Any,
                       ages: Sequence[str | None] | None) -> dict[str, int]:
    """Years since the first study for the later studies of patients given an age."""
    if ages is None:
        return {}
    years: dict[str, int] = {}
    for row, age in zip(rows.tolist(), ages, strict=True):
        if age:
            years.update(patients[row].study_years)
    return dict(sorted(years.items()))


def _columns(table: Any, rows: Any, columns: Mapping[str, Any], section: PrivacySection
             ) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str | None, ...]]]:
    """Published values and header values of the published rows, by column.

    A header value depends on the published value alone (for a category, also on whether
    it is the patient's own value), so it is worked out once per distinct published value.
    """
    published: dict[str, tuple[str, ...]] = {}
    header: dict[str, tuple[str | None, ...]] = {}
    for name in section.quasi_identifiers:
        labels = np.asarray(columns[name].labels, dtype=object)
        index = columns[name].index[rows]
        published[name] = tuple(labels[index].tolist())
        if name == FIRST_STUDY_YEAR or name.startswith(CLINICAL_PREFIX):
            continue
        keyword = "PatientAge" if name == AGE else name
        generalised = "" if keyword in TYPE2_KEYWORDS else None
        if name == AGE or name in NUMERIC_KEYWORDS:
            values = np.asarray([header_value(name, str(label), section.represent)
                                 for label in labels], dtype=object)
            chosen = values[index]
        else:
            true = np.asarray(table.column(name).take(pa.array(rows)).to_pylist(),
                              dtype=object)
            chosen = labels[index]
            chosen[np.asarray(chosen != true, dtype=bool)] = generalised  # exact values only
        for value in set(chosen.tolist()) - {None, ""}:
            if not _valid_for(keyword, value):
                chosen[chosen == value] = generalised
        header[keyword] = tuple(chosen.tolist())
    return published, header


def _valid_for(keyword: str, value: str) -> bool:
    """Whether ``value`` passes the checks a recipe's replacement value must pass.

    Those are the VR, length and VM of ``keyword``; a value that fails is left out of the
    header (emptied or removed), never written.
    """
    from pydicom.datadict import dictionary_VM, dictionary_VR, tag_for_keyword

    from medanon.profile.values import check_replacement

    tag = tag_for_keyword(keyword)
    if tag is None:
        return False
    try:
        check_replacement(dictionary_VR(tag), dictionary_VM(tag), value)
    except ValueError:
        return False
    return True


def collection_plan(plan: PrivacyPlan) -> Any:
    """The :class:`~medanon.dicom.plan.CollectionPlan` that carries ``plan`` into pass 2.

    Patients whose header values are the same share one mapping (most of a class does).
    """
    from pydicom.datadict import tag_for_keyword

    from medanon.dicom.plan import CollectionPlan

    tags = []
    for keyword in plan.header:
        tag = tag_for_keyword(keyword)
        assert tag is not None  # checked when the recipe was read
        tags.append(int(tag))
    shared: dict[tuple[str | None, ...], dict[int, str | None]] = {}
    values: dict[str, dict[int, str | None]] = {}
    columns = list(plan.header.values())
    for position, patient in enumerate(plan.patients):
        row = tuple(column[position] for column in columns)
        if row not in shared:
            shared[row] = dict(zip(tags, row, strict=True))
        values[patient] = shared[row]
    return CollectionPlan(patient_values=values, study_years=plan.study_years,
                          suppressed=frozenset(plan.suppressed), closed=True,
                          method=plan.method, fingerprint=plan.fingerprint)
