"""The audit log of a run: the handler the runner feeds once per finished file.

The runner knows nothing of what is recorded: it opens a recorder with the run's
settings, hands it every outcome as the manifest stages it (:meth:`AuditRecorder.file_done`),
asks it to make what it wrote durable before the manifest commits those files
(:meth:`AuditRecorder.sync`) and to close the session (:meth:`AuditRecorder.finish`). The
pool, Dask and any other source of outcomes therefore record the same way.

Nothing personal is written: inputs are named by the keyed hash of their relative path
(the manifest's ``source_id``), outputs by their pseudonymous relative path, the source
folder by a keyed fingerprint, and the command line with SRC replaced by ``SRC``.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import signal
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from medanon._version import __version__
from medanon.custody.chain import ChainWriter, read_head
from medanon.custody.crosswalk import CrosswalkWriter, Sealer
from medanon.errors import ConfigurationError
from medanon.events import Event
from medanon.runner.outcome import FileOutcome

AUDIT_NAME = "audit.jsonl"
SESSION_OFFSET_META = "audit_session_offset"


class ManifestView(Protocol):
    """What the recorder asks of the manifest (kept narrow: it never writes rows)."""

    def get(self, name: str) -> str | None:
        """A value of the meta table."""
        ...

    def put(self, name: str, value: str) -> None:
        """Store a value in the meta table."""
        ...

    def output_owner(self, output: str) -> str | None:
        """The input recorded as having written ``output``."""
        ...


@dataclass(frozen=True)
class CustodyOptions:
    """What a run records about itself (picklable, no secret)."""

    audit: bool = True
    command_line: tuple[str, ...] = ()  # already free of secrets and of the SRC path
    signing_key: Path | None = None  # Ed25519 private key: each session's end is signed
    crosswalk_public_key: Path | None = None  # X25519: write DST/.medanon/crosswalk.sealed


@dataclass(frozen=True)
class RunFacts:
    """The run's settings as the runner knows them (fingerprints, never secrets)."""

    state_dir: Path
    src: Path
    settings: dict[str, str]
    recipe: dict[str, Any]
    restart: bool
    interrupted: bool  # the previous session stopped without finishing


def now() -> str:
    """UTC time of an entry, to the millisecond."""
    stamp = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(stamp)) + f".{int(stamp % 1 * 1000):03d}Z"


def who() -> dict[str, str]:
    """The user and host a session runs as (an operator, not a patient)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return {"user": user, "host": socket.gethostname()}


class AuditRecorder:
    """Writes one session's entries: start, one per file, end."""

    def __init__(self, writer: ChainWriter, signer: Any | None,
                 crosswalk: CrosswalkWriter | None = None) -> None:
        self._writer = writer
        self._signer = signer
        self._crosswalk = crosswalk
        self.head: str | None = None

    @property
    def sealer(self) -> Sealer | None:
        """What workers seal crosswalk records with (None: no crosswalk)."""
        return self._crosswalk.sealer if self._crosswalk is not None else None

    @classmethod
    def open(cls, options: CustodyOptions, facts: RunFacts,
             manifest: ManifestView) -> AuditRecorder:
        """Open the log in the state folder and write the session's start entry.

        A resumed run continues the same chain. When the previous session was interrupted,
        its entries for outputs the manifest never recorded are withdrawn first (the runner
        removes those outputs and writes them again).
        """
        signer = None
        if options.signing_key is not None:
            from medanon.custody.signing import load_signing_key

            signer = load_signing_key(options.signing_key)
        crosswalk = None
        if options.crosswalk_public_key is not None:
            from medanon.custody.crosswalk import CROSSWALK_NAME, load_recipient

            recipient = load_recipient(options.crosswalk_public_key)
            crosswalk = CrosswalkWriter(facts.state_dir / CROSSWALK_NAME, recipient)
        writer = ChainWriter(facts.state_dir / AUDIT_NAME)
        recorder = cls(writer, signer, crosswalk)
        if writer.dropped_tail:
            writer.append({"kind": "recovered", "time": now(),
                           "dropped_bytes": writer.dropped_tail,
                           "why": "a half-written last entry of an interrupted session"})
        if facts.interrupted and not facts.restart:
            recorder._withdraw_unrecorded(manifest)
        offset = writer.path.stat().st_size
        writer.append({
            "kind": "run-start", "time": now(), **who(), "medanon_version": __version__,
            "command": list(options.command_line), "restart": facts.restart,
            "resumed": manifest.get(SESSION_OFFSET_META) is not None and not facts.restart,
            "recipe_fingerprint": facts.settings["recipe_fingerprint"],
            "recipe": facts.recipe,
            "key_fingerprint": facts.settings["key_fingerprint"],
            "source_folder_fingerprint": facts.settings["source_folder_fingerprint"],
            "source_audit_head": _source_audit_head(facts.src),
            "signing_key": signer.fingerprint if signer is not None else None,
            "crosswalk": crosswalk is not None,
        })
        writer.sync()
        manifest.put(SESSION_OFFSET_META, str(offset))
        return recorder

    def _withdraw_unrecorded(self, manifest: ManifestView) -> None:
        """Withdraw the last session's output claims that the manifest never committed."""
        offset = manifest.get(SESSION_OFFSET_META)
        if offset is None:
            return
        withdrawn = []
        for entry in _file_entries_since(self._writer.path, int(offset)):
            output = entry["output"]
            owner = manifest.output_owner(output)
            # Unowned: the runner removes the file. Owned by another input: this one's
            # bytes are not the ones in place (a duplicate's are, byte for byte).
            if owner is None or (owner != entry["source"] and entry["status"] == "written"):
                withdrawn.append({"source": entry["source"], "output": output})
        if withdrawn:
            self._writer.append({"kind": "withdrawn", "time": now(), "files": withdrawn,
                                 "why": "the session was interrupted before the manifest "
                                        "recorded these files; they are processed again"})

    def on_file_done(self, event: Event) -> None:
        """The handler of EVT_FILE_DONE (bound essential: a failure stops the run)."""
        assert event.outcome is not None
        self.file_done(event.outcome)

    def file_done(self, outcome: FileOutcome) -> None:
        """Record one file as the manifest staged it (written to the OS, not yet synced)."""
        self._writer.append(file_entry(outcome))
        if self._crosswalk is not None and outcome.sealed:
            self._crosswalk.add(outcome.sealed)

    def sync(self) -> None:
        """Make every entry written so far durable (before the manifest commits them)."""
        if self._crosswalk is not None:
            self._crosswalk.sync()
        self._writer.sync()

    def finish(self, counts: dict[str, int]) -> str:
        """Write the session's end entry (signed when a signing key was given); its hash."""
        if self._crosswalk is not None:
            self._crosswalk.finish()
            self._crosswalk = None
        entry = self._writer.seal({"kind": "run-end", "time": now(), "state": "finished",
                                   "counts": counts})
        if self._signer is not None:
            entry["signature"] = self._signer.sign(entry["hash"])
        self._writer.append_sealed(entry)
        self._writer.sync()
        self.head = str(entry["hash"])
        return self.head

    def close(self, error: BaseException | None = None) -> None:
        """End the session; a session that stopped on an error says so (best effort)."""
        try:
            if self.head is None and error is not None:
                self._writer.append({"kind": "run-end", "time": now(), "state": "stopped",
                                     "why": type(error).__name__})
        except OSError:
            pass  # the disk that stopped the run may not take this entry either
        finally:
            with contextlib.suppress(OSError):
                self._writer.close()
            if self._crosswalk is not None:
                with contextlib.suppress(OSError):
                    self._crosswalk.close()


def file_entry(outcome: FileOutcome, instance: str | None = None) -> dict[str, Any]:
    """The audit entry of one de-identified input: the same for ``run`` and ``serve``.

    ``instance`` is the node's keyed name of a received instance; a folder run has none.
    """
    entry: dict[str, Any] = {"kind": "file"}
    if instance is not None:
        entry["instance"] = instance
    entry.update({
        "source": outcome.source_id, "status": outcome.status.value,
        "reason": outcome.reason, "output": outcome.output,
        "input_sha256": outcome.input_sha256, "output_sha256": outcome.output_sha256,
        "actions": dict(outcome.actions),
    })
    return entry


def _file_entries_since(path: Path, offset: int) -> Iterator[dict[str, Any]]:
    """The file entries with an output from byte ``offset`` of the log on."""
    with open(path, "rb") as handle:
        handle.seek(offset)
        for line in handle:
            try:
                entry = json.loads(line)
                wanted = entry.get("kind") == "file" and bool(entry.get("output"))
                if wanted and not {"source", "status"} <= entry.keys():
                    raise ValueError("fields missing")
            except (ValueError, AttributeError):
                raise ConfigurationError(
                    f"the audit log {path} is damaged after its last session start; check "
                    "it with 'medanon audit verify' before resuming") from None
            if wanted:
                yield entry


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold a Ctrl-C until the block ends: a file is staged in the manifest and logged, or neither.

    An interrupted run still commits what it staged, so each staged row needs its entry.

    Only the main thread can change signal handlers; elsewhere nothing is deferred.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, _frame: received.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            raise KeyboardInterrupt


def _source_audit_head(src: Path) -> str | None:
    """A stage-2 run: the head of the audit log of the medanon output it reads, if any."""
    log = src / ".medanon" / AUDIT_NAME
    if not log.is_file():
        return None
    try:
        return read_head(log).hash
    except (OSError, ValueError):
        return None


def open_recorder(options: CustodyOptions | None, facts: RunFacts,
                  manifest: ManifestView) -> AuditRecorder | None:
    """The recorder for a run, or None when the run records no audit log."""
    if options is None or not options.audit:
        return None
    return AuditRecorder.open(options, facts, manifest)


def command_without_source(argv: Sequence[str], src: str) -> tuple[str, ...]:
    """The command line to record: SRC (often named after a patient) becomes ``SRC``.

    No secret is ever on medanon's command line (keys are files or environment variables;
    only their names appear), so nothing else needs removing.
    """
    return tuple("SRC" if arg == src else arg for arg in argv)
