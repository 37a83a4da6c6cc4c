"""The sealed re-identification crosswalk: written by the site, readable only by the key holder.

``DST/.medanon/crosswalk.sealed`` holds, per patient and per study, the original
identifiers and their replacements. It is sealed to an X25519 public key: each session of
a run makes an ephemeral key pair, derives an AES-256-GCM key from it and the recipient's
public key (X25519, then HKDF-SHA256), and forgets the ephemeral private key when the
session ends. The site that runs medanon can therefore add to the crosswalk but never
read it back; only the holder of the private key can (``medanon reidentify``).

The coordinator derives the session key and hands it to the workers in the run context;
a worker seals each file's record before the outcome leaves it, so original values never
travel in plain text through pipes, Dask or the manifest. The coordinator only appends
the sealed records, dropping those whose tag it has already seen (one record per patient
and per study, across resumed sessions too).

File layout, one JSON object per line:

- ``session``: ephemeral public key, salt, recipient fingerprint (one per session);
- ``record``: tag (SHA-256 of the kind and the replacement value, which is public in the
  output anyway), nonce, ciphertext; the AES-GCM associated data binds it to its session
  and tag, so a record moved, edited or put under another tag does not open;
- ``end``: the record count and the SHA-256 of the session's record lines, sealed the same
  way, so a deleted or truncated record is caught.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medanon.custody.keyfiles import load_public_pem, write_new_file
from medanon.custody.keys import check_private_file
from medanon.errors import ConfigurationError, KeyFileError, MedanonError

CROSSWALK_NAME = "crosswalk.sealed"
INFO = b"medanon-crosswalk-v1"


class CrosswalkError(MedanonError):
    """The crosswalk cannot be opened: wrong key, damaged or truncated (exit code 2)."""


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import x25519
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    except ImportError:
        raise ConfigurationError(
            "the crosswalk needs the cryptography package: pip install 'medanon[custody]'"
        ) from None
    return hashes, serialization, x25519, AESGCM, HKDF


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _fingerprint(raw_public: bytes) -> str:
    return hashlib.sha256(b"medanon-crosswalk-recipient\x00" + raw_public).hexdigest()[:16]


def _raw(public: Any) -> bytes:
    _h, serialization, *_ = _crypto()
    raw: bytes = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw


def derive_key(shared: bytes, salt: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    """The session's AES-256 key from the X25519 shared secret (HKDF-SHA256)."""
    hashes, _s, _x, _a, hkdf = _crypto()
    derived: bytes = hkdf(algorithm=hashes.SHA256(), length=32, salt=salt,
                          info=INFO + ephemeral + recipient).derive(shared)
    return derived


def record_tag(kind: str, replacement: str) -> str:
    """The public tag of a record: which patient or study it is, by its replacement."""
    return hashlib.sha256(f"medanon-crosswalk\x00{kind}\x00{replacement}".encode()).hexdigest()


# -- keys ------------------------------------------------------------------------------
def write_crosswalk_keypair(private_path: Path, public_path: Path,
                            passphrase: bytes | None = None) -> str:
    """Write a new X25519 pair (private file 0600, encrypted with ``passphrase`` if given)."""
    _h, serialization, x25519, _a, _k = _crypto()
    for path in (private_path, public_path):
        if path.exists():
            raise KeyFileError(f"{path} already exists; medanon never overwrites a key")
    private = x25519.X25519PrivateKey.generate()
    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    write_new_file(private_path, private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption), 0o600)
    write_new_file(public_path, private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo), 0o644)
    return _fingerprint(_raw(private.public_key()))


def load_recipient(path: Path) -> Any:
    """The X25519 public key the crosswalk is sealed to."""
    _h, _s, x25519, _a, _k = _crypto()
    return load_public_pem(path, x25519.X25519PublicKey,
                           "a crosswalk public key (make one with 'medanon crosswalk keygen')")


def load_private(path: Path, passphrase: bytes | None) -> Any:
    """The X25519 private key that opens the crosswalk."""
    _h, serialization, x25519, _a, _k = _crypto()
    data = check_private_file(path, "medanon crosswalk keygen")
    try:
        private = serialization.load_pem_private_key(data, password=passphrase)
    except TypeError:
        raise KeyFileError(f"{path} is protected by a passphrase: pass it with "
                           "--passphrase-env VAR" if passphrase is None else
                           f"{path} is not protected by a passphrase") from None
    except ValueError:
        raise KeyFileError(f"{path} cannot be opened: a wrong passphrase, or not a "
                           "crosswalk private key") from None
    if not isinstance(private, x25519.X25519PrivateKey):
        raise KeyFileError(f"{path} is not a crosswalk private key")
    return private


# -- sealing (workers) -----------------------------------------------------------------
@dataclass(frozen=True)
class Sealer:
    """What a worker needs to seal records: the session key (never shown) and its salt."""

    key: bytes = field(repr=False)
    salt: bytes

    def seal(self, kind: str, replacement: str, content: dict[str, Any]) -> tuple[str, str]:
        """``(tag, sealed record line)`` for one patient or study."""
        _h, _s, _x, aesgcm, _k = _crypto()
        tag = record_tag(kind, replacement)
        nonce = os.urandom(12)
        plain = json.dumps({"kind": kind, **content}, sort_keys=True).encode("utf-8")
        sealed = aesgcm(self.key).encrypt(nonce, plain, self.salt + tag.encode("ascii"))
        line = json.dumps({"kind": "record", "tag": tag, "nonce": _b64(nonce),
                           "ct": _b64(sealed)}, sort_keys=True, separators=(",", ":"))
        return tag, line


# -- writing (coordinator) --------------------------------------------------------------
class CrosswalkWriter:
    """Appends one session to the crosswalk; a single writer (the coordinator) owns it."""

    def __init__(self, path: Path, recipient: Any) -> None:
        _h, _s, x25519, _a, _k = _crypto()
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        self._seen = _existing_tags(self._fd)
        ephemeral = x25519.X25519PrivateKey.generate()
        salt = os.urandom(16)
        eph_raw, recipient_raw = _raw(ephemeral.public_key()), _raw(recipient)
        key = derive_key(ephemeral.exchange(recipient), salt, eph_raw, recipient_raw)
        del ephemeral  # from here on, this site cannot derive the key again
        self.sealer = Sealer(key, salt)
        self._digest = hashlib.sha256()
        self._count = 0
        _h, _s, _x, aesgcm, _k = _crypto()
        nonce = os.urandom(12)
        check = aesgcm(key).encrypt(nonce, INFO, salt + b"check")  # tells a wrong key apart
        self._write(json.dumps({"kind": "session", "v": 1, "ephemeral": _b64(eph_raw),
                                "salt": _b64(salt), "recipient": _fingerprint(recipient_raw),
                                "check": _b64(nonce + check)},
                               sort_keys=True, separators=(",", ":")))

    def _write(self, line: str) -> None:
        data = line.encode("ascii") + b"\n"
        size = os.fstat(self._fd).st_size
        try:
            os.write(self._fd, data)
        finally:
            if os.fstat(self._fd).st_size - size not in (0, len(data)):
                os.ftruncate(self._fd, size)

    def add(self, records: Iterable[tuple[str, str]]) -> None:
        """Append the records whose tag is new (written to the OS, synced by :meth:`sync`)."""
        for tag, line in records:
            if tag in self._seen:
                continue
            self._write(line)
            self._seen.add(tag)
            self._digest.update(line.encode("ascii") + b"\n")
            self._count += 1

    def sync(self) -> None:
        """Make every record written so far durable."""
        os.fsync(self._fd)

    def finish(self) -> None:
        """Seal the session's end (its record count and digest) and close."""
        _h, _s, _x, aesgcm, _k = _crypto()
        nonce = os.urandom(12)
        plain = json.dumps({"count": self._count, "digest": self._digest.hexdigest()})
        sealed = aesgcm(self.sealer.key).encrypt(nonce, plain.encode("ascii"),
                                                 self.sealer.salt + b"end")
        self._write(json.dumps({"kind": "end", "nonce": _b64(nonce), "ct": _b64(sealed)},
                               sort_keys=True, separators=(",", ":")))
        self.close()

    def close(self) -> None:
        """Sync and close (an unfinished session has no end line)."""
        try:
            os.fsync(self._fd)
        finally:
            os.close(self._fd)


def _existing_tags(fd: int) -> set[str]:
    """The tags already in the file (plain text); a torn last line is cut first."""
    size = os.fstat(fd).st_size
    data = os.pread(fd, size, 0) if size else b""
    if data and not data.endswith(b"\n"):
        keep = data.rfind(b"\n") + 1
        os.ftruncate(fd, keep)
        data = data[:keep]
    tags = set()
    for line in data.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("kind") == "record":
            tags.add(str(entry.get("tag")))
    return tags


# -- reading (the key holder) ------------------------------------------------------------
def open_crosswalk(path: Path, private: Any) -> list[dict[str, Any]]:
    """Every record in the crosswalk, decrypted; one clear error for anything wrong."""
    _h, _s, x25519, aesgcm, _k = _crypto()
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CrosswalkError(f"cannot read the crosswalk {path}: {exc.strerror}") from None
    if not data:
        raise CrosswalkError(f"the crosswalk {path} is empty")
    if not data.endswith(b"\n"):
        raise CrosswalkError(f"the crosswalk {path} is truncated (its last line is cut)")
    records: list[dict[str, Any]] = []
    session: tuple[bytes, bytes] | None = None
    digest, count, ended = hashlib.sha256(), 0, True
    recipient = _raw(private.public_key())
    for number, line in enumerate(data.splitlines(keepends=True), start=1):
        try:
            entry = json.loads(line)
            kind = entry["kind"]
            if kind == "session":
                ephemeral = _unb64(entry["ephemeral"])
                salt = _unb64(entry["salt"])
                shared = private.exchange(x25519.X25519PublicKey.from_public_bytes(ephemeral))
                session = (derive_key(shared, salt, ephemeral, recipient), salt)
                check = _unb64(entry["check"])
                if not _opens(aesgcm(session[0]), check, salt + b"check"):
                    raise CrosswalkError(f"the crosswalk {path} does not open with this "
                                         "private key (it was sealed to another public key)")
                digest, count, ended = hashlib.sha256(), 0, False
                continue
            if session is None:
                raise ValueError("no session")
            key, salt = session
            if kind == "record":
                plain = aesgcm(key).decrypt(_unb64(entry["nonce"]), _unb64(entry["ct"]),
                                            salt + entry["tag"].encode("ascii"))
                records.append(json.loads(plain))
                digest.update(line)
                count += 1
            elif kind == "end":
                end = json.loads(aesgcm(key).decrypt(_unb64(entry["nonce"]),
                                                     _unb64(entry["ct"]), salt + b"end"))
                if end["count"] != count or end["digest"] != digest.hexdigest():
                    raise CrosswalkError(
                        f"the crosswalk {path} is damaged: records are missing or moved "
                        f"before line {number}")
                ended = True
            else:
                raise ValueError(kind)
        except CrosswalkError:
            raise
        except Exception:
            raise CrosswalkError(f"the crosswalk {path} is damaged at line {number}") from None
    if not ended:
        raise CrosswalkError(f"the crosswalk {path} ends inside a session: it was truncated, "
                             "or the run that wrote it is still running or was interrupted "
                             "(rerun it to finish)")
    return records


def _opens(cipher: Any, sealed: bytes, associated: bytes) -> bool:
    from cryptography.exceptions import InvalidTag

    try:
        cipher.decrypt(sealed[:12], sealed[12:], associated)
    except InvalidTag:
        return False
    return True


def file_records(sealer: Sealer, original: Any, output: Any, offset_days: int | None
                 ) -> tuple[tuple[str, str], ...]:
    """The sealed patient and study records of one file (``original``, ``output``: datasets).

    Runs in the worker, so the original values leave it only sealed.
    """
    def text(dataset: Any, keyword: str) -> str | None:
        value = dataset.get(keyword)
        return None if value is None or value == "" else str(value)

    pseudonym = text(output, "PatientID") or ""
    records = [sealer.seal("patient", pseudonym, {
        "pseudonym": pseudonym, "PatientID": text(original, "PatientID"),
        "PatientName": text(original, "PatientName"), "date_offset_days": offset_days})]
    study = text(output, "StudyInstanceUID")
    if study is not None:
        records.append(sealer.seal("study", study, {
            "pseudonym": pseudonym, "StudyInstanceUID": study,
            "AccessionNumber": text(output, "AccessionNumber"),
            "original": {"StudyInstanceUID": text(original, "StudyInstanceUID"),
                         "AccessionNumber": text(original, "AccessionNumber")}}))
    return tuple(records)


def look_up(records: list[dict[str, Any]], query: str) -> list[dict[str, Any]]:
    """The records that answer ``query``: a patient pseudonym or a new study UID."""
    patients = {r["pseudonym"]: r for r in records if r["kind"] == "patient"}
    studies = [r for r in records if r["kind"] == "study"]
    if query in patients:
        return [patients[query], *[s for s in studies if s["pseudonym"] == query]]
    for study in studies:
        if query in (study["StudyInstanceUID"], study.get("AccessionNumber")):
            patient = patients.get(study["pseudonym"])
            return [*([patient] if patient else []), study]
    return []
