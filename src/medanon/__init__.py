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

import importlib
from typing import Any

from medanon._version import __version__
from medanon.errors import (
    ConfigurationError,
    DeidentificationError,
    InputError,
    KeyFileError,
    MedanonError,
    PrivacyError,
    RecipeError,
)

# Everything else loads on first use (PEP 562): the command line starts without pydicom,
# numpy or pandas, which a rerun with nothing left to do, or a table-only user, never needs.
_LAZY = {
    "deidentify_dataset": "medanon.api",
    "deidentify_folder": "medanon.api",
    "SecretKey": "medanon.custody.keys",
    "generate_key": "medanon.custody.keys",
    "load_key": "medanon.custody.keys",
    "write_key": "medanon.custody.keys",
    "Recipe": "medanon.profile.recipe",
    "default_recipe": "medanon.profile.recipe",
    "load_recipe": "medanon.profile.recipe",
    "parse_recipe": "medanon.profile.recipe",
    "RunOptions": "medanon.runner.run",
    "RunResult": "medanon.runner.run",
    "anonymize": "medanon.privacy",
    "check": "medanon.privacy",
}

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
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'medanon' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
