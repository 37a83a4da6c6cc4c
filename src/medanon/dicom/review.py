"""What a whitelist removed, for a human reviewer: tag, keyword, VR and a keyed digest."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReviewItem:
    """An attribute a whitelist removed, for a human to decide on; never its value."""

    tag: int
    keyword: str
    vr: str
    value_digest: str
