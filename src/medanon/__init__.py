"""medanon: make DICOM collections and clinical tables safe to share for research.

The public API::

    import medanon

    key = medanon.load_key("site.key")              # or medanon.write_key(path)
    recipe = medanon.load_recipe("recipe.toml")     # or medanon.default_recipe()
    clean = medanon.deidentify_dataset(ds, key, recipe)   # one pydicom Dataset
    result = medanon.deidentify_folder("in/", "out/", key, recipe)  # a whole folder
    print(result.report.summary_line())

    table = medanon.anonymize(df, qi=["age", "sex"], sensitive="diagnosis", k=5)
"""

from __future__ import annotations

from typing import Any

from medanon._version import __version__
from medanon.api import deidentify_dataset, deidentify_folder
from medanon.custody.keys import SecretKey, generate_key, load_key, write_key
from medanon.errors import (
    ConfigurationError,
    DeidentificationError,
    InputError,
    KeyFileError,
    MedanonError,
    PrivacyError,
    RecipeError,
)
from medanon.profile.recipe import Recipe, default_recipe, load_recipe, parse_recipe
from medanon.runner.run import RunOptions, RunResult

# The table privacy engine is loaded on first use: it brings numpy (and pandas for
# DataFrames), which DICOM-only users need not pay for at import.
_PRIVACY_NAMES = frozenset({"anonymize", "check"})

__all__ = [
    "ConfigurationError",
    "DeidentificationError",
    "InputError",
    "KeyFileError",
    "MedanonError",
    "PrivacyError",
    "Recipe",
    "RecipeError",
    "RunOptions",
    "RunResult",
    "SecretKey",
    "__version__",
    "anonymize",
    "check",
    "default_recipe",
    "deidentify_dataset",
    "deidentify_folder",
    "generate_key",
    "load_key",
    "load_recipe",
    "parse_recipe",
    "write_key",
]


def __getattr__(name: str) -> Any:
    if name in _PRIVACY_NAMES:
        from medanon import privacy

        return getattr(privacy, name)
    raise AttributeError(f"module 'medanon' has no attribute {name!r}")
