"""What one ``medanon table`` run asks for, from a TOML file and command-line options.

The file and the options resolve to a :class:`TableJob`: the engine's
:class:`~medanon.privacy.settings.Settings` (the same object the Python API builds) plus
the little that is not the engine's. Options override the file.

Example::

    qi = ["age", "sex", "zip", "icd10"]
    sensitive = "diagnosis"
    insensitive = ["dose"]            # kept as read
    identifying = ["name", "phone"]   # removed
    pseudonymise = ["mrn"]            # replaced by a keyed pseudonym (joinable)
    k = 5
    l = 3
    l_model = "entropy"
    max_suppression = 0.01

    [hierarchies]
    zip = "hierarchies/zip.csv"   # ARX file, relative to this file
    age = { intervals = [5, 10, 20], lower = 0, upper = 120 }
    icd10 = { masking = true }

Unknown keys are refused (a typo would otherwise silently weaken the protection).
Hierarchy declarations are :mod:`medanon.privacy.builders`' syntax, shared with the
recipe's ``[privacy.hierarchies]``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medanon.errors import ConfigurationError
from medanon.privacy.builders import HierarchySpec, spec_from_option, spec_from_toml
from medanon.privacy.metrics.risk import DEFAULT_THRESHOLD
from medanon.privacy.models import L_MODELS, T_DISTANCES, one_of
from medanon.privacy.roles import Role, declared_roles
from medanon.privacy.settings import MISSING, Settings

KEYS = {
    "qi", "sensitive", "k", "l", "l_model", "c", "t", "t_distance", "hierarchies",
    "max_suppression", "missing", "risk_threshold", "cluster", "insensitive", "identifying",
    "pseudonymise",
}
ROLE_KEYS = ("insensitive", "identifying", "pseudonymise")


@dataclass(frozen=True)
class TableJob:
    """One ``medanon table`` run: the engine's settings and what is not the engine's.

    ``settings`` is everything the engine reads and the report records. The rest never
    reaches the engine: the roles of the other columns (kept as read, removed, replaced
    by a keyed pseudonym) are applied to its output, and ``cluster`` is where it runs.
    The input, output and report paths are the command's arguments, never the file's.
    A :class:`TableJob` in hand gives every column at most one role.
    """

    settings: Settings
    insensitive: tuple[str, ...] = ()
    identifying: tuple[str, ...] = ()
    pseudonymise: tuple[str, ...] = ()
    cluster: str | None = None

    def __post_init__(self) -> None:
        declared_roles(self.settings.qi, self.settings.sensitive, self.declared)

    @property
    def declared(self) -> dict[Role, tuple[str, ...]]:
        """The roles given besides quasi-identifier and sensitive, as ``classify`` reads them."""
        return _declared(self.insensitive, self.identifying, self.pseudonymise)


def _declared(insensitive: tuple[str, ...], identifying: tuple[str, ...],
              pseudonymise: tuple[str, ...]) -> dict[Role, tuple[str, ...]]:
    return {Role.INSENSITIVE: insensitive, Role.IDENTIFYING: identifying,
            Role.PSEUDONYMISED: pseudonymise}


def load_config(path: Path | None, options: Mapping[str, Any] | None = None) -> TableJob:
    """The run the settings file ``path`` (None: no file) describes, ``options`` overriding it.

    ``options`` holds command-line values by setting name; None means not given.
    """
    return table_job(load_toml(path) if path is not None else {}, options or {})


def load_toml(path: Path) -> dict[str, Any]:
    """Read a settings file; keys may use ``-`` or ``_``; hierarchy files become absolute."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read settings {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"settings {path} are not valid TOML: {exc}") from None
    values = {str(key).replace("-", "_"): value for key, value in raw.items()}
    unknown = sorted(set(values) - KEYS)
    if unknown:
        raise ConfigurationError(f"settings {path}: unknown key {unknown[0]!r} "
                                 f"(known: {', '.join(sorted(KEYS))})")
    hierarchies = values.get("hierarchies", {})
    if not isinstance(hierarchies, Mapping):
        raise ConfigurationError(f"settings {path}: [hierarchies] must map columns to files "
                                 "or builders")
    try:
        values["hierarchies"] = {
            str(column): spec_from_toml(spec, f"hierarchies.{column}", path.parent)
            for column, spec in hierarchies.items()}
    except ConfigurationError as exc:
        raise ConfigurationError(f"settings {path}: {exc}") from None
    return values


def split_list(value: Any, name: str = "qi") -> tuple[str, ...]:
    """A list from TOML or a comma-separated string from the command line."""
    if isinstance(value, str):
        items = [item.strip() for item in value.split(",")]
    elif isinstance(value, list | tuple):
        items = [str(item).strip() for item in value]
    else:
        raise ConfigurationError(f"{name} must be a list of column names")
    return tuple(item for item in items if item)


def parse_hierarchy_options(options: list[str]) -> dict[str, HierarchySpec]:
    """``COLUMN=FILE`` or ``COLUMN=BUILDER`` pairs from ``--hierarchy``."""
    out: dict[str, HierarchySpec] = {}
    for option in options:
        column, sep, spec = option.partition("=")
        if not sep or not column.strip() or not spec.strip():
            raise ConfigurationError(
                f"--hierarchy {option!r}: expected COLUMN=FILE.csv, COLUMN=intervals:WIDTHS"
                "[:LOWER[:UPPER]], COLUMN=ordering:V1,V2,...[:GROUPS] or COLUMN=masking[:KEEP]")
        try:
            out[column.strip()] = spec_from_option(spec.strip())
        except ConfigurationError as exc:
            raise ConfigurationError(f"--hierarchy {column.strip()}: {exc}") from None
    return out


def table_job(file_values: Mapping[str, Any], cli_values: Mapping[str, Any]) -> TableJob:
    """Command-line values override the file's; qi and k must come from one of them."""
    merged: dict[str, Any] = dict(file_values)
    hierarchies = dict(merged.get("hierarchies", {}))
    for key, value in cli_values.items():
        if key == "hierarchies":
            hierarchies.update(value)
        elif value is not None:
            merged[key] = value
    if "qi" not in merged:
        raise ConfigurationError("no quasi-identifiers: pass --qi or set qi in --config")
    if "k" not in merged:
        raise ConfigurationError("no k: pass --k or set k in --config")
    qi = split_list(merged["qi"])
    sensitive = _text(merged.get("sensitive"), "sensitive")
    roles = {key: split_list(merged.get(key) or (), key) for key in ROLE_KEYS}
    # Roles first: a column given two roles is named as such, whichever two they are.
    declared_roles(qi, sensitive, _declared(**roles))
    try:
        settings = Settings(
            qi=qi,
            sensitive=sensitive,
            k=_integer(merged["k"], "k"),
            l=_number(merged.get("l"), "l"),
            l_model=one_of(merged.get("l_model", "distinct"), L_MODELS, "l-model"),
            c=_number(merged.get("c"), "c"),
            t=_number(merged.get("t"), "t"),
            t_distance=one_of(merged.get("t_distance", "auto"), T_DISTANCES, "t distance"),
            hierarchies=hierarchies,
            max_suppression=float(merged.get("max_suppression", 0.0)),
            missing=one_of(merged.get("missing", "error"), MISSING, "missing-value policy"),
            risk_threshold=float(merged.get("risk_threshold", DEFAULT_THRESHOLD)),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"invalid setting: {exc}") from None
    return TableJob(settings, **roles, cluster=_text(merged.get("cluster"), "cluster"))


def _text(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ConfigurationError(f"{name} must be text, got {type(value).__name__}")


def _integer(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigurationError(f"{name} must be an integer")
    number = float(value)
    if not number.is_integer():
        raise ConfigurationError(f"{name} must be an integer, got {value!r}")
    return int(number)


def _number(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ConfigurationError(f"{name} must be a number")
    return float(value)
