"""The pydantic check of a recipe file's top level, kept apart from :mod:`.recipe`.

Only a recipe *file* needs pydantic: the default recipe, which every ``medanon run``
without ``--recipe`` uses (a rerun with nothing left to do included), is built from
plain Python and never imports it. Importing pydantic costs about a tenth of a second,
a third of such a rerun, so :class:`~medanon.profile.recipe._Parser` imports this module
only when it has text to check.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from medanon.profile.model import Mode


class RecipeFile(BaseModel):
    """The top level of a recipe file, before the per-attribute checks."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode = Mode.BLACKLIST
    profile: Literal["basic"] = "basic"
    options: list[StrictStr] | None = None
    allow_unchecked_burned_in: StrictBool = False
    attributes: dict[str, Any] = Field(default_factory=dict)
    pixels: dict[str, Any] | None = None
    report: dict[str, Any] | None = None
