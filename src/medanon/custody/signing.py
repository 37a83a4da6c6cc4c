"""Ed25519 signatures on the audit log's session ends.

A hash chain proves that nothing inside it changed, not that the whole chain was not
rewritten by someone who can write the folder. Signing each session's end entry with a
key kept away from the output (and verifying with its public half) closes that gap.

``cryptography`` is loaded only here, when a signing key is used: a run without one, and
a rerun with nothing left to do, never pay for it.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medanon.custody.keyfiles import load_public_pem, write_new_file
from medanon.custody.keys import check_private_file
from medanon.errors import ConfigurationError, KeyFileError


def _crypto() -> Any:
    """The ``cryptography`` serialization and Ed25519 modules, or one clear error."""
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise ConfigurationError(
            "audit signing needs the cryptography package: pip install 'medanon[custody]'"
        ) from None
    return serialization, ed25519


def public_fingerprint(raw_public: bytes) -> str:
    """A short public identifier of a signing key pair (safe to log)."""
    return hashlib.sha256(b"medanon-audit-signing\x00" + raw_public).hexdigest()[:16]


@dataclass(frozen=True)
class Signer:
    """An Ed25519 private key that signs entry hashes."""

    private: Any = field(repr=False)
    fingerprint: str

    def sign(self, entry_hash: str) -> str:
        """The base64 signature of an entry's hash."""
        return base64.b64encode(self.private.sign(entry_hash.encode("ascii"))).decode("ascii")


@dataclass(frozen=True)
class SignatureChecker:
    """An Ed25519 public key that checks entry signatures."""

    public: Any
    fingerprint: str

    def is_valid(self, entry_hash: str, signature: str) -> bool:
        """True when ``signature`` is this key's signature of ``entry_hash``."""
        from cryptography.exceptions import InvalidSignature

        try:
            self.public.verify(base64.b64decode(signature, validate=True),
                               entry_hash.encode("ascii"))
        except (InvalidSignature, ValueError):
            return False
        return True


def _raw_public(public: Any) -> bytes:
    serialization, _ = _crypto()
    raw: bytes = public.public_bytes(serialization.Encoding.Raw,
                                     serialization.PublicFormat.Raw)
    return raw


def write_signing_keypair(private_path: Path, public_path: Path) -> str:
    """Write a new Ed25519 pair (private file 0600, never overwritten); its fingerprint."""
    serialization, ed25519 = _crypto()
    for path in (private_path, public_path):
        if path.exists():
            raise KeyFileError(f"{path} already exists; medanon never overwrites a key")
    private = ed25519.Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    write_new_file(private_path, private_pem, 0o600)
    write_new_file(public_path, public_pem, 0o644)
    return public_fingerprint(_raw_public(private.public_key()))


def load_signing_key(path: Path) -> Signer:
    """The Ed25519 private key in ``path`` (refused when group or others can read it)."""
    serialization, ed25519 = _crypto()
    data = check_private_file(path, "medanon audit keygen")
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        private = None
    if not isinstance(private, ed25519.Ed25519PrivateKey):
        raise KeyFileError(f"{path} is not an audit signing key (make one with "
                           "'medanon audit keygen')")
    return Signer(private, public_fingerprint(_raw_public(private.public_key())))


def load_public_key(path: Path) -> SignatureChecker:
    """The Ed25519 public key in ``path``."""
    _serialization, ed25519 = _crypto()
    public = load_public_pem(path, ed25519.Ed25519PublicKey, "an audit signing public key")
    return SignatureChecker(public, public_fingerprint(_raw_public(public)))
