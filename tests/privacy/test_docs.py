"""The example in docs/privacy.md prints what the document says it prints."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "privacy.md"


def test_quick_example_output_matches_the_document() -> None:
    text = DOC.read_text(encoding="utf-8")
    code = re.search(r"## Quick example\n\n```python\n(.*?)```", text, re.S)
    shown = re.search(r"prints .*?\n\n```text\n(.*?)```", text, re.S)
    assert code and shown
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code.group(1), str(DOC), "exec"), {})
    assert out.getvalue() == shown.group(1)
