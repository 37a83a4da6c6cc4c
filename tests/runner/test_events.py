"""The event seam: notifications fan out, a failing site handler is logged and the run goes
on, essential handlers run first, interventions have a safe default, and the same events
come in the same order with one worker and with a pool."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset

from medanon.api import deidentify_dataset
from medanon.custody.keys import SecretKey
from medanon.dicom.plan import EMPTY_PLAN, CollectionPlan
from medanon.errors import ConfigurationError, DeidentificationError
from medanon.events import (
    EVT_FILE_DONE,
    EVT_FILE_FAILED,
    EVT_FILE_WITHHELD,
    EVT_PLAN_LOOKUP,
    EVT_PROGRESS,
    EVT_RUN_FINISHED,
    EVT_RUN_STARTED,
    EVT_WITHHOLD_LOOKUP,
    Event,
    EventHub,
    HandlerBinding,
    withhold_rule,
)
from medanon.profile.recipe import default_recipe
from medanon.runner.outcome import Status
from medanon.runner.run import RunOptions, RunResult, run_folder
from medanon.sample import SampleCollection

KEY = SecretKey(bytes(range(32)))


def _run(src: Path, dst: Path, workers: int, handlers: list[HandlerBinding]) -> RunResult:
    return run_folder(src, dst, default_recipe(), KEY, options=RunOptions(workers=workers),
                      handlers=handlers)


def test_a_failing_handler_is_logged_and_the_run_completes(
        sample_collection: SampleCollection, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    def broken(event: Event) -> None:
        raise RuntimeError("a value that must not be logged")

    seen: list[str] = []
    with caplog.at_level(logging.ERROR, logger="medanon.events"):
        result = _run(sample_collection.root, tmp_path / "out", 1,
                      [(EVT_FILE_DONE, broken),
                       (EVT_FILE_DONE, lambda event: seen.append(event.outcome.source_id))])
    counts = result.report.counts
    assert sum(counts.values()) == len(seen) == len(sample_collection.files)
    errors = [r.getMessage() for r in caplog.records if r.name == "medanon.events"]
    assert len(errors) == len(seen)
    assert all("RuntimeError" in e and "must not be logged" not in e for e in errors)


def test_events_name_every_outcome_once_and_in_the_same_order_for_any_workers(
        sample_collection: SampleCollection, tmp_path: Path) -> None:
    streams: list[list[tuple[str, str]]] = []
    for workers in (1, 2):
        stream: list[tuple[str, str]] = []

        def note(event: Event, log: list[tuple[str, str]] = stream) -> None:
            log.append((event.event.name,
                        event.outcome.source_id if event.outcome is not None else ""))

        _run(sample_collection.root, tmp_path / f"out{workers}", workers,
             [(evt, note) for evt in (EVT_RUN_STARTED, EVT_FILE_DONE, EVT_FILE_FAILED,
                                      EVT_FILE_WITHHELD, EVT_RUN_FINISHED)])
        streams.append(stream)
    one, pool = streams
    assert one[0][0] == "EVT_RUN_STARTED" and one[-1][0] == "EVT_RUN_FINISHED"
    done = [source for name, source in one if name == "EVT_FILE_DONE"]
    assert len(done) == len(set(done)) == len(sample_collection.files)
    assert sorted(one) == sorted(pool)  # the same events; the order follows the manifest


def test_status_events_follow_their_file_done(sample_collection: SampleCollection,
                                              tmp_path: Path) -> None:
    names: list[tuple[str, Status]] = []
    _run(sample_collection.root, tmp_path / "out", 1,
         [(evt, lambda event, evt=evt: names.append((evt.name, event.outcome.status)))
          for evt in (EVT_FILE_DONE, EVT_FILE_FAILED, EVT_FILE_WITHHELD)])
    for position, (name, status) in enumerate(names):
        if name != "EVT_FILE_DONE":
            assert names[position - 1] == ("EVT_FILE_DONE", status)
            assert status is (Status.FAILED if name == "EVT_FILE_FAILED" else Status.WITHHELD)
    assert any(name == "EVT_FILE_FAILED" for name, _ in names)


def test_essential_handlers_run_first_and_their_errors_propagate() -> None:
    hub = EventHub()
    order: list[str] = []
    hub.bind(EVT_PROGRESS, lambda event: order.append("site"))
    hub.bind(EVT_PROGRESS, lambda event: order.append("audit"), essential=True)
    hub.bind(EVT_PROGRESS, lambda event: order.append("counts"), essential=True)
    hub.notify(EVT_PROGRESS)
    assert order == ["audit", "counts", "site"]

    def failing(event: Event) -> None:
        raise OSError("disk full")

    hub.bind(EVT_PROGRESS, failing, essential=True)
    with pytest.raises(OSError):
        hub.notify(EVT_PROGRESS)


def test_the_plan_lookup_defaults_to_the_given_plan_and_one_handler_replaces_it(
        sample_collection: SampleCollection, tmp_path: Path) -> None:
    hub = EventHub()
    assert hub.intervene(EVT_PLAN_LOOKUP, plan=EMPTY_PLAN) is EMPTY_PLAN
    marked = CollectionPlan(method="k-anonymity k=5 per patient (test)")
    hub.bind(EVT_PLAN_LOOKUP, lambda event: EMPTY_PLAN)
    hub.bind(EVT_PLAN_LOOKUP, lambda event: marked)  # the last binding is the one
    assert hub.intervene(EVT_PLAN_LOOKUP, plan=EMPTY_PLAN) is marked
    with pytest.raises(ConfigurationError):
        _run(sample_collection.root, tmp_path / "out", 1,
             [(EVT_PLAN_LOOKUP, lambda event: "not a plan")])


def test_a_handler_that_is_not_callable_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        EventHub([(EVT_FILE_DONE, "print")])  # type: ignore[list-item]


class WithholdModality:
    """A site's rule, picklable for worker processes: withhold every file of a modality."""

    def __init__(self, modality: str) -> None:
        self.modality = modality

    def __call__(self, dataset: Dataset) -> bool:
        return str(dataset.get("Modality", "")) == self.modality


def _written_modalities(out: Path) -> Counter[str]:
    return Counter(str(dcmread(path, stop_before_pixels=True).get("Modality", ""))
                   for path in out.rglob("*.dcm") if ".medanon" not in path.parts)


def test_the_withhold_rule_only_adds_to_what_is_withheld_and_names_itself(
        sample_collection: SampleCollection, tmp_path: Path) -> None:
    plain = _run(sample_collection.root, tmp_path / "plain", 1, [])
    before = _written_modalities(tmp_path / "plain")
    modality = before.most_common(1)[0][0]
    rule = WithholdModality(modality)
    for workers in (1, 2):
        out = tmp_path / f"ruled{workers}"
        ruled = _run(sample_collection.root, out, workers,
                     [(EVT_WITHHOLD_LOOKUP, lambda event: rule)])
        after = _written_modalities(out)
        assert modality not in after
        assert after == Counter({m: n for m, n in before.items() if m != modality})
        withheld = ruled.report.counts.get(Status.WITHHELD.value, 0)
        assert withheld == plain.report.counts.get(Status.WITHHELD.value, 0) + before[modality]
        reasons = [p["reason"] for p in ruled.report.problems]
        assert sum("withheld by the site's rule WithholdModality" in r
                   for r in reasons) == before[modality]


def test_the_withhold_lookup_defaults_to_no_rule_and_refuses_what_cannot_work(
        sample_collection: SampleCollection, tmp_path: Path) -> None:
    assert withhold_rule(EventHub()) is None
    with pytest.raises(ConfigurationError, match="not callable"):
        withhold_rule(EventHub([(EVT_WITHHOLD_LOOKUP, lambda event: "MR")]))
    local = EventHub([(EVT_WITHHOLD_LOOKUP, lambda event: lambda dataset: False)])
    assert withhold_rule(local, workers=1) is not None  # one worker: nothing is pickled
    with pytest.raises(ConfigurationError, match="module level"):
        _run(sample_collection.root, tmp_path / "out", 2,
             [(EVT_WITHHOLD_LOOKUP, lambda event: lambda dataset: False)])
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_the_api_applies_a_withhold_rule(sample_collection: SampleCollection) -> None:
    path = next(p for p in sample_collection.root.rglob("*")
                if p.is_file() and _modality(p) not in ("", None))
    dataset = dcmread(path)
    rule = WithholdModality(str(dataset.Modality))
    with pytest.raises(DeidentificationError, match="WithholdModality"):
        deidentify_dataset(dataset, KEY, withhold=rule)
    assert deidentify_dataset(dataset, KEY, withhold=WithholdModality("none")) is not None


def _modality(path: Path) -> str | None:
    try:
        return str(dcmread(path, stop_before_pixels=True).get("Modality", ""))
    except Exception:
        return None
