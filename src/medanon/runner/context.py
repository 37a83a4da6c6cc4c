"""The frozen context every worker receives once: what to do, with which key, where."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from medanon.custody.keys import SecretKey
from medanon.dicom.plan import EMPTY_PLAN, CollectionPlan
from medanon.profile.model import Ruleset

if TYPE_CHECKING:
    from medanon.custody.crosswalk import Sealer
    from medanon.events import WithholdRule


@dataclass(frozen=True)
class RunContext:
    """Everything a worker needs, frozen and picklable: sent to each worker once."""

    src_root: Path
    dst_root: Path
    ruleset: Ruleset
    key: SecretKey
    plan: CollectionPlan = EMPTY_PLAN
    durable: bool = True
    accept_no_meta: bool = False  # also read bare data sets (no preamble, no file meta)
    digests: bool = False  # hash inputs and outputs for the audit log
    crosswalk: Sealer | None = None  # seals each file's original identifiers (opt-in)
    withhold: WithholdRule | None = None  # a site's rule (EVT_WITHHOLD_LOOKUP), or none

    def source_id(self, path: Path) -> str:
        """The keyed hash naming an input file in reports and logs (never its path)."""
        text, root = str(path), str(self.src_root)
        if text.startswith(root) and text[len(root):len(root) + 1] == os.sep and os.sep == "/":
            relative = text[len(root) + 1:]  # the common case, without pathlib's slow parsing
        else:
            relative = path.relative_to(self.src_root).as_posix()
        # The bytes the file system gives: old CDs and Windows shares carry Latin-1 names
        # that are not UTF-8 (for UTF-8 names these are the same bytes as before).
        return self.key.digest("source-path", os.fsencode(relative)).hex()[:20]
