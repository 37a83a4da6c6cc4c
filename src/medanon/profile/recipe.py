"""Recipes: a TOML file choosing the mode, the options and per-attribute overrides.

::

    mode = "blacklist"                 # or "whitelist"
    profile = "basic"                  # the only base profile for now
    options = ["retain-longitudinal-modified-dates", "clean-descriptors"]
    allow_unchecked_burned_in = false
    [attributes]
    PatientAge = "keep"
    "(0010,1010)" = "keep"
    StudyDescription = { action = "replace", value = "CT CHEST" }
    "(0019,xx23)@GEMS_ACQU_01" = "keep"

A key left out takes its default: blacklist, basic, the default options
(retain-longitudinal-modified-dates), false, no overrides. So an empty file is
the default recipe, and ``options = []`` is the plain Basic Profile.

Every problem is one :class:`~medanon.errors.RecipeError` naming the file, the
line and the key or value at fault. ``tomllib`` keeps no positions, so lines are
found by scanning the text (:mod:`medanon.profile.toml_lines`).
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from medanon.errors import ConfigurationError, RecipeError
from medanon.profile.model import Action, Mode, Option
from medanon.profile.resolve import check_options
from medanon.profile.selectors import Selector, SelectorError, parse_selector
from medanon.profile.toml_lines import LineLocator
from medanon.profile.values import action_problem, check_replacement

RECIPE_FORMAT = "medanon-recipe/1"
DEFAULT_OPTIONS: tuple[Option, ...] = (Option.RETAIN_LONGITUDINAL_MODIFIED_DATES,)
TOP_LEVEL_KEYS = ("mode", "profile", "options", "allow_unchecked_burned_in", "attributes")
#: What a recipe may do to a private attribute: its VR is not known before the file is read.
PRIVATE_ACTIONS = frozenset({Action.KEEP, Action.REMOVE, Action.EMPTY})

_OPTION_ORDER = {option: index for index, option in enumerate(Option)}


def _override_problem(
    selector: Selector, action: Action, value: str | int | float | None
) -> str | None:
    """Why an override is unusable, or None. Shared by the TOML parser and the model."""
    if selector.kind == "private" and action not in PRIVATE_ACTIONS:
        return "a private attribute can only be kept, removed or emptied"
    if selector.kind != "private":
        problem = action_problem(action, selector.vr)
        if problem:
            return problem
    if action is Action.REPLACE:
        if value is None:
            return "action replace needs a value: { action = \"replace\", value = \"...\" }"
        try:
            check_replacement(selector.vr, selector.vm, value)
        except ValueError as exc:
            joiner = " is " if str(exc).startswith("invalid") else ": "
            return f"value {value!r}{joiner}{exc}"
    elif value is not None:
        return "a value is only used with action replace"
    return None


class AttributeOverride(BaseModel):
    """One ``[attributes]`` entry, keyed by its canonical selector text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    action: Action
    value: str | None = None

    @property
    def selector(self) -> Selector:
        """The resolved key (tag, mask or private attribute)."""
        return parse_selector(self.key)

    @model_validator(mode="after")
    def _check(self) -> AttributeOverride:
        try:
            selector = parse_selector(self.key)
        except SelectorError as exc:
            raise ValueError(f"{self.key}: {exc}") from None
        problem = _override_problem(selector, self.action, self.value)
        if problem:
            raise ValueError(f"{self.key}: {problem}")
        if selector.canonical != self.key:
            raise ValueError(f"{self.key}: write the key as {selector.canonical}")
        return self


class Recipe(BaseModel):
    """A validated recipe. Equal content (whatever the file) gives an equal :meth:`fingerprint`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Mode = Mode.BLACKLIST
    profile: Literal["basic"] = "basic"
    options: tuple[Option, ...] = DEFAULT_OPTIONS
    allow_unchecked_burned_in: bool = False
    attributes: tuple[AttributeOverride, ...] = ()
    source: str = Field(default="<default>", exclude=True)

    @field_validator("options")
    @classmethod
    def _canonical_options(cls, options: tuple[Option, ...]) -> tuple[Option, ...]:
        try:
            chosen = check_options(options)
        except ConfigurationError as exc:
            raise ValueError(str(exc)) from None
        return tuple(sorted(chosen, key=_OPTION_ORDER.__getitem__))

    @field_validator("attributes")
    @classmethod
    def _unique_sorted(
        cls, attributes: tuple[AttributeOverride, ...]
    ) -> tuple[AttributeOverride, ...]:
        keys = [override.key for override in attributes]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise ValueError(f"attributes given more than once: {', '.join(duplicates)}")
        return tuple(sorted(attributes, key=lambda override: override.key))

    @property
    def option_set(self) -> frozenset[Option]:
        """The chosen options as a set."""
        return frozenset(self.options)

    def canonical(self) -> dict[str, Any]:
        """The content that defines the recipe, as plain JSON-ready data (no source path)."""
        return {
            "format": RECIPE_FORMAT,
            "mode": self.mode.value,
            "profile": self.profile,
            "options": [option.value for option in self.options],
            "allow_unchecked_burned_in": self.allow_unchecked_burned_in,
            "attributes": [
                {"key": item.key, "action": item.action.value, "value": item.value}
                for item in self.attributes
            ],
        }

    def fingerprint(self) -> str:
        """SHA-256 (hex) of the canonical JSON: a rerun compares it to detect a changed recipe."""
        text = json.dumps(
            self.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _RecipeFile(BaseModel):
    """The top level of a recipe file, before the per-attribute checks."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode = Mode.BLACKLIST
    profile: Literal["basic"] = "basic"
    options: list[StrictStr] | None = None
    allow_unchecked_burned_in: StrictBool = False
    attributes: dict[str, Any] = Field(default_factory=dict)


class _Parser:
    """Checks one recipe text, turning each problem into a RecipeError with its line."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.lines = LineLocator(text)

    def error(self, line: int, message: str) -> RecipeError:
        return RecipeError(f"{self.source}, line {line}: {message}")

    def at(self, path: tuple[str, ...], message: str) -> RecipeError:
        return self.error(self.lines.line_of(path), message)

    def parse(self) -> Recipe:
        try:
            data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            raise self._syntax_error(str(exc)) from None
        try:
            document = _RecipeFile.model_validate(data)
        except ValidationError as exc:
            raise self._document_error(exc) from None
        options = self._options(document.options)
        attributes = self._overrides(document.attributes)
        return Recipe(
            mode=document.mode,
            profile=document.profile,
            options=options,
            allow_unchecked_burned_in=document.allow_unchecked_burned_in,
            attributes=attributes,
            source=self.source,
        )

    def _syntax_error(self, message: str) -> RecipeError:
        match = re.search(r"at line (\d+)", message)
        line = int(match.group(1)) if match else max(1, len(self.lines.lines))
        reason = re.sub(r"\s*\(at [^)]*\)\s*$", "", message)
        return self.error(line, f"TOML syntax error: {reason}")

    def _document_error(self, exc: ValidationError) -> RecipeError:
        first = exc.errors()[0]
        loc = tuple(str(part) for part in first["loc"])
        kind = first["type"]
        key = loc[0] if loc else ""
        if kind == "extra_forbidden":
            message = f"unknown key {key!r}; valid keys: {', '.join(TOP_LEVEL_KEYS)}"
        elif key == "mode":
            message = f"mode: {first['input']!r} is not a mode; use \"blacklist\" or \"whitelist\""
        elif key == "profile":
            message = f"profile: {first['input']!r} is not a profile; the only profile is \"basic\""
        elif key == "options":
            message = "options: expected a list of option names, e.g. [\"retain-uids\"]"
        elif key == "allow_unchecked_burned_in":
            message = "allow_unchecked_burned_in: expected true or false"
        elif key == "attributes":
            message = "attributes: expected a table, e.g. [attributes] PatientAge = \"keep\""
        else:
            message = f"{'.'.join(loc)}: {first['msg']}"
        return self.at(loc[:1], message)

    def _options(self, names: list[str] | None) -> tuple[Option, ...]:
        if names is None:
            return DEFAULT_OPTIONS
        valid = [option.value for option in Option]
        chosen: list[Option] = []
        for index, name in enumerate(names):
            line = self.lines.line_of_value(("options",), name, names[: index + 1].count(name))
            if name not in valid:
                raise self.error(
                    line, f"options: unknown option {name!r}; valid options: {', '.join(valid)}"
                )
            if Option(name) in chosen:
                raise self.error(line, f"options: {name!r} is listed twice")
            chosen.append(Option(name))
        try:
            check_options(chosen)
        except ConfigurationError as exc:
            raise self.at(("options",), f"options: {exc}") from None
        return tuple(chosen)

    def _overrides(self, table: Mapping[str, Any]) -> tuple[AttributeOverride, ...]:
        seen: dict[str, str] = {}
        return tuple(self._override(key, spec, seen) for key, spec in table.items())

    def _override(self, key: str, spec: Any, seen: dict[str, str]) -> AttributeOverride:
        path = ("attributes", key)
        bare = re.fullmatch(r"[A-Za-z0-9_-]+", key)
        name = f"attributes.{key}" if bare else f'attributes."{key}"'
        if isinstance(spec, str):
            action_text, value = spec, None
        elif isinstance(spec, dict):
            unknown = sorted(set(spec) - {"action", "value"})
            if unknown:
                raise self.at(
                    path + (unknown[0],),
                    f"{name}: unknown key {unknown[0]!r}; use action and value",
                )
            if "action" not in spec:
                raise self.at(path, f"{name}: no action given")
            action_text, value = spec["action"], spec.get("value")
            number_or_text = isinstance(value, str | int | float) and not isinstance(value, bool)
            if value is not None and not number_or_text:
                raise self.at(path + ("value",), f"{name}: value must be a string or a number")
        else:
            raise self.at(
                path, f"{name}: expected an action name or {{ action = ..., value = ... }}"
            )
        actions = [action.value for action in Action]
        if not isinstance(action_text, str) or action_text not in actions:
            raise self.at(
                path + ("action",),
                f"{name}: unknown action {action_text!r}; valid actions: {', '.join(actions)}",
            )
        action = Action(action_text)
        try:
            selector = parse_selector(key)
        except SelectorError as exc:
            raise self.at(path, f"{name}: {exc}") from None
        if selector.canonical in seen:
            other = seen[selector.canonical]
            raise self.at(
                path,
                f"{name}: the same attribute as {other!r} "
                f"(line {self.lines.line_of(('attributes', other))})",
            )
        seen[selector.canonical] = key
        problem = _override_problem(selector, action, value)
        if problem:
            where = path + ("value",) if action is Action.REPLACE else path
            raise self.at(where, f"{name}: {problem}")
        text_value = None if value is None else check_replacement(selector.vr, selector.vm, value)
        return AttributeOverride(key=selector.canonical, action=action, value=text_value)


def parse_recipe(text: str, source: str = "<string>") -> Recipe:
    """Parse and validate recipe text; ``source`` names it in error messages."""
    return _Parser(text, source).parse()


def load_recipe(path: Path | str) -> Recipe:
    """Read, parse and validate a recipe file."""
    location = Path(path)
    try:
        raw = location.read_bytes()
    except OSError as exc:
        raise RecipeError(f"{location}: cannot read the recipe: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RecipeError(f"{location}, line {line}: the recipe is not UTF-8 text") from None
    return parse_recipe(text, source=str(location))


def default_recipe() -> Recipe:
    """The Basic Profile with retain-longitudinal-modified-dates, blacklist mode, no overrides."""
    return Recipe()
