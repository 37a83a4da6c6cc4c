"""Keyed UID remapping.

A UID becomes ``2.25.<decimal of a 128-bit HMAC-SHA256 prefix>`` (PS3.5 B.2: a UUID-derived
UID under the 2.25 root, at most 44 characters). Remapping is a pure function of the key
and the UID, so every reference to a UID, in any file, any sequence, any run and any
machine, lands on the same new UID, and relationships between instances survive.
"""

from __future__ import annotations

from functools import lru_cache

from medanon.custody.keys import SecretKey

STANDARD_UID_ROOT = "1.2.840.10008."
"""UIDs under this root are defined by the DICOM standard (SOP classes, transfer syntaxes,
coding schemes, ...): they identify no one and must never be remapped."""

MAX_UID_LENGTH = 64


def is_standard_uid(uid: str) -> bool:
    """True for UIDs the DICOM standard itself defines."""
    return uid.startswith(STANDARD_UID_ROOT)


@lru_cache(maxsize=1024)
def _remap_cached(material: bytes, uid: str) -> str:
    # Study, series and frame-of-reference UIDs recur in every file of a series; instance
    # UIDs do not. A small cache catches the former and keeps memory flat over millions.
    return "2.25." + str(int.from_bytes(SecretKey(material).digest("uid", uid)[:16], "big"))


def remap_uid(key: SecretKey, uid: str) -> str:
    """The new UID for ``uid``; standard UIDs and empty values pass through unchanged."""
    uid = uid.strip("\x00 ")
    if not uid or is_standard_uid(uid):
        return uid
    return _remap_cached(key.material, uid)


def medanon_uid(name: str) -> str:
    """A fixed UID naming a medanon artefact (e.g. its implementation class), not secret."""
    import hashlib

    digest = hashlib.sha256(b"medanon:" + name.encode("ascii")).digest()
    return "2.25." + str(int.from_bytes(digest[:16], "big"))
