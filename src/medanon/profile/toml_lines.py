"""Find the line of a key or value in TOML text.

``tomllib`` returns plain dicts without positions, yet every recipe error must
name its line. This scanner reads the text the simple way a person does:
table headers (``[attributes]``) set the current table, ``key = ...`` lines
define keys (bare, quoted or dotted), and multi-line strings are skipped so
their contents never look like keys. It only has to be right for documents
``tomllib`` has already accepted, and falls back to the nearest enclosing key.
"""

from __future__ import annotations

import json
import re

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _unescape(raw: str) -> str:
    """Undo the escapes of a TOML basic string (JSON's escapes are a subset of them)."""
    try:
        value = json.loads(f'"{raw}"')
    except ValueError:
        return raw
    return value if isinstance(value, str) else raw


def _read_key(text: str, pos: int) -> tuple[list[str], int] | None:
    """Parse a (possibly dotted) key starting at ``pos``; return its parts and the end position."""
    parts: list[str] = []
    while True:
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos >= len(text):
            return None
        char = text[pos]
        if char in "\"'":
            end = pos + 1
            while end < len(text) and text[end] != char:
                end += 2 if char == '"' and text[end] == "\\" else 1
            if end >= len(text):
                return None
            raw = text[pos + 1 : end]
            parts.append(_unescape(raw) if char == '"' else raw)
            pos = end + 1
        else:
            match = _BARE.match(text, pos)
            if not match:
                return None
            parts.append(match.group(0))
            pos = match.end()
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos < len(text) and text[pos] == ".":
            pos += 1
            continue
        return parts, pos


class LineLocator:
    """Maps key paths such as ``("attributes", "PatientAge")`` to 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self._first: dict[tuple[str, ...], int] = {}
        self._scan()

    def _record(self, path: tuple[str, ...], line: int) -> None:
        for length in range(1, len(path) + 1):
            self._first.setdefault(path[:length], line)

    def _scan(self) -> None:
        table: tuple[str, ...] = ()
        in_multiline: str | None = None
        for number, line in enumerate(self.lines, start=1):
            if in_multiline is not None:
                if in_multiline in line:
                    in_multiline = None
                continue
            stripped = line.lstrip()
            if stripped.startswith("["):
                array = stripped.startswith("[[")
                parsed = _read_key(stripped, 2 if array else 1)
                if parsed is not None:
                    table = tuple(parsed[0])
                    self._record(table, number)
                continue
            parsed = _read_key(line, 0)
            if parsed is None:
                continue
            parts, end = parsed
            if end >= len(line) or line[end] != "=":
                continue
            self._record(table + tuple(parts), number)
            rest = line[end + 1 :]
            for quote in ('"""', "'''"):
                if rest.count(quote) == 1:
                    in_multiline = quote

    def line_of(self, path: tuple[str, ...]) -> int:
        """The line defining ``path``, else its nearest defined parent, else 1."""
        for length in range(len(path), 0, -1):
            line = self._first.get(path[:length])
            if line is not None:
                return line
        return 1

    def line_of_value(self, path: tuple[str, ...], value: str, occurrence: int = 1) -> int:
        """The line, at or after ``path``'s, of the n-th quoted spelling of ``value``."""
        start = self.line_of(path)
        needles = (f'"{value}"', f"'{value}'")
        seen = 0
        for number in range(start, len(self.lines) + 1):
            seen += sum(self.lines[number - 1].count(needle) for needle in needles)
            if seen >= occurrence:
                return number
        return start
