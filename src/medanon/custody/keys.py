"""Secret keys: create, load, and derive keyed hashes.

Every pseudonym, remapped UID, date offset and output file name is an
HMAC-SHA256 of the key and a namespaced value. That keeps runs stateless:
two machines holding the same key produce the same output without sharing
any table, and a different key gives output that cannot be linked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from medanon.errors import KeyFileError

KEY_HEADER = "medanon-key-v1"
KEY_BYTES = 32


@dataclass(frozen=True)
class SecretKey:
    """A 256-bit secret; its repr never shows the bytes, so it cannot leak into logs."""

    material: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.material) < 16:
            raise KeyFileError("a key must hold at least 128 bits")

    def digest(self, namespace: str, value: str | bytes) -> bytes:
        """HMAC-SHA256 of ``namespace`` and ``value``; namespaces keep uses apart."""
        data = value.encode("utf-8") if isinstance(value, str) else value
        return hmac.new(self.material, namespace.encode("ascii") + b"\x00" + data,
                        hashlib.sha256).digest()

    @property
    def fingerprint(self) -> str:
        """A short public identifier of the key (safe to log and to put in reports)."""
        return self.digest("fingerprint", b"").hex()[:16]


def generate_key() -> SecretKey:
    """A fresh random key from the operating system's CSPRNG."""
    import secrets  # only when a key is made: loading one (every run) does not need it

    return SecretKey(secrets.token_bytes(KEY_BYTES))


def write_key(path: Path, key: SecretKey | None = None) -> SecretKey:
    """Write a key file readable by its owner only; refuse to overwrite an existing one."""
    key = key or generate_key()
    text = f"{KEY_HEADER}\n{base64.b64encode(key.material).decode('ascii')}\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(
            f"key file {path} already exists; medanon never overwrites a key") from None
    except OSError as exc:
        raise KeyFileError(f"cannot create key file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return key


def load_key(path: Path) -> SecretKey:
    """Read a key file written by :func:`write_key`.

    A key file that group or others may read is refused before it is read: anyone who
    can read the key can test a guessed identity against every pseudonym made with it.
    """
    return parse_key(check_private_file(path), f"{path} is not a medanon key file")


def check_private_file(path: Path, make_one: str = "medanon keygen") -> bytes:
    """The bytes of a secret file, refused when it is missing or group or others can read it.

    ``make_one`` is the command that creates such a file, named when it is missing.
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyFileError(
            f"key file {path} does not exist (create one with '{make_one}')") from None
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from None
    if os.name == "posix" and mode & 0o077:
        raise KeyFileError(
            f"key file {path} can be read by group or others "
            f"(mode {stat.S_IMODE(mode):04o}); make it private with: chmod 600 {path}")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from None


def key_from_environment(variable: str) -> SecretKey:
    """The key held, as the text of a key file, in the environment variable ``variable``.

    For services and containers, where a secret arrives in the environment rather than
    as a file: ``export VAR="$(cat site.key)"``. The message never repeats the value.
    """
    text = os.environ.get(variable)
    if not text:
        raise KeyFileError(f"the environment variable {variable} is not set or empty "
                           f"(set it to the text of a key file: export {variable}=\"$(cat "
                           "FILE)\")")
    return parse_key(text.encode("utf-8", "surrogateescape"),
                     f"the environment variable {variable} does not hold a medanon key "
                     "(expected the text of a key file from 'medanon keygen')")


def parse_key(data: bytes, not_a_key: str) -> SecretKey:
    """The key in the bytes of a key file; ``not_a_key`` is the message when it is none.

    Any other content (a certificate, a binary file, a truncated copy) gives that one
    message, never a decoder's: the bytes may be a secret of some other kind.
    """
    try:
        lines = data.decode("ascii").split()
    except UnicodeDecodeError:
        raise KeyFileError(not_a_key) from None
    if len(lines) != 2 or lines[0] != KEY_HEADER:
        raise KeyFileError(not_a_key)
    try:
        material = base64.b64decode(lines[1], validate=True)
    except ValueError:
        raise KeyFileError(f"{not_a_key} (bad encoding)") from None
    if len(material) < 16:
        raise KeyFileError(f"{not_a_key} (the key is shorter than 128 bits)")
    return SecretKey(material)
