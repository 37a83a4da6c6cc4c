"""``medanon profiles``: what the built-in profile and its options do, attribute by attribute.

``medanon profiles`` lists the profile and the options; ``medanon profiles show
[OPTION ...]`` prints every row of PS3.15 Table E.1-1 with its Basic Profile
code and the action medanon resolves under those options (``--recipe FILE``
resolves a whole recipe instead, overrides included). A rich table on a
terminal, plain aligned text otherwise, so the output can be diffed or grepped.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from pydicom import datadict
from rich.console import Console
from rich.table import Table

from medanon.errors import ConfigurationError
from medanon.profile.model import Action, Mode, Option, Rule, Ruleset
from medanon.profile.recipe import Recipe, default_recipe, load_recipe
from medanon.profile.resolve import OPTION_SUMMARIES, parse_options, resolve
from medanon.profile.ruleset import build_ruleset
from medanon.profile.selectors import pattern_text
from medanon.profile.table import TableEntry, load_safe_private, load_table

HEADERS = ("Tag", "Attribute", "Basic", "Action", "Origin")

profiles_app = typer.Typer(
    help="Show the PS3.15 profile, its options and what each does to every attribute.",
    no_args_is_help=False,
    add_completion=False,
)


def _fail(message: str) -> typer.Exit:
    from medanon.cli.main import fail  # main imports this module lazily; no cycle at import

    return fail(message)


def _changed_by(option: Option) -> int:
    """How many Table E.1-1 rows the option alone gives a different action."""
    count = 0
    for entry in load_table():
        if entry.kind == "private":
            continue
        if resolve(entry, {option}).action is not resolve(entry, ()).action:
            count += 1
    return count


def _is_terminal() -> bool:
    """Rich tables for people at a terminal; plain text for pipes, files and tests."""
    return sys.stdout.isatty()


def _print_table(rows: Sequence[Sequence[str]], title: str | None = None) -> None:
    if _is_terminal():
        table = Table(*HEADERS, title=title)
        for row in rows:
            table.add_row(*row)
        Console().print(table)
        return
    if title:
        typer.echo(title)
    widths = [max(len(HEADERS[i]), *(len(row[i]) for row in rows)) for i in range(len(HEADERS))]
    for row in (HEADERS, *rows):
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        typer.echo("  ".join(cells).rstrip())


@profiles_app.callback(invoke_without_command=True)
def profiles(ctx: typer.Context) -> None:
    """List the built-in profile and its options (name, meaning, attributes changed)."""
    if ctx.invoked_subcommand is not None:
        return
    rows = [entry for entry in load_table() if entry.kind != "private"]
    typer.echo("Profile:")
    typer.echo(
        f"  basic  PS3.15 Basic Application Level Confidentiality Profile "
        f"(Table E.1-1: {len(rows)} attributes and the private-attributes row)"
    )
    typer.echo("")
    typer.echo("Options (for 'medanon profiles show OPTION ...' and a recipe's options = [...]):")
    width = max(len(option.value) for option in Option)
    for option in Option:
        if option is Option.RETAIN_SAFE_PRIVATE:
            changes = f"{len(load_safe_private())} private attributes"
        else:
            changes = f"{_changed_by(option)} attributes"
        typer.echo(f"  {option.value.ljust(width)}  {OPTION_SUMMARIES[option]} ({changes})")
    recipe = default_recipe()
    typer.echo("")
    typer.echo(
        f"Default recipe: basic + {', '.join(o.value for o in recipe.options)}, "
        f"{recipe.mode.value} mode."
    )


def _origin(rule: Rule | None) -> tuple[str, str]:
    if rule is None:
        return "(none)", ""
    shown = rule.action.value if rule.value is None else f"{rule.action.value} {rule.value!r}"
    return shown, rule.origin


def _table_rows(ruleset: Ruleset | None, options: frozenset[Option]) -> list[list[str]]:
    rows: list[list[str]] = []
    for entry in load_table():
        rule = _rule_for_entry(entry, ruleset, options)
        action, origin = _origin(rule)
        tag_text, label = entry.tag_text, entry.label
        if entry.kind == "private":
            action, origin = _private_summary(ruleset, options)
            tag_text, label = "(gggg,eeee)", f"{entry.name} (odd group gggg)"
        rows.append([tag_text, label, entry.basic, action, origin])
    return rows


def _rule_for_entry(
    entry: TableEntry, ruleset: Ruleset | None, options: frozenset[Option]
) -> Rule | None:
    if ruleset is None or entry.kind == "private":
        return resolve(entry, options)
    probe = entry.tag if entry.kind == "tag" else entry.mask_value
    assert probe is not None
    return ruleset.rule_for(probe)


def _private_summary(ruleset: Ruleset | None, options: frozenset[Option]) -> tuple[str, str]:
    """The private row: removed, except the private attributes the rules name."""
    if ruleset is not None:
        count = sum(1 for rule in ruleset.private.values() if rule.action is not Action.REMOVE)
    elif Option.RETAIN_SAFE_PRIVATE in options:
        count = len(load_safe_private())
    else:
        count = 0
    if count == 0:
        return "remove", "basic:X"
    return "remove", f"basic:X, except {count} named private attributes (creator + element)"


def _extra_rows(ruleset: Ruleset) -> list[list[str]]:
    """Rules the recipe or the whitelist adds for attributes Table E.1-1 does not list."""
    table_tags = {entry.tag for entry in load_table() if entry.tag is not None}
    table_masks = {(e.mask, e.mask_value) for e in load_table() if e.kind == "mask"}
    rows: list[list[str]] = []
    for tag, rule in sorted(ruleset.exact.items()):
        if tag in table_tags:
            continue
        keyword = datadict.keyword_for_tag(tag) or "(unknown)"
        rows.append([f"({tag >> 16:04X},{tag & 0xFFFF:04X})", keyword, "", *_origin(rule)])
    for mask_rule in ruleset.masks:
        if (mask_rule.mask, mask_rule.value) in table_masks:
            continue
        pattern = pattern_text(mask_rule.mask, mask_rule.value)
        rows.append([pattern, "(pattern)", "", *_origin(mask_rule.rule)])
    for key, rule in sorted(
        ruleset.private.items(), key=lambda item: (item[0].group, item[0].creator, item[0].element)
    ):
        if rule.origin.startswith("option:"):
            continue
        rows.append([f"({key.group:04X},xx{key.element:02X})", key.creator, "", *_origin(rule)])
    return rows


@profiles_app.command("show")
def show(
    options: Annotated[
        list[str] | None,
        typer.Argument(help="Options to resolve under, e.g. retain-uids clean-descriptors."),
    ] = None,
    recipe: Annotated[
        Path | None,
        typer.Option("--recipe", "-r", help="Resolve this recipe file instead of options."),
    ] = None,
) -> None:
    """Print every attribute of Table E.1-1: tag, name, Basic Profile code, resolved action."""
    names = list(options or [])
    try:
        if recipe is not None and names:
            raise ConfigurationError("give either options or --recipe, not both")
        chosen: Recipe | None = load_recipe(recipe) if recipe is not None else None
        selected = chosen.option_set if chosen is not None else parse_options(names)
        ruleset = build_ruleset(chosen) if chosen is not None else None
    except ConfigurationError as exc:
        raise _fail(str(exc)) from None
    if chosen is not None:
        title = (
            f"Recipe {chosen.source}: {chosen.mode.value} mode, options: "
            f"{', '.join(o.value for o in chosen.options) or '(none)'}"
        )
    else:
        shown = ", ".join(o.value for o in Option if o in selected) or "(none)"
        title = f"Basic Profile, options: {shown}"
    _print_table(_table_rows(ruleset, selected), title=title)
    if ruleset is not None:
        extra = _extra_rows(ruleset)
        if extra:
            typer.echo("")
            _print_table(extra, title="Not in Table E.1-1 (recipe overrides, whitelist structural)")
        if ruleset.mode is Mode.WHITELIST:
            typer.echo("Whitelist: every other public attribute is removed and reported.")


def register(app: typer.Typer) -> None:
    """Add the ``profiles`` command group to ``app``."""
    app.add_typer(profiles_app, name="profiles")
