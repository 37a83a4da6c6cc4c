"""Where the shipped rule tables live and what their format allows.

Shared by :mod:`medanon.profile.generate`, which writes the tables, and
:mod:`medanon.profile.table`, which reads them at every run. It lives apart from the
generator so that a run (a rerun with nothing to do included) does not import the
generator's CSV and hashing machinery, nor ``importlib.resources`` for an ordinary
installation.
"""

from __future__ import annotations

from pathlib import Path

FORMAT_VERSION = 1

TABLE_OUTPUT = "table_e1_1.json"
SAFE_PRIVATE_OUTPUT = "safe_private.json"

#: Basic Profile codes that PS3.15 E.1.1 defines; anything else in the source is an error.
BASIC_CODES = frozenset({"X", "Z", "D", "U", "X/Z", "X/D", "Z/D", "X/Z/D", "X/Z/U*"})
#: Codes an option column may carry.
OPTION_CODES = frozenset({"K", "C"})

_DATA_DIR = Path(__file__).parent / "data"


def read_data_text(name: str) -> str:
    """The text of a shipped data file.

    Read straight from the package folder; only when the package is not a folder (a zip
    import) is ``importlib.resources`` needed, and loaded.
    """
    try:
        return (_DATA_DIR / name).read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        from importlib import resources

        return resources.files("medanon.profile").joinpath("data", name).read_text(
            encoding="utf-8")
