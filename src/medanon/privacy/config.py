"""Settings of ``medanon table`` from a TOML file, overridden by command-line options.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medanon.errors import ConfigurationError
from medanon.privacy.builders import HierarchySpec, spec_from_option, spec_from_toml
from medanon.privacy.metrics.risk import DEFAULT_THRESHOLD

KEYS = {
    "qi", "sensitive", "k", "l", "l_model", "c", "t", "t_distance", "hierarchies",
    "max_suppression", "missing", "risk_threshold", "cluster", "insensitive", "identifying",
    "pseudonymise",
}
ROLE_KEYS = ("insensitive", "identifying", "pseudonymise")


@dataclass(frozen=True)
class TableConfig:
    """Resolved settings of one ``medanon table`` run."""

    qi: tuple[str, ...]
    sensitive: str | None
    k: int
    l: float | None = None  # noqa: E741 - the name of the model
    l_model: str = "distinct"
    c: float | None = None
    t: float | None = None
    t_distance: str = "auto"
    hierarchies: dict[str, HierarchySpec] = field(default_factory=dict)
    max_suppression: float = 0.0
    missing: str = "error"
    risk_threshold: float = DEFAULT_THRESHOLD
    cluster: str | None = None
    insensitive: tuple[str, ...] = ()
    identifying: tuple[str, ...] = ()
    pseudonymise: tuple[str, ...] = ()


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


def resolve(file_values: Mapping[str, Any], cli_values: Mapping[str, Any]) -> TableConfig:
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
    try:
        return TableConfig(
            qi=split_list(merged["qi"]),
            sensitive=merged.get("sensitive"),
            k=_integer(merged["k"], "k"),
            l=_number(merged.get("l"), "l"),
            l_model=str(merged.get("l_model", "distinct")),
            c=_number(merged.get("c"), "c"),
            t=_number(merged.get("t"), "t"),
            t_distance=str(merged.get("t_distance", "auto")),
            hierarchies=hierarchies,
            max_suppression=float(merged.get("max_suppression", 0.0)),
            missing=str(merged.get("missing", "error")),
            risk_threshold=float(merged.get("risk_threshold", DEFAULT_THRESHOLD)),
            cluster=merged.get("cluster"),
            **{key: split_list(merged.get(key) or (), key) for key in ROLE_KEYS},
        )
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"invalid setting: {exc}") from None


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
