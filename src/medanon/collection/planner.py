"""Plan the equivalence classes of a collection: the privacy engine on the patient table.

One record per patient (so a patient with ten studies counts once), the recipe's
quasi-identifiers as columns, the engine's automatic defaults for numbers (Mondrian
ranges ``lo-hi``) and the recipe's hierarchies for codes. Patients with a missing
quasi-identifier are suppressed, within ``max_suppression``; more than that is an error
that names the attribute, before the engine runs. The result is checked by the
independent checker (which shares no code with the engine) before anything is written.

How a published value reaches the headers (:func:`header_value`):

- a class whose patients share one exact value publishes that value, and it is written
  as it is (valid for its VR, and the truth);
- a range (age, size, weight) is written as the class's midpoint only with
  ``represent = "midpoint"`` (PatientAge as whole years, ``NNNY``; DS as a decimal inside
  the range); otherwise the attribute is emptied when it is Type 2 and removed when it
  is Type 3;
- a set or hierarchy node (sex ``{F,M}``, an ethnic group generalised to a region)
  empties (Type 2) or removes (Type 3) the attribute; sex mixed in a class is empty;
- ``age`` is written to PatientAge in every file of the patient (the age at the first
  study); PatientBirthDate is emptied by the Basic Profile in any case;
- ``first_study_year`` and clinical columns appear only in the release table.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from medanon.collection.patients import AGE, FIRST_STUDY_YEAR, NUMERIC_KEYWORDS, PatientRow
from medanon.errors import ConfigurationError, PrivacyError
from medanon.profile.privacy_section import CLINICAL_PREFIX, PrivacySection

PLAN_FORMAT = "medanon-privacy-plan/1"
#: Header attributes of Type 2 (emptied when generalised); the others are removed.
TYPE2_KEYWORDS = frozenset({"PatientSex", "PatientBirthDate", "Manufacturer"})
AS_MAX_YEARS = 999


@dataclass(frozen=True)
class PlannedPatient:
    """One published patient: class, published values, and the header values to write."""

    patient: str
    class_id: int
    class_size: int
    published: Mapping[str, str]  # quasi-identifier -> published value (release table)
    header: Mapping[str, str | None]  # keyword -> value, "" empty, None removed


@dataclass(frozen=True)
class PrivacyPlan:
    """The whole plan of one collection; stored as JSON in the state folder and pinned."""

    section: Mapping[str, Any]
    patients: tuple[PlannedPatient, ...]
    suppressed: tuple[str, ...]
    metrics: Mapping[str, Any]
    check: Mapping[str, Any]
    counts: Mapping[str, Any]
    method: str

    def as_json(self) -> str:
        """Canonical JSON (sorted keys): the same plan always gives the same text."""
        data = {
            "format": PLAN_FORMAT, "section": self.section, "method": self.method,
            "patients": [{"patient": p.patient, "class": p.class_id, "class_size": p.class_size,
                          "published": dict(p.published), "header": dict(p.header)}
                         for p in self.patients],
            "suppressed": list(self.suppressed), "metrics": self.metrics,
            "check": self.check, "counts": self.counts,
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
        patients = tuple(PlannedPatient(p["patient"], int(p["class"]), int(p["class_size"]),
                                        p["published"], p["header"])
                         for p in data["patients"])
        return cls(data["section"], patients, tuple(data["suppressed"]), data["metrics"],
                   data["check"], data["counts"], data["method"])


def header_value(name: str, label: str, true_value: object, represent: str) -> str | None:
    """What the header of a patient publishing ``label`` for ``name`` holds.

    ``""`` empties the attribute, None removes it. See the module docstring.
    """
    keyword = "PatientAge" if name == AGE else name
    generalised = "" if keyword in TYPE2_KEYWORDS else None
    bounds = _range(label) if name == AGE or name in NUMERIC_KEYWORDS else None
    if bounds is None:
        # A categorical value is written only when published exactly (not a set or node).
        return label if name != AGE and label == str(true_value) else generalised
    low, high = bounds
    if name == AGE:
        if low == high:
            return _age_string(int(low))
        return _age_string(math.floor((low + high) / 2)) if represent == "midpoint" \
            else generalised
    if low == high:
        return _decimal(low, low, high)
    return _decimal((low + high) / 2, low, high) if represent == "midpoint" else generalised


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
    import pyarrow as pa

    names = [*section.quasi_identifiers, *([section.sensitive] if section.sensitive else [])]
    columns: dict[str, Any] = {"patient": pa.array([p.patient for p in patients], pa.string())}
    for name in names:
        values = _column(patients, name, clinical)
        numeric = name in (AGE, FIRST_STUDY_YEAR) or name in NUMERIC_KEYWORDS
        columns[name] = pa.array(values, type=pa.float64() if numeric else None)
    return pa.table(columns)


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
                       l_model=section.l_model,  # type: ignore[arg-type]
                       c=section.c, t=section.t, hierarchies=dict(section.hierarchies),
                       max_suppression=section.max_suppression, missing="suppress")
    published = result.arrow
    suppressed_mask = result.suppressed
    kept_rows = [i for i in range(len(patients)) if not suppressed_mask[i]]
    kept = published.take(kept_rows)
    report = check(kept.select(qis + ([section.sensitive] if section.sensitive else [])),
                   qis, section.sensitive, k=section.k, l=section.l, l_model=section.l_model,
                   c=section.c, t=section.t, suppressed_column="__none__")
    if not report.passed:  # the engine and the checker disagree: publish nothing
        raise PrivacyError("the independent check of the plan failed: "
                           + "; ".join(report.violations))
    classes = result.classes
    sizes: dict[int, int] = {}
    for row in kept_rows:
        sizes[int(classes[row])] = sizes.get(int(classes[row]), 0) + 1
    labels = {name: published.column(name).to_pylist() for name in qis}
    planned = []
    for row in kept_rows:
        values = {name: str(labels[name][row]) for name in qis}
        true = patients[row].values
        header = {("PatientAge" if name == AGE else name):
                  header_value(name, value, true.get(name), section.represent)
                  for name, value in values.items()
                  if name != FIRST_STUDY_YEAR and not name.startswith(CLINICAL_PREFIX)}
        planned.append(PlannedPatient(patients[row].patient, int(classes[row]),
                                      sizes[int(classes[row])], values, header))
    suppressed = tuple(patients[i].patient for i in range(len(patients)) if suppressed_mask[i])
    return PrivacyPlan(section.canonical(), tuple(planned), suppressed,
                       result.metrics.as_dict(), report.as_dict(), dict(counts or {}),
                       section.model_text())


def collection_plan(plan: PrivacyPlan) -> Any:
    """The :class:`~medanon.dicom.plan.CollectionPlan` that carries ``plan`` into pass 2."""
    from pydicom.datadict import tag_for_keyword

    from medanon.dicom.plan import CollectionPlan

    tags: dict[str, int] = {}
    values: dict[str, dict[int, str | None]] = {}
    for patient in plan.patients:
        by_tag: dict[int, str | None] = {}
        for keyword, value in patient.header.items():
            if keyword not in tags:
                tag = tag_for_keyword(keyword)
                assert tag is not None  # checked when the recipe was read
                tags[keyword] = int(tag)
            by_tag[tags[keyword]] = value
        values[patient.patient] = by_tag
    return CollectionPlan(patient_values=values, suppressed=frozenset(plan.suppressed),
                          closed=True, method=plan.method, fingerprint=plan.fingerprint)
