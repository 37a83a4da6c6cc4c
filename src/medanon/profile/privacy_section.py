"""The ``[privacy]`` section of a recipe: collection-level k-anonymity and l-diversity.

::

    [privacy]
    k = 5
    l = 3                      # optional; l_model = "distinct" | "entropy" | "recursive" (c)
    t = 0.2                    # optional
    max_suppression = 0.02     # share of patients that may be left out
    quasi_identifiers = ["age", "PatientSex", "PatientSize", "PatientWeight"]
    sensitive = "clinical:diagnosis"   # a column of the clinical table, or a DICOM keyword
    represent = "midpoint"     # optional: AS/DS headers hold the class's midpoint
    insensitive = ["smoker_years"]     # clinical columns kept as read
    identifying = ["patient_name"]     # clinical columns removed
    pseudonymise = ["mrn"]             # clinical columns replaced by a keyed pseudonym

    [privacy.hierarchies]      # optional, per quasi-identifier (ARX format)
    EthnicGroup = "hierarchies/ethnic_group.csv"
    age = { intervals = [5, 10, 20], lower = 0, upper = 120 }   # or a builder, as in
    "clinical:zip" = { masking = true }                         # medanon table's TOML

A third choice beside removing (the Basic Profile) and retaining (Retain Patient
Characteristics) patient characteristics, so choosing both for one attribute is an error.
The role keys are ``medanon table``'s (:data:`medanon.privacy.roles.DECLARED_ROLES`) and
name columns of the clinical table, with or without the ``clinical:`` prefix.
Kept apart from :mod:`medanon.profile.recipe`, which only calls :func:`parse_privacy`
and carries the result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medanon.errors import ConfigurationError
from medanon.privacy.builders import FileSpec, HierarchySpec, spec_from_toml
from medanon.privacy.roles import DECLARED_ROLES
from medanon.profile.model import Option

if TYPE_CHECKING:
    from medanon.privacy.models import LModel

CLINICAL_PREFIX = "clinical:"
DERIVED_QIS = ("age", "first_study_year")
L_MODELS = ("distinct", "entropy", "recursive")
REPRESENTATIONS = ("omit", "midpoint")
ROLE_KEYS = tuple(DECLARED_ROLES)
PRIVACY_KEYS = ("k", "l", "l_model", "c", "t", "max_suppression", "quasi_identifiers",
                "sensitive", "represent", "hierarchies", *ROLE_KEYS)
#: Study-level keywords accepted besides the patient module (group 0010).
STUDY_LEVEL_KEYWORDS = frozenset({"Manufacturer", "ManufacturerModelName", "BodyPartExamined",
                                  "InstitutionName", "Modality", "StudyDescription"})
#: The header attributes a derived quasi-identifier is read from.
DERIVED_SOURCES = {"age": ("PatientAge", "PatientBirthDate"), "first_study_year": ("StudyDate",)}

Problem = Callable[[tuple[str, ...], str], Exception]


@dataclass(frozen=True)
class PrivacySection:
    """A validated ``[privacy]`` section; hierarchy paths are resolved against the recipe."""

    k: int
    quasi_identifiers: tuple[str, ...]
    l: float | None = None  # noqa: E741 - the name of the model
    l_model: LModel = "distinct"
    c: float | None = None
    t: float | None = None
    max_suppression: float = 0.0
    sensitive: str | None = None
    represent: str = "omit"
    hierarchies: tuple[tuple[str, HierarchySpec], ...] = ()
    insensitive: tuple[str, ...] = ()
    identifying: tuple[str, ...] = ()
    pseudonymise: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # A plain path is a hierarchy file (how sections were built before builders).
        specs = tuple((name, FileSpec(Path(spec)) if isinstance(spec, str | Path) else spec)
                      for name, spec in self.hierarchies)
        object.__setattr__(self, "hierarchies", specs)

    @property
    def clinical_columns(self) -> tuple[str, ...]:
        """The clinical-table columns the section names (quasi-identifiers, sensitive)."""
        names = [*self.quasi_identifiers, *([self.sensitive] if self.sensitive else [])]
        return tuple(n[len(CLINICAL_PREFIX):] for n in names if n.startswith(CLINICAL_PREFIX))

    @property
    def header_keywords(self) -> tuple[str, ...]:
        """The DICOM keywords among the quasi-identifiers and the sensitive attribute."""
        names = [*self.quasi_identifiers, *([self.sensitive] if self.sensitive else [])]
        return tuple(n for n in names if n not in DERIVED_QIS and
                     not n.startswith(CLINICAL_PREFIX))

    @property
    def clinical_roles(self) -> dict[str, tuple[str, ...]]:
        """The clinical columns each role key names (``insensitive`` ... ``pseudonymise``)."""
        return {name: getattr(self, name) for name in ROLE_KEYS}

    def model_text(self) -> str:
        """The model and its parameters in a few words (for DeidentificationMethod)."""
        text = f"k-anonymity k={self.k}"
        if self.l is not None:
            text += f" l={self.l:g} {self.l_model}"
            if self.c is not None:
                text += f" c={self.c:g}"
        if self.t is not None:
            text += f" t={self.t:g}"
        return text + " per patient"

    def canonical(self) -> dict[str, Any]:
        """Plain JSON-ready content (part of the recipe's fingerprint)."""
        content: dict[str, Any] = {
            "k": self.k, "l": self.l, "l_model": self.l_model, "c": self.c, "t": self.t,
            "max_suppression": self.max_suppression,
            "quasi_identifiers": list(self.quasi_identifiers),
            "sensitive": self.sensitive, "represent": self.represent,
            "hierarchies": {name: spec.canonical() for name, spec in self.hierarchies}}
        # Only roles given: a section without them keeps the fingerprint it always had.
        content.update({name: list(columns) for name, columns in self.clinical_roles.items()
                        if columns})
        return content


@lru_cache(maxsize=1)
def patient_characteristics() -> frozenset[str]:
    """Keywords that Retain Patient Characteristics keeps (read off PS3.15 Table E.1-1)."""
    from medanon.profile.table import load_table

    return frozenset(entry.keyword for entry in load_table() if entry.keyword and
                     entry.cell(Option.RETAIN_PATIENT_CHARACTERISTICS) == "K")


def header_sources(name: str) -> tuple[str, ...]:
    """The header keywords a quasi-identifier or sensitive name is read from."""
    if name.startswith(CLINICAL_PREFIX):
        return ()
    return DERIVED_SOURCES.get(name, (name,))


def _number(path: tuple[str, ...], value: object, problem: Problem, *, integer: bool = False
            ) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or \
            (integer and not isinstance(value, int)):
        raise problem(path, f"privacy.{path[-1]}: expected "
                            f"{'a whole number' if integer else 'a number'}")
    return float(value)


def _keyword_problem(name: str) -> str | None:
    """Why a quasi-identifier or sensitive name cannot be read from headers, or None."""
    if name in DERIVED_QIS or name.startswith(CLINICAL_PREFIX):
        return None if name != CLINICAL_PREFIX else "names no clinical column"
    from pydicom.datadict import dictionary_VR, tag_for_keyword

    tag = tag_for_keyword(name)
    if tag is None:
        return ("is not a DICOM keyword, 'age', 'first_study_year' or a clinical column "
                "('clinical:NAME')")
    if dictionary_VR(tag) == "SQ":
        return "is a sequence; name an attribute that holds a value"
    if tag >> 16 != 0x0010 and name not in STUDY_LEVEL_KEYWORDS:
        return "is not a patient- or study-level attribute"
    return None


def parse_privacy(data: object, recipe_folder: Path | None, problem: Problem
                  ) -> PrivacySection:
    """Check a ``[privacy]`` table; every problem is ``problem(path, message)`` raised.

    ``recipe_folder`` resolves relative hierarchy paths (None: the working folder).
    """
    if not isinstance(data, Mapping):
        raise problem(("privacy",), "privacy: expected a table, e.g. [privacy] k = 5")
    unknown = sorted(set(data) - set(PRIVACY_KEYS))
    if unknown:
        raise problem(("privacy", unknown[0]), f"privacy: unknown key {unknown[0]!r}; "
                                               f"valid keys: {', '.join(PRIVACY_KEYS)}")
    if "k" not in data:
        raise problem(("privacy",), "privacy: k is required (e.g. k = 5)")
    k = int(_number(("privacy", "k"), data["k"], problem, integer=True))
    if k < 2:
        raise problem(("privacy", "k"), "privacy.k: must be at least 2")
    qis = _names(data, problem)
    sensitive = data.get("sensitive")
    if sensitive is not None:
        if not isinstance(sensitive, str) or not sensitive:
            raise problem(("privacy", "sensitive"), "privacy.sensitive: expected a name")
        reason = _keyword_problem(sensitive)
        if reason or sensitive in DERIVED_QIS:
            raise problem(("privacy", "sensitive"),
                          f"privacy.sensitive: {sensitive!r} {reason or 'is a quasi-identifier'}")
        if sensitive in qis:
            raise problem(("privacy", "sensitive"), f"privacy.sensitive: {sensitive!r} is "
                                                    "also a quasi-identifier")
    roles = _roles(data, qis, sensitive, problem)
    section = PrivacySection(
        k=k, quasi_identifiers=qis, sensitive=sensitive,
        max_suppression=_share(data, "max_suppression", problem),
        **_diversity(data, sensitive, problem),
        represent=_represent(data, problem),
        hierarchies=_hierarchies(data.get("hierarchies", {}), qis, sensitive, recipe_folder,
                                 problem),
        insensitive=roles["insensitive"], identifying=roles["identifying"],
        pseudonymise=roles["pseudonymise"])
    return section


def _names(data: Mapping[str, Any], problem: Problem) -> tuple[str, ...]:
    path = ("privacy", "quasi_identifiers")
    names = data.get("quasi_identifiers")
    if not isinstance(names, list) or not names or \
            not all(isinstance(n, str) and n for n in names):
        raise problem(path if names is not None else ("privacy",),
                      "privacy.quasi_identifiers: expected a list of names, e.g. "
                      "[\"age\", \"PatientSex\"]")
    for index, name in enumerate(names):
        if name in names[:index]:
            raise problem(path, f"privacy.quasi_identifiers: {name!r} is listed twice")
        reason = _keyword_problem(name)
        if reason:
            raise problem(path, f"privacy.quasi_identifiers: {name!r} {reason}")
    return tuple(names)


def _roles(data: Mapping[str, Any], qis: tuple[str, ...], sensitive: str | None,
           problem: Problem) -> dict[str, tuple[str, ...]]:
    """The clinical columns of each role key; one column, one role."""
    modelled = {n[len(CLINICAL_PREFIX):] for n in (*qis, sensitive or "")
                if n.startswith(CLINICAL_PREFIX)}
    chosen: dict[str, str] = {}
    out: dict[str, tuple[str, ...]] = {}
    for key in ROLE_KEYS:
        path = ("privacy", key)
        names = data.get(key, [])
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise problem(path, f"privacy.{key}: expected a list of clinical column names, "
                                'e.g. ["smoker_years"]')
        columns = tuple(n[len(CLINICAL_PREFIX):] if n.startswith(CLINICAL_PREFIX) else n
                        for n in names)
        for column in columns:
            if column in modelled:
                raise problem(path, f"privacy.{key}: {column!r} is already a quasi-identifier "
                                    "or the sensitive attribute")
            if column in chosen:
                raise problem(path, f"privacy.{key}: {column!r} is also in {chosen[column]}; "
                                    "give each column one role")
            chosen[column] = key
        out[key] = columns
    return out


def _share(data: Mapping[str, Any], name: str, problem: Problem) -> float:
    if name not in data:
        return 0.0
    value = _number(("privacy", name), data[name], problem)
    if not 0.0 <= value <= 1.0:
        raise problem(("privacy", name), f"privacy.{name}: a share between 0 and 1")
    return value


def _diversity(data: Mapping[str, Any], sensitive: str | None, problem: Problem
               ) -> dict[str, Any]:
    values: dict[str, Any] = {"l": None, "l_model": "distinct", "c": None, "t": None}
    if "l" in data:
        values["l"] = _number(("privacy", "l"), data["l"], problem)
        if values["l"] < 1:
            raise problem(("privacy", "l"), "privacy.l: must be at least 1")
    model = data.get("l_model", "distinct")
    if model not in L_MODELS:
        raise problem(("privacy", "l_model"),
                      f"privacy.l_model: one of {', '.join(map(repr, L_MODELS))}")
    values["l_model"] = model
    if "c" in data:
        values["c"] = _number(("privacy", "c"), data["c"], problem)
        if model != "recursive" or values["c"] <= 0:
            raise problem(("privacy", "c"), "privacy.c: a positive number, used only with "
                                            "l_model = \"recursive\"")
    elif model == "recursive":
        raise problem(("privacy", "l_model"), "privacy.l_model: recursive needs c = ...")
    if "t" in data:
        values["t"] = _number(("privacy", "t"), data["t"], problem)
        if not 0.0 < values["t"] <= 1.0:
            raise problem(("privacy", "t"), "privacy.t: a distance in (0, 1]")
    for name in ("l", "t"):
        if values[name] is not None and sensitive is None:
            raise problem(("privacy", name), f"privacy.{name}: needs a sensitive attribute "
                                             "(sensitive = ...)")
    return values


def _represent(data: Mapping[str, Any], problem: Problem) -> str:
    value = data.get("represent", "omit")
    if value not in REPRESENTATIONS:
        raise problem(("privacy", "represent"),
                      f"privacy.represent: one of {', '.join(map(repr, REPRESENTATIONS))}")
    return str(value)


def _hierarchies(table: object, qis: tuple[str, ...], sensitive: str | None,
                 folder: Path | None, problem: Problem
                 ) -> tuple[tuple[str, HierarchySpec], ...]:
    """Files or builders, in the syntax ``medanon table`` reads (``privacy.builders``)."""
    path = ("privacy", "hierarchies")
    if not isinstance(table, Mapping):
        raise problem(path, "privacy.hierarchies: expected a table of name = \"file.csv\" "
                            "or name = { intervals | ordering | masking = ... }")
    resolved: list[tuple[str, HierarchySpec]] = []
    for name, location in table.items():
        if name not in qis and name != sensitive:
            raise problem(path + (name,), f"privacy.hierarchies: {name!r} is neither a "
                                          "quasi-identifier nor the sensitive attribute")
        try:
            spec = spec_from_toml(location, f"privacy.hierarchies.{name}", folder)
        except ConfigurationError as exc:
            raise problem(path + (name,), str(exc)) from None
        if isinstance(spec, FileSpec) and not spec.path.is_file():
            raise problem(path + (name,), f"privacy.hierarchies.{name}: no such file "
                                          f"{location!r}")
        resolved.append((name, spec))
    return tuple(sorted(resolved, key=lambda item: item[0]))


def conflicts(section: PrivacySection, options: frozenset[Option],
              overridden: Mapping[str, str]) -> tuple[tuple[str, ...], str] | None:
    """The first contradiction with the rest of the recipe, as (path, message), or None.

    ``overridden`` maps the keyword of each ``[attributes]`` override to its key.
    """
    names = [*section.quasi_identifiers, *([section.sensitive] if section.sensitive else [])]
    for name in names:
        sources = header_sources(name)
        kept = [s for s in sources if s in patient_characteristics()]
        if kept and Option.RETAIN_PATIENT_CHARACTERISTICS in options and \
                name in section.quasi_identifiers:
            return (("options",), f"privacy: {name!r} is a quasi-identifier, which "
                    f"retain-patient-characteristics would keep exactly ({kept[0]}); choose "
                    "one of the two for it")
        for source in sources:
            if source in overridden and name in section.quasi_identifiers:
                return (("attributes", overridden[source]),
                        f"privacy: {name!r} is a quasi-identifier; an [attributes] rule for "
                        f"{source} would bypass its generalisation")
    if "first_study_year" in section.quasi_identifiers and \
            Option.RETAIN_LONGITUDINAL_FULL_DATES in options:
        return (("options",), "privacy: 'first_study_year' is a quasi-identifier, which "
                "retain-longitudinal-full-dates would publish exactly in StudyDate")
    if "InstitutionName" in names and Option.RETAIN_INSTITUTION_IDENTITY not in options:
        return (("privacy", "quasi_identifiers"), "privacy: InstitutionName is removed "
                "unless retain-institution-identity is chosen")
    return None
