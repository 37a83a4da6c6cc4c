"""De-identify a folder: walk → read → plan → transform → write → report.

This module is the whole pipeline as a reader should see it, top to bottom. Each step
lives in its own module; ``run_folder`` wires them together, keeps the manifest that
makes a run resumable, and checks the preconditions that would make a run unsafe.

Durability: workers write each output to a temporary name and rename it into place;
the coordinator flushes outputs to disk (one ``sync`` per batch) before it records the
batch in the manifest. After a crash or power cut, the manifest never claims a file
that is not on disk, and outputs nobody claims are removed before the run resumes.

One run at a time: the state folder is locked (:mod:`medanon.runner.lock`) from before
anything is cleaned up until the report is written. A resumed run trusts nothing it
cannot see: an output the manifest records is skipped only while it is there with its
recorded size (one ``stat``); otherwise its input is processed again.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import shutil
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medanon.custody.keys import SecretKey
from medanon.custody.recorder import (
    AuditRecorder,
    CustodyOptions,
    RunFacts,
    interrupts_deferred,
    open_recorder,
)
from medanon.dicom.plan import EMPTY_PLAN, CollectionPlan
from medanon.dicom.tempfiles import remove_stale_temporaries
from medanon.errors import ConfigurationError, MedanonError
from medanon.events import (
    EVT_FILE_DONE,
    EVT_FILE_FAILED,
    EVT_FILE_WITHHELD,
    EVT_PROGRESS,
    EVT_RUN_FINISHED,
    EVT_RUN_STARTED,
    Event,
    EventHub,
    HandlerBinding,
    WithholdRule,
    plan_lookup,
    withhold_rule,
)
from medanon.profile.model import Ruleset
from medanon.profile.recipe import Recipe
from medanon.profile.ruleset import build_ruleset
from medanon.runner.context import RunContext
from medanon.runner.lock import StateLock
from medanon.runner.manifest import MANIFEST_NAME, DoneRow, InputStamp, Manifest
from medanon.runner.outcome import FileOutcome, Status
from medanon.runner.report import (
    RunReport,
    SessionStats,
    report_from_manifest,
    write_report,
)
from medanon.runner.staging import STAGING_RECORD, Stager, remove_leftovers
from medanon.runner.tasks import Task
from medanon.runner.walk import STATE_DIR_NAME, Excluded, walk_entries

COMMIT_EVERY_FILES = 256
COMMIT_EVERY_SECONDS = 2.0
MAX_UNFLUSHED_FILES = 4 * COMMIT_EVERY_FILES  # then the run waits for the disk to catch up

ProgressCallback = Callable[[FileOutcome | None, SessionStats], None]
# Entries the walk excluded, waiting to be recorded by the coordinating thread (the walk
# may run in the staging thread, and only the coordinator writes the manifest).
Exclusions = deque[tuple[InputStamp, FileOutcome]]


class OutputWriteError(MedanonError):
    """The output folder cannot be written (full, read-only, gone): the run stopped."""


@dataclass(frozen=True)
class RunOptions:
    """How to run, as opposed to what to do (that is the recipe)."""

    workers: int = 0  # 0: every core
    state_dir: Path | None = None
    restart: bool = False
    staging_dir: Path | None = None
    staging_budget: int = 20 * 1024**3
    cluster: str | None = None
    accept_no_meta: bool = False  # read bare data sets too (see read_instance)
    custody: CustodyOptions | None = CustodyOptions()  # None: no audit log


@dataclass(frozen=True)
class RunResult:
    """A finished run: its report and where the report was written."""

    report: RunReport
    report_path: Path


def check_folders(src: Path, dst: Path) -> tuple[Path, Path]:
    """Resolve and validate SRC and DST; raise ConfigurationError when a run would be unsafe.

    Messages never repeat the source path: export folders are often named after the
    patient, and errors end up in logs.
    """
    if not src.exists():
        raise ConfigurationError("the source folder (SRC) does not exist")
    if not src.is_dir():
        raise ConfigurationError("the source (SRC) is not a folder")
    try:
        with os.scandir(src):
            pass
    except OSError as exc:
        raise ConfigurationError(f"the source folder (SRC) cannot be read ({exc.strerror})"
                                 ) from None
    src_real, dst_real = Path(os.path.realpath(src)), Path(os.path.realpath(dst))
    if dst_real == src_real or src_real in dst_real.parents:
        raise ConfigurationError("the output folder must not be inside the source folder")
    if dst_real in src_real.parents:
        raise ConfigurationError("the source folder must not be inside the output folder")
    if dst_real.exists() and not dst_real.is_dir():
        raise ConfigurationError("the output (DST) exists and is not a folder")
    return src_real, dst_real


def run_settings(recipe: Recipe, key: SecretKey, src: Path) -> dict[str, str]:
    """The settings a run is pinned to (fingerprints only: no secret, no personal data).

    The source folder is pinned by a keyed hash of its path: resuming into an output made
    from another source would mix two collections in one output.
    """
    return {"recipe_fingerprint": recipe.fingerprint(), "key_fingerprint": key.fingerprint,
            "source_folder_fingerprint": key.digest("source-root", str(src)).hex()[:16]}


def _pinned(recipe: Recipe, key: SecretKey, src: Path, plan: CollectionPlan
            ) -> dict[str, str]:
    """The settings to pin: a run made with a collection plan pins the plan as well."""
    settings = run_settings(recipe, key, src)
    if plan.fingerprint:
        settings["plan_fingerprint"] = plan.fingerprint
    return settings


def run_folder(src: Path, dst: Path, recipe: Recipe, key: SecretKey, *,
               plan: CollectionPlan = EMPTY_PLAN, options: RunOptions | None = None,
               on_progress: ProgressCallback | None = None,
               handlers: Iterable[HandlerBinding] = ()) -> RunResult:
    """De-identify every file under ``src`` into ``dst``; resume if ``dst`` has a run.

    Files that cannot be fully de-identified are never written; they are listed in the
    report (``<state>/report.json``) with their reason. Library code: nothing is printed;
    bind ``handlers`` (:mod:`medanon.events`) to follow the run, or pass ``on_progress``
    (bound to EVT_PROGRESS as ``on_progress(event.outcome, event.stats)``).

    Raises
    ------
    ConfigurationError
        Unsafe folders, or a resumed run whose recipe or key changed (unless restart).
    StateFolderInUseError
        Another run holds the state folder (a ConfigurationError); nothing was changed.
    OutputWriteError
        The output cannot be written; what was done is recorded, rerun to resume.
    """
    options = options or RunOptions()
    hub = EventHub(handlers)
    if on_progress is not None:
        hub.bind(EVT_PROGRESS, _progress_handler, (on_progress,))
    plan = plan_lookup(hub, plan)
    withhold = withhold_rule(hub, workers=options.workers)
    if recipe.privacy is not None and not plan.closed:
        raise ConfigurationError(
            "the recipe has a [privacy] section: its plan is made from every header first "
            "(medanon.collection.run.run_private, as medanon run does)")
    label = str(dst)
    src, dst = check_folders(src, dst)
    state_dir = options.state_dir or dst / STATE_DIR_NAME
    ruleset = build_ruleset(recipe)
    with lock_output(dst, state_dir, label):
        return _run_locked(src, dst, state_dir, recipe, ruleset, key, plan, options, hub,
                           withhold)


def lock_output(dst: Path, state_dir: Path, label: str) -> StateLock:
    """Make ``dst`` and take its state folder's lock (refused while another process has it).

    ``label`` is the output folder as the user gave it, for the refusal's message.
    """
    try:
        dst.mkdir(parents=True, exist_ok=True)
        return StateLock.acquire(state_dir, label)
    except OSError as exc:
        raise OutputWriteError(f"cannot write to the output folder: {exc.strerror}") from None


def _progress_handler(event: Event, on_progress: ProgressCallback) -> None:
    """The progress callback, as a handler of EVT_PROGRESS."""
    assert event.stats is not None
    on_progress(event.outcome, event.stats)


def _bind_essentials(hub: EventHub, session: SessionStats, recorder: AuditRecorder | None
                     ) -> None:
    """The report's counts and the audit log, bound essential (run before the caller's).

    Their errors stop the run: a recorded file always has its audit entry and is always
    counted.
    """
    hub.bind(EVT_FILE_DONE, _count_file, (session,), essential=True)
    if recorder is not None:
        hub.bind(EVT_FILE_DONE, recorder.on_file_done, essential=True)


def _count_file(event: Event, session: SessionStats) -> None:
    """The report's data collection: this session's counts."""
    assert event.outcome is not None
    session.add(event.outcome)


def _run_locked(src: Path, dst: Path, state_dir: Path, recipe: Recipe, ruleset: Ruleset,
                key: SecretKey, plan: CollectionPlan, options: RunOptions,
                hub: EventHub, withhold: WithholdRule | None) -> RunResult:
    """The run, once the state folder is locked: clean up, resume, process, report."""
    try:
        if options.restart:
            _forget_previous_run(dst, state_dir)
        manifest = Manifest(state_dir / MANIFEST_NAME)
    except OSError as exc:
        raise OutputWriteError(f"cannot write to the output folder: {exc.strerror}") from None
    try:
        _remove_staging_leftovers(manifest)
        manifest.pin_settings(_pinned(recipe, key, src, plan))
        previous_state = manifest.get("state")
        if previous_state == "running":  # the last session was interrupted
            _remove_unclaimed_outputs(dst, manifest)
        if previous_state != "finished":  # a finished session left no temporary file
            remove_stale_temporaries(dst)
        resuming = manifest.has_files()
        try:
            recorder = open_recorder(options.custody, RunFacts(
                state_dir, src, run_settings(recipe, key, src), recipe.canonical(),
                options.restart, previous_state == "running"), manifest)
        except OSError as exc:
            raise OutputWriteError(
                f"cannot write the audit log: {exc.strerror or exc}") from None
    except BaseException:
        manifest.close()
        raise
    try:
        manifest.mark_started()
        ctx = RunContext(src_root=src, dst_root=dst, ruleset=ruleset, key=key, plan=plan,
                         durable=False, accept_no_meta=options.accept_no_meta,
                         digests=recorder is not None,
                         crosswalk=recorder.sealer if recorder is not None else None,
                         withhold=withhold)
        session = SessionStats()
        _bind_essentials(hub, session, recorder)
        hub.notify(EVT_RUN_STARTED, stats=session, plan=plan)
        exclusions: Exclusions = deque()
        tasks = _pending_tasks(walk_entries(src, exclude=(dst, state_dir)), ctx,
                               manifest if resuming else None, session, hub, exclusions)
        _process_all(tasks, ctx, manifest, session, options, hub, recorder, exclusions)
        manifest.mark_finished()
        settings: dict[str, Any] = {**run_settings(recipe, key, src),
                                    "mode": ruleset.mode.value,
                                    "options": sorted(o.value for o in ruleset.options)}
        if recorder is not None:
            settings["audit_head"] = recorder.finish(dict(manifest.counts()))
        report = report_from_manifest(manifest, settings, session)
        result = RunResult(report, write_report(report, state_dir))
        hub.notify(EVT_RUN_FINISHED, stats=session, counts=dict(report.counts))
        return result
    except BaseException as exc:
        if recorder is not None:
            recorder.close(exc)
            recorder = None
        raise
    finally:
        if recorder is not None:
            recorder.close()
        manifest.close()


def _pending_tasks(entries: Iterator[Path | Excluded], ctx: RunContext,
                   manifest: Manifest | None, session: SessionStats, hub: EventHub,
                   exclusions: Exclusions) -> Iterator[Task]:
    """Tasks for the files not done yet; files done by an earlier session are skipped.

    ``manifest`` is None when no earlier session recorded anything: nothing to look up.
    A done file whose output is missing or has changed size is not done: its damaged
    output is removed and the file is processed again. Entries the walk excluded go to
    ``exclusions`` (unless already recorded), to be recorded by the coordinator.
    """
    dst_text = str(ctx.dst_root)
    for entry in entries:
        path = entry.path if isinstance(entry, Excluded) else entry
        try:
            info = os.lstat(path) if isinstance(entry, Excluded) else path.stat()
        except OSError:
            info = None
        stamp = InputStamp(ctx.source_id(path), info.st_size if info else -1,
                           info.st_mtime_ns if info else -1)
        row = manifest.done_row(stamp) if manifest is not None else None
        if row is not None and (not row.claims_output or _output_intact(dst_text, row)):
            session.skipped += 1
            if session.skipped % 1000 == 0:
                hub.notify(EVT_PROGRESS, stats=session)
            continue
        if row is not None:
            session.outputs_redone += 1
            _remove_damaged_output(dst_text, row)
        if isinstance(entry, Excluded):
            exclusions.append((stamp, FileOutcome(stamp.source_id, Status.EXCLUDED,
                                                  entry.reason)))
            continue
        yield Task(path, stamp)


def _output_intact(dst_text: str, row: DoneRow) -> bool:
    """True when the output an input wrote is still there with the size recorded for it."""
    try:
        return os.stat(f"{dst_text}/{row.output}").st_size == row.bytes_out
    except OSError:
        return False


def _remove_damaged_output(dst_text: str, row: DoneRow) -> None:
    """Remove an output whose size changed: the redo must not take it for a clash."""
    with contextlib.suppress(OSError):
        os.unlink(f"{dst_text}/{row.output}")


def _process_all(tasks: Iterator[Task], ctx: RunContext, manifest: Manifest,
                 session: SessionStats, options: RunOptions, hub: EventHub,
                 recorder: AuditRecorder | None, exclusions: Exclusions) -> None:
    def record(stamp: InputStamp, outcome: FileOutcome) -> None:
        # The one per-file hook: EVT_FILE_DONE, with the audit log's entry among its
        # handlers, never a staged row without its entry.
        with interrupts_deferred() if recorder is not None else contextlib.nullcontext():
            recorded = manifest.stage(stamp, outcome)
            hub.notify(EVT_FILE_DONE, outcome=recorded)
        if recorded.status is Status.FAILED:
            hub.notify(EVT_FILE_FAILED, outcome=recorded)
        elif recorded.status is Status.WITHHELD:
            hub.notify(EVT_FILE_WITHHELD, outcome=recorded)
        hub.notify(EVT_PROGRESS, outcome=recorded, stats=session)

    def record_exclusions() -> None:
        while exclusions:
            record(*exclusions.popleft())

    first = next(tasks, None)
    if first is None:
        # Nothing left to do: no worker is started, no DICOM code is even loaded.
        if exclusions:
            record_exclusions()
            try:
                _Durability(manifest, ctx.dst_root,
                            recorder.sync if recorder else None).flush(final=True)
            except (OSError, sqlite3.OperationalError) as exc:
                raise _output_write_error(exc) from None
        return
    tasks = itertools.chain([first], tasks)
    stager = _start_staging(manifest, options)
    if stager is not None:
        tasks = stager.stage(tasks)
    from medanon.runner.executors import BATCH_FILES, make_executor  # workers, on demand

    durability = _Durability(manifest, ctx.dst_root, recorder.sync if recorder else None)
    last_commit = time.monotonic()
    try:
        executor = make_executor(ctx, options.workers, options.cluster,
                                 batch_files=1 if stager is not None else BATCH_FILES)
        try:
            for task, outcome in executor.run(tasks, stager.release if stager else None):
                record(task.stamp, outcome)
                record_exclusions()
                if manifest.pending >= COMMIT_EVERY_FILES or \
                        time.monotonic() - last_commit > COMMIT_EVERY_SECONDS:
                    durability.flush()
                    last_commit = time.monotonic()
            record_exclusions()
        except (OSError, sqlite3.OperationalError) as exc:
            raise _output_write_error(exc) from None
        finally:
            try:
                executor.close()
                durability.flush(final=True)
            except (OSError, sqlite3.OperationalError) as exc:
                raise _output_write_error(exc) from None
    finally:
        if stager is not None and stager.close():
            with contextlib.suppress(sqlite3.OperationalError):  # then the next run removes it
                manifest.forget(STAGING_RECORD)


def _output_write_error(exc: OSError | sqlite3.OperationalError) -> OutputWriteError:
    """The error that stops a run whose output (outputs or manifest) cannot be written."""
    if isinstance(exc, OSError):
        why = exc.strerror or str(exc)
    elif getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL":
        why = os.strerror(errno.ENOSPC)  # the manifest's disk is full, said as for a file
    else:
        why = f"the manifest: {exc}"
    return OutputWriteError(
        f"cannot write to the output folder ({why}); what was finished is recorded: free "
        "space or fix the folder, then rerun the same command to resume")


def _start_staging(manifest: Manifest, options: RunOptions) -> Stager | None:
    """The stager, when staging is on; its folder is recorded before anything is copied."""
    if options.staging_dir is None:
        return None
    try:
        stager = Stager(options.staging_dir, options.staging_budget)
    except OSError as exc:
        raise ConfigurationError(f"cannot create the staging folder ({exc.strerror})"
                                 ) from None
    manifest.put(STAGING_RECORD, str(stager.folder))
    return stager


def _remove_staging_leftovers(manifest: Manifest) -> int:
    """Remove the staged copies an earlier session could not (killed, power cut)."""
    recorded = manifest.get(STAGING_RECORD)
    if recorded is None:
        return 0
    removed = remove_leftovers(recorded)
    manifest.forget(STAGING_RECORD)
    return removed


class _Durability:
    """Flush outputs to disk in the background, and record a batch once it is on disk.

    Each output written since the last batch is flushed (fdatasync), and then the folders
    that name them, so that both the bytes and the names survive a power cut. That runs
    in a thread while the next files are processed; the rows of a batch are committed to
    the manifest only after the flush that covers them has returned. Only medanon's own
    files are flushed, never the rest of the machine's page cache. ``sync_log`` (the
    audit log's) runs in the same flush, so a file's audit entry is on disk before the
    manifest records the file.
    """

    def __init__(self, manifest: Manifest, root: Path,
                 sync_log: Callable[[], None] | None = None) -> None:
        self._manifest = manifest
        self._root = root
        self._sync_log = sync_log
        self._flushing: threading.Thread | None = None
        self._covered = 0
        self._error: BaseException | None = None

    def flush(self, *, final: bool = False) -> None:
        """Commit the batch the previous flush covered; start flushing the next one.

        While the previous flush is still running, this returns at once and the work goes
        on (the rows wait, staged), unless too many rows wait or this is the final flush.
        """
        if self._flushing is not None:
            if not final and self._flushing.is_alive() and \
                    self._manifest.pending < MAX_UNFLUSHED_FILES:
                return
            self._flushing.join()
            self._flushing = None
            if self._error is not None:
                raise self._error
            self._manifest.commit(self._covered)
        self._covered = self._manifest.pending
        if not self._covered:
            return
        outputs = self._manifest.pending_outputs()
        if final:
            self._flush_files(outputs)
            if self._error is not None:
                raise self._error
            self._manifest.commit()
            return
        self._flushing = threading.Thread(target=self._flush_files, args=(outputs,),
                                          name="medanon-flush", daemon=True)
        self._flushing.start()

    def _flush_files(self, outputs: list[str]) -> None:
        """Flush the outputs and their folders; one that vanished meanwhile is passed over.

        An output removed since it was written (by hand, by another program) cannot be
        made durable; its row is recorded all the same, and the next run, finding the
        output missing, processes its input again.
        """
        try:
            folders = set()
            descriptors = []
            try:
                # Start every file's write-back first (fadvise DONTNEED starts it without
                # waiting), then wait for each: the disk works on the whole batch at once
                # instead of one file at a time, and the flush keeps up with the workers.
                for relative in outputs:
                    path = self._root / relative
                    try:
                        descriptor = os.open(path, os.O_RDONLY)
                    except FileNotFoundError:
                        continue
                    descriptors.append(descriptor)
                    os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
                    folders.add(path.parent)
                for descriptor in descriptors:
                    os.fdatasync(descriptor)
            finally:
                for descriptor in descriptors:
                    os.close(descriptor)
            for folder in folders:
                _fsync_folder(folder)
            if self._sync_log is not None:
                self._sync_log()
        except BaseException as exc:  # handed to the coordinating thread, which re-raises
            self._error = exc


def _fsync_folder(path: Path) -> None:
    """Make a folder's entries (the names of its new files) durable; a vanished one is gone."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove_unclaimed_outputs(dst: Path, manifest: Manifest) -> None:
    """After an interrupted session: delete outputs the manifest does not record.

    They were being written when the run stopped; after a power cut their bytes may not
    be whole. Their inputs have no manifest row, so they are processed again.
    """
    for dirpath, dirs, files in os.walk(dst):
        dirs[:] = [d for d in dirs if d != STATE_DIR_NAME]
        for name in files:
            if not name.endswith(".dcm"):
                continue
            relative = Path(dirpath, name).relative_to(dst).as_posix()
            if manifest.output_owner(relative) is None:
                Path(dirpath, name).unlink(missing_ok=True)


def _forget_previous_run(dst: Path, state_dir: Path) -> None:
    """--restart: remove the outputs a previous run recorded, and its state."""
    manifest_path = state_dir / MANIFEST_NAME
    if manifest_path.exists():
        previous = Manifest(manifest_path)
        try:
            _remove_staging_leftovers(previous)
            for relative in previous.recorded_outputs():
                (dst / relative).unlink(missing_ok=True)
        finally:
            previous.close()
    for name in (MANIFEST_NAME, MANIFEST_NAME + "-wal", MANIFEST_NAME + "-shm"):
        (state_dir / name).unlink(missing_ok=True)
    _remove_empty_dirs(dst)
    if state_dir.exists() and not any(state_dir.iterdir()):
        shutil.rmtree(state_dir, ignore_errors=True)


def _remove_empty_dirs(root: Path) -> None:
    for dirpath, _dirs, _files in os.walk(root, topdown=False):
        path = Path(dirpath)
        if path != root and path.name != STATE_DIR_NAME:
            with contextlib.suppress(OSError):
                path.rmdir()
