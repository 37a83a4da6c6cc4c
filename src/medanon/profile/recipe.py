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
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NoReturn, TypeVar

from medanon.errors import ConfigurationError, RecipeError
from medanon.pixels.settings import (
    DEFAULT_PIXELS,
    PixelSettings,
    PixelSettingsError,
    pixel_settings,
)
from medanon.profile.model import Action, Mode, Option
from medanon.profile.resolve import check_options

if TYPE_CHECKING:
    from pydantic import ValidationError

    from medanon.profile.privacy_section import PrivacySection
    from medanon.profile.selectors import Selector

RECIPE_FORMAT = "medanon-recipe/1"
DEFAULT_OPTIONS: tuple[Option, ...] = (Option.RETAIN_LONGITUDINAL_MODIFIED_DATES,)
TOP_LEVEL_KEYS = ("mode", "profile", "options", "allow_unchecked_burned_in", "attributes",
                  "pixels", "privacy", "report")
REPORT_KEYS = ("partition_axes",)
#: What a recipe may do to a private attribute: its VR is not known before the file is read.
PRIVATE_ACTIONS = frozenset({Action.KEEP, Action.REMOVE, Action.EMPTY})
#: Pixel Data, Float and Double Float Pixel Data: the image itself. The core streams it
#: from the source and cleans it with pixel steps; a header rule on it would be ignored.
PIXEL_DATA_TAGS = frozenset({0x7FE00010, 0x7FE00008, 0x7FE00009})
PIXEL_DATA_PROBLEM = (
    "the image's pixel data cannot be changed by an attribute rule (it would be ignored): "
    "every written file keeps its pixels; leave the files out of SRC to share no image, "
    "or allow_unchecked_burned_in = false to withhold images that may carry burned-in text")

_OPTION_ORDER = {option: index for index, option in enumerate(Option)}


def _override_problem(
    selector: Selector, action: Action, value: str | int | float | None
) -> str | None:
    """Why an override is unusable, or None. Shared by the TOML parser and the model."""
    from medanon.profile.values import action_problem, check_replacement

    if selector.tag in PIXEL_DATA_TAGS and action is not Action.KEEP:
        return PIXEL_DATA_PROBLEM
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


# --- the models -----------------------------------------------------------------------------
#
# Recipe and AttributeOverride are plain frozen classes, not pydantic models, so that the
# default recipe (every ``medanon run`` without --recipe, reruns included) does not import
# pydantic, which costs about 0.1 s. They convert as a caller would expect (a str for an
# enum, a list for a tuple, a dict for an override), compare and hash by value, cannot be
# changed, pickle, and raise medanon's own RecipeError naming the field and the problem
# for a bad value, an unknown or missing keyword, or an assignment. (A recipe *file* is
# checked by the pydantic model in :mod:`.recipe_file` and its errors name the line.)

#: One problem with one field: its kind, where (field names), the value, and details.
_ErrorDetails = dict[str, Any]

_E = TypeVar("_E", Mode, Action, Option)
_TRUE_TEXTS = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE_TEXTS = frozenset({"0", "off", "f", "false", "n", "no"})
_PROBLEMS = {
    "missing": "missing",
    "extra_forbidden": "not a field",
    "frozen_instance": "cannot be changed (the object is immutable)",
    "string_type": "expected text",
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "tuple_type": "expected a list",
}


def _validation_error(title: str, errors: list[_ErrorDetails]) -> RecipeError:
    """One RecipeError for every problem found in constructing ``title``."""
    parts = []
    for error in errors:
        where = ".".join(str(part) for part in error["loc"])
        kind, ctx = error["type"], error.get("ctx", {})
        if kind == "enum":
            problem = f"expected {ctx['expected']}"
        elif kind == "value_error":
            problem = str(ctx["error"])
        else:
            problem = _PROBLEMS.get(kind, kind.replace("_", " "))
        parts.append(f"{where}: {problem}" if where else problem)
    return RecipeError(f"{title}: " + "; ".join(parts))


def _value_error(loc: tuple[str | int, ...], message: str, value: object) -> _ErrorDetails:
    """A problem that a check of the value describes in its own words."""
    return {"type": "value_error", "loc": loc, "input": value,
            "ctx": {"error": ValueError(message)}}


class _Invalid(Exception):
    """One field's value cannot be converted; carries the problem's details."""

    def __init__(self, details: _ErrorDetails) -> None:
        super().__init__(details["type"])
        self.details = details


def _as_str(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise _Invalid({"type": "string_type", "loc": (name,), "input": value})
    return str(value)


def _as_enum(kind: type[_E], loc: tuple[str | int, ...], value: object) -> _E:
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        try:
            return kind(value)
        except ValueError:
            pass
    names = [f"'{member.value}'" for member in kind]
    expected = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
    raise _Invalid({"type": "enum", "loc": loc, "input": value, "ctx": {"expected": expected}})


def _as_bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in _TRUE_TEXTS | _FALSE_TEXTS:
        return value.lower() in _TRUE_TEXTS
    kind = "bool_parsing" if isinstance(value, str | int | float) else "bool_type"
    raise _Invalid({"type": kind, "loc": (name,), "input": value})


def _as_tuple(name: str, value: object) -> tuple[Any, ...]:
    if isinstance(value, str | bytes | bytearray | Mapping) or not isinstance(value, Iterable):
        raise _Invalid({"type": "tuple_type", "loc": (name,), "input": value})
    return tuple(value)


class _FrozenModel:
    """Immutable, compared and hashed by field values."""

    _fields: ClassVar[tuple[str, ...]]

    def _set_fields(self, values: Mapping[str, Any]) -> None:
        for name in self._fields:
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise _validation_error(
            type(self).__name__, [{"type": "frozen_instance", "loc": (name,), "input": value}]
        )

    def __delattr__(self, name: str) -> NoReturn:
        raise _validation_error(
            type(self).__name__, [{"type": "frozen_instance", "loc": (name,), "input": None}]
        )

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _FrozenModel)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({fields})"

    @classmethod
    def _check_keywords(cls, data: Mapping[str, Any]) -> None:
        extra = [name for name in data if name not in cls._fields]
        if extra:
            raise _validation_error(cls.__name__, [
                {"type": "extra_forbidden", "loc": (name,), "input": data[name]}
                for name in extra
            ])


class AttributeOverride(_FrozenModel):
    """One ``[attributes]`` entry, keyed by its canonical selector text."""

    _fields = ("key", "action", "value")

    key: str
    action: Action
    value: str | None

    if TYPE_CHECKING:
        def __init__(self, *, key: str, action: Action | str, value: str | None = None) -> None:
            ...
    else:
        def __init__(self, /, **data: Any) -> None:
            self._set_fields(self._validate(data))

    @classmethod
    def _validate(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        cls._check_keywords(data)
        errors: list[_ErrorDetails] = []
        values: dict[str, Any] = {"value": None}
        for name in ("key", "action"):
            if name not in data:
                errors.append({"type": "missing", "loc": (name,), "input": dict(data)})
        converters: dict[str, Callable[[Any], Any]] = {
            "key": lambda value: _as_str("key", value),
            "action": lambda value: _as_enum(Action, ("action",), value),
            "value": lambda value: None if value is None else _as_str("value", value),
        }
        for name, convert in converters.items():
            if name in data:
                try:
                    values[name] = convert(data[name])
                except _Invalid as exc:
                    errors.append(exc.details)
        if not errors:
            problem = cls._problem(values["key"], values["action"], values["value"])
            if problem:
                errors.append(_value_error((), problem, dict(data)))
        if errors:
            raise _validation_error(cls.__name__, errors)
        return values

    @staticmethod
    def _problem(key: str, action: Action, value: str | None) -> str | None:
        from medanon.profile.selectors import SelectorError, parse_selector

        try:
            selector = parse_selector(key)
        except SelectorError as exc:
            return f"{key}: {exc}"
        problem = _override_problem(selector, action, value)
        if problem:
            return f"{key}: {problem}"
        if selector.canonical != key:
            return f"{key}: write the key as {selector.canonical}"
        return None

    @property
    def selector(self) -> Selector:
        """The resolved key (tag, mask or private attribute)."""
        from medanon.profile.selectors import parse_selector

        return parse_selector(self.key)


class Recipe(_FrozenModel):
    """A validated recipe. Equal content (whatever the file) gives an equal :meth:`fingerprint`.

    Build one with keywords, as ``Recipe(mode=Mode.WHITELIST, options=(...))``; a keyword
    left out takes its default, and ``Recipe()`` is the default recipe. Values are checked
    here, so a Recipe in hand is always usable.
    """

    _fields = ("mode", "profile", "options", "allow_unchecked_burned_in", "attributes",
               "pixels", "source", "privacy", "report_partition_axes")

    mode: Mode
    profile: Literal["basic"]
    options: tuple[Option, ...]
    allow_unchecked_burned_in: bool
    attributes: tuple[AttributeOverride, ...]
    #: The ``[pixels]`` section: OCR, margin, fill and vendor region rules.
    pixels: PixelSettings
    #: Where the recipe came from, for messages; not part of the canonical content.
    source: str
    #: The ``[privacy]`` section (collection-level k-anonymity), or None.
    privacy: PrivacySection | None
    #: ``[report] partition_axes``: the two quasi-identifiers the run's HTML report draws
    #: the partition rectangles over (empty: the first two numeric ones). How the report
    #: looks, not what is written: not part of the canonical content.
    report_partition_axes: tuple[str, ...]

    if TYPE_CHECKING:
        def __init__(
            self, *, mode: Mode | str = Mode.BLACKLIST, profile: Literal["basic"] = "basic",
            options: Iterable[Option | str] = DEFAULT_OPTIONS,
            allow_unchecked_burned_in: bool = False,
            attributes: Iterable[AttributeOverride | Mapping[str, Any]] = (),
            pixels: PixelSettings | Mapping[str, Any] = DEFAULT_PIXELS,
            source: str = "<default>", privacy: PrivacySection | None = None,
            report_partition_axes: Iterable[str] = (),
        ) -> None:
            ...
    else:
        def __init__(self, /, **data: Any) -> None:
            self._set_fields(self._validate(data))

    @classmethod
    def _validate(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults as given (they are canonical), every given value converted and checked."""
        cls._check_keywords(data)
        values: dict[str, Any] = {
            "mode": Mode.BLACKLIST, "profile": "basic", "options": DEFAULT_OPTIONS,
            "allow_unchecked_burned_in": False, "attributes": (), "pixels": DEFAULT_PIXELS,
            "source": "<default>", "privacy": None, "report_partition_axes": (),
        }
        converters: dict[str, Callable[[Any], Any]] = {
            "mode": lambda value: _as_enum(Mode, ("mode",), value),
            "profile": _profile,
            "options": _options,
            "allow_unchecked_burned_in": lambda value: _as_bool("allow_unchecked_burned_in",
                                                                value),
            "attributes": _attributes,
            "pixels": _pixels,
            "source": lambda value: _as_str("source", value),
            "privacy": _privacy,
            "report_partition_axes": _axes,
        }
        errors: list[_ErrorDetails] = []
        for name, value in data.items():
            try:
                values[name] = converters[name](value)
            except _Invalid as exc:
                errors.append(exc.details)
        if errors:
            raise _validation_error(cls.__name__, errors)
        return values

    @property
    def option_set(self) -> frozenset[Option]:
        """The chosen options as a set."""
        return frozenset(self.options)

    def canonical(self) -> dict[str, Any]:
        """The content that defines the recipe, as plain JSON-ready data (no source path).

        A recipe without a privacy section has no ``privacy`` key, so its fingerprint is
        the one it had before privacy sections existed; so does the default
        ``[pixels]`` section. The ``[report]`` section is left out: it changes how the
        report looks, not one byte of the output.
        """
        content: dict[str, Any] = {
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
        if self.privacy is not None:
            content["privacy"] = self.privacy.canonical()
        if self.pixels != DEFAULT_PIXELS:
            content["pixels"] = self.pixels.canonical()
        return content

    def fingerprint(self) -> str:
        """SHA-256 (hex) of the canonical JSON: a rerun compares it to detect a changed recipe."""
        text = json.dumps(
            self.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _axes(value: object) -> tuple[str, ...]:
    names = _as_tuple("report_partition_axes", value)
    if not all(isinstance(name, str) for name in names):
        raise _Invalid({"type": "string_type", "loc": ("report_partition_axes",),
                        "input": value})
    return names


def _privacy(value: object) -> PrivacySection | None:
    from medanon.profile.privacy_section import PrivacySection

    if value is not None and not isinstance(value, PrivacySection):
        raise _Invalid({"type": "model_type", "loc": ("privacy",), "input": value,
                        "ctx": {"class_name": "PrivacySection"}})
    return value


def _pixels(value: object) -> PixelSettings:
    if isinstance(value, PixelSettings):
        return value
    if not isinstance(value, Mapping):
        raise _Invalid({"type": "model_type", "loc": ("pixels",), "input": value,
                        "ctx": {"class_name": "PixelSettings"}})
    try:
        return pixel_settings(value)
    except PixelSettingsError as exc:
        raise _Invalid(_value_error(("pixels", *exc.path), str(exc), value)) from None


def _profile(value: object) -> Literal["basic"]:
    if value != "basic" or not isinstance(value, str):
        raise _Invalid({"type": "literal_error", "loc": ("profile",), "input": value,
                        "ctx": {"expected": "'basic'"}})
    return "basic"


def _options(value: object) -> tuple[Option, ...]:
    """The options, checked for contradictions and put in :class:`Option` order."""
    options = tuple(
        _as_enum(Option, ("options", index), item)
        for index, item in enumerate(_as_tuple("options", value))
    )
    try:
        chosen = check_options(options)
    except ConfigurationError as exc:
        raise _Invalid(_value_error(("options",), str(exc), value)) from None
    return tuple(sorted(chosen, key=_OPTION_ORDER.__getitem__))


def _attributes(value: object) -> tuple[AttributeOverride, ...]:
    """The overrides (dicts are turned into overrides), unique and sorted by key."""
    attributes: list[AttributeOverride] = []
    for index, item in enumerate(_as_tuple("attributes", value)):
        if isinstance(item, AttributeOverride):
            attributes.append(item)
        elif isinstance(item, Mapping):
            attributes.append(AttributeOverride(**item))
        else:
            raise _Invalid({"type": "model_type", "loc": ("attributes", index), "input": item,
                            "ctx": {"class_name": "AttributeOverride"}})
    keys = [override.key for override in attributes]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise _Invalid(_value_error(
            ("attributes",), f"attributes given more than once: {', '.join(duplicates)}", value
        ))
    return tuple(sorted(attributes, key=lambda override: override.key))


class _Parser:
    """Checks one recipe text, turning each problem into a RecipeError with its line."""

    def __init__(self, text: str, source: str, *, folder_known: bool = False) -> None:
        # Overrides and recipe text need these; the default recipe (every plain
        # ``medanon run``, reruns included) does not, and does not load them.
        from medanon.profile.toml_lines import LineLocator

        self.text = text
        self.source = source
        self.folder_known = folder_known
        self.lines = LineLocator(text)

    def error(self, line: int, message: str) -> RecipeError:
        return RecipeError(f"{self.source}, line {line}: {message}")

    def at(self, path: tuple[str, ...], message: str) -> RecipeError:
        return self.error(self.lines.line_of(path), message)

    def parse(self) -> Recipe:
        import tomllib

        from pydantic import ValidationError  # a file to check: only now is pydantic needed

        from medanon.profile.recipe_file import RecipeFile

        try:
            data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            raise self._syntax_error(str(exc)) from None
        privacy_table = data.pop("privacy", None)
        try:
            document = RecipeFile.model_validate(data)
        except ValidationError as exc:
            raise self._document_error(exc) from None
        options = self._options(document.options)
        attributes = self._overrides(document.attributes)
        privacy = None if privacy_table is None else self._privacy(privacy_table, options,
                                                                   attributes)
        return Recipe(
            mode=document.mode,
            profile=document.profile,
            options=options,
            allow_unchecked_burned_in=document.allow_unchecked_burned_in,
            attributes=attributes,
            pixels=self._pixels(document.pixels),
            source=self.source,
            privacy=privacy,
            report_partition_axes=self._report(document.report, privacy),
        )

    def _report(self, section: dict[str, Any] | None, privacy: PrivacySection | None
                ) -> tuple[str, ...]:
        """``[report] partition_axes``: two of the ``[privacy]`` quasi-identifiers."""
        if section is None:
            return ()
        unknown = sorted(set(section) - set(REPORT_KEYS))
        if unknown:
            raise self.at(("report", unknown[0]), f"report: unknown key {unknown[0]!r}; "
                                                  f"valid keys: {', '.join(REPORT_KEYS)}")
        names = section.get("partition_axes")
        path = ("report", "partition_axes")
        if names is None:
            return ()
        if not isinstance(names, list) or len(names) != 2 or names[0] == names[1] or \
                not all(isinstance(name, str) for name in names):
            raise self.at(path, "report.partition_axes: expected two different "
                                "quasi-identifiers, e.g. [\"age\", \"PatientWeight\"]")
        if privacy is None:
            raise self.at(path, "report.partition_axes: the rectangles are drawn for a "
                                "privacy release: the recipe needs a [privacy] section")
        valid = privacy.quasi_identifiers
        wrong = [name for name in names if name not in valid]
        if wrong:
            raise self.at(path, f"report.partition_axes: {', '.join(map(repr, wrong))} "
                                f"{'is' if len(wrong) == 1 else 'are'} not a "
                                "quasi-identifier of the [privacy] section; its "
                                f"quasi-identifiers: {', '.join(valid)}")
        return tuple(names)

    def _privacy(self, table: object, options: tuple[Option, ...],
                 attributes: tuple[AttributeOverride, ...]) -> PrivacySection:
        """The ``[privacy]`` section, checked alone and then against the rest of the recipe."""
        from medanon.profile.privacy_section import conflicts, parse_privacy

        folder = Path(self.source).parent if self.folder_known else None
        section = parse_privacy(table, folder, self.at)
        overridden = {override.selector.keyword: override.key for override in attributes
                      if override.selector.keyword}
        conflict = conflicts(section, frozenset(options), overridden)
        if conflict is not None:
            raise self.at(*conflict)
        return section

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
        elif key == "pixels":
            message = "pixels: expected a table, e.g. [pixels] ocr = \"likely\""
        elif key == "report":
            message = "report: expected a table, e.g. [report] partition_axes = [\"age\", " \
                      "\"PatientWeight\"]"
        elif key == "attributes":
            message = "attributes: expected a table, e.g. [attributes] PatientAge = \"keep\""
        else:
            message = f"{'.'.join(loc)}: {first['msg']}"
        return self.at(loc[:1], message)

    def _pixels(self, section: dict[str, Any] | None) -> PixelSettings:
        if section is None:
            return DEFAULT_PIXELS
        try:
            return pixel_settings(section)
        except PixelSettingsError as exc:
            path = ("pixels", *(str(part) for part in exc.path if isinstance(part, str)))
            raise self.at(path, str(exc)) from None

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
        from medanon.profile.selectors import SelectorError, parse_selector
        from medanon.profile.values import check_replacement

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


def parse_recipe(text: str, source: str = "<string>", *, folder_known: bool = False
                 ) -> Recipe:
    """Parse and validate recipe text; ``source`` names it in error messages.

    With ``folder_known``, ``source`` is the recipe's path and relative hierarchy files of
    a ``[privacy]`` section are found beside it (else in the working folder).
    """
    return _Parser(text, source, folder_known=folder_known).parse()


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
    return parse_recipe(text, source=str(location), folder_known=True)


def default_recipe() -> Recipe:
    """The Basic Profile with retain-longitudinal-modified-dates, blacklist mode, no overrides."""
    return Recipe()
