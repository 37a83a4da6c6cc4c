"""Re-identification look-ups go into the audit log: who asked what, and when; never the answer."""

from __future__ import annotations

from pathlib import Path

from medanon.custody.chain import ChainWriter
from medanon.custody.recorder import AUDIT_NAME, now, who


def log_lookup(state_dir: Path, query: str, *, found: bool) -> str:
    """Append a look-up entry to the audit log in ``state_dir``; its hash (the new head)."""
    writer = ChainWriter(state_dir / AUDIT_NAME)
    try:
        entry = writer.append({"kind": "lookup", "time": now(), **who(), "query": query,
                               "found": found})
    finally:
        writer.close()
    return str(entry["hash"])
