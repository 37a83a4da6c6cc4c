"""One exception hierarchy for medanon.

Library code raises these and never prints or exits; only the CLI maps them to
exit codes. Messages never carry personal data: name a file by its keyed path
hash, an attribute by its tag and keyword, never by its value.
"""

from __future__ import annotations


class MedanonError(Exception):
    """Base of every error medanon raises on purpose."""


class ConfigurationError(MedanonError):
    """A recipe, key, option or command-line setting is unusable (exit code 2)."""


class RecipeError(ConfigurationError):
    """A recipe file is invalid; the message names the line and the key."""


class KeyFileError(ConfigurationError):
    """A key file is missing, unreadable or malformed."""


class InputError(MedanonError):
    """An input file or table cannot be read or is not what it claims to be."""


class DeidentificationError(MedanonError):
    """A dataset cannot be fully de-identified; it must be withheld, never written."""


class PrivacyError(MedanonError):
    """A privacy model cannot be satisfied or a published table fails its check."""
