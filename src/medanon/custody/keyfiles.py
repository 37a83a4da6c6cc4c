"""Public-key files (PEM) for audit signing and the crosswalk: written once, read back checked."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from medanon.errors import KeyFileError


def write_new_file(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` with ``mode`` (refusing to replace a file) and make it durable."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise KeyFileError(f"{path} already exists; medanon never overwrites a key") from None
    except OSError as exc:
        raise KeyFileError(f"cannot create {path}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def load_public_pem(path: Path, expected: type, description: str) -> Any:
    """The public key in the PEM file ``path``; one clear error unless it is ``expected``."""
    from cryptography.hazmat.primitives import serialization

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read {path}: {exc.strerror}") from None
    try:
        public = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        public = None
    if not isinstance(public, expected):
        raise KeyFileError(f"{path} is not {description}")
    return public
