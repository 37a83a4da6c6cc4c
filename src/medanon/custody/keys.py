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
    """Read a key file written by :func:`write_key`."""
    try:
        text = Path(path).read_text(encoding="ascii")
    except FileNotFoundError:
        raise KeyFileError(
            f"key file {path} does not exist (create one with 'medanon keygen')") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc}") from None
    lines = text.split()
    if len(lines) != 2 or lines[0] != KEY_HEADER:
        raise KeyFileError(f"{path} is not a medanon key file")
    try:
        material = base64.b64decode(lines[1], validate=True)
    except ValueError:
        raise KeyFileError(f"{path} is not a medanon key file (bad encoding)") from None
    return SecretKey(material)
