"""Render the report template and write it atomically."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

TEMPLATE = "report.html.j2"


def render_html(data: dict[str, Any]) -> str:
    """The report as one HTML document."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("medanon.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return environment.get_template(TEMPLATE).render(**data)


def write_html(target: Path, data: dict[str, Any]) -> Path:
    """Write the report to ``target`` (temporary name, then rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.tmp")
    temp.write_text(render_html(data), encoding="utf-8")
    os.replace(temp, target)
    return target
