"""What every column of a table is, as ARX asks: the user says, medanon checks.

ARX's four attribute types: quasi-identifying (generalised), sensitive (kept, protected
by l-diversity and t-closeness), insensitive (kept as read) and identifying (removed,
or here also replaced by a keyed pseudonym so tables stay joinable). A column the user
left out is kept with a warning, unless its name or values look like a direct
identifier: keeping a record number by omission would undo the whole anonymisation,
so that needs an explicit choice. Messages name columns, never values.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from medanon.errors import ConfigurationError, InputError
from medanon.privacy.columns import identifier_values, is_identifier_name

#: Rows looked at to judge a column's values (enough for a shape, cheap on any table).
SAMPLE_ROWS = 2000


class Role(enum.Enum):
    """ARX's attribute types, with identifying split into removed and pseudonymised."""

    QUASI_IDENTIFIER = "quasi-identifier"
    SENSITIVE = "sensitive"
    INSENSITIVE = "insensitive"
    IDENTIFYING = "identifying"  # removed from the output
    PSEUDONYMISED = "pseudonymised"  # identifying, replaced by a keyed pseudonym


#: The roles a user declares, by the key that declares them: ``medanon table``'s options
#: and TOML keys, and a recipe's ``[privacy]`` keys for its clinical table.
DECLARED_ROLES = {"insensitive": Role.INSENSITIVE, "identifying": Role.IDENTIFYING,
                  "pseudonymise": Role.PSEUDONYMISED}


def option_advice(name: str) -> str:
    """How to give ``name`` a role on ``medanon table``'s command line."""
    return (f"--identifying {name} (removed), --pseudonymise {name} (keyed pseudonym) or "
            f"--insensitive {name} (kept)")


@dataclass(frozen=True)
class ColumnRoles:
    """Each column's role, and the columns nobody classified (kept as read)."""

    roles: Mapping[str, Role]
    unclassified: tuple[str, ...]

    def named(self, role: Role) -> list[str]:
        """The columns of ``role``, in table order."""
        return [name for name, r in self.roles.items() if r is role]

    def as_dict(self) -> dict[str, str]:
        """Column -> role (unclassified ones as ``"insensitive (unclassified)"``)."""
        out = {name: role.value for name, role in self.roles.items()}
        out.update({name: "insensitive (unclassified)" for name in self.unclassified})
        return out


def declared_roles(qi: Sequence[str], sensitive: str | None,
                   declared: Mapping[Role, Iterable[str]]) -> dict[str, Role]:
    """The role of every column named, in order; refuses a column given two roles.

    Needs no table, so settings are checked before anything is read.
    """
    chosen: dict[str, Role] = {}
    lists: list[tuple[Role, Iterable[str]]] = [
        (Role.QUASI_IDENTIFIER, qi), (Role.SENSITIVE, [sensitive] if sensitive else []),
        *declared.items()]
    for role, names in lists:
        for name in names:
            if name in chosen and chosen[name] is not role:
                raise ConfigurationError(
                    f"column {name!r} is both {chosen[name].value} and {role.value}; "
                    "give each column one role")
            chosen[name] = role
    return chosen


def classify(table: pa.Table, qi: Sequence[str], sensitive: str | None,
             declared: Mapping[Role, Iterable[str]],
             advice: Callable[[str], str] = option_advice) -> ColumnRoles:
    """Every column's role; refuses overlaps, unknown columns and identifiers kept silently.

    ``declared`` holds the insensitive, identifying and pseudonymised columns; ``advice``
    says how to declare a column's role where the settings come from (options, a recipe).

    Raises
    ------
    ConfigurationError
        A column given two roles, or a column that looks like a direct identifier and
        was not classified.
    InputError
        A classified column is not in the table.
    """
    chosen = declared_roles(qi, sensitive, declared)
    for name in chosen:
        if name not in table.column_names:
            raise InputError(f"column {name!r} is not in the table (columns: "
                             f"{', '.join(table.column_names)})")
    left = [name for name in table.column_names if name not in chosen]
    for name in left:
        reason = looks_identifying(name, table.column(name))
        if reason is not None:
            raise ConfigurationError(
                f"column {name!r} looks like a direct identifier ({reason}) and was not "
                f"classified; say what it is: {advice(name)}")
    roles = {name: chosen[name] for name in table.column_names if name in chosen}
    return ColumnRoles(roles, tuple(left))


def looks_identifying(name: str, column: pa.ChunkedArray) -> str | None:
    """Why a column looks like a direct identifier (its name, or its values), or None."""
    if is_identifier_name(name):
        return "its name"
    kind = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return None
    sample = column.slice(0, SAMPLE_ROWS)
    if pa.types.is_dictionary(column.type):
        sample = sample.cast(kind)
    texts = [v for v in pc.utf8_trim_whitespace(sample).to_pylist() if v]
    reason = identifier_values(texts)
    return None if reason is None else f"its values are {reason}"


def apply_roles(published: pa.Table, roles: ColumnRoles,
                pseudonym: Callable[[str], str] | None) -> pa.Table:
    """Drop identifying columns and replace pseudonymised ones, value by value.

    ``pseudonym`` maps a value's text to its keyed pseudonym; empty values stay empty.
    """
    removed = set(roles.named(Role.IDENTIFYING))
    replaced = set(roles.named(Role.PSEUDONYMISED))
    if replaced and pseudonym is None:
        raise ConfigurationError("pseudonymised columns need a key")
    columns, names = [], []
    for name in published.column_names:
        if name in removed:
            continue
        column = published.column(name)
        if name in replaced and pseudonym is not None:
            texts = column.cast(pa.string()) if not pa.types.is_string(column.type) else column
            column = pa.chunked_array(
                [pa.array([None if v is None or not v.strip() else pseudonym(v.strip())
                           for v in texts.to_pylist()], pa.string())])
        columns.append(column)
        names.append(name)
    return pa.table(columns, names=names)
