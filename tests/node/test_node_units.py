"""The node's pure parts: status classes, settings, back-off, the ledger and its recovery."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medanon.errors import ConfigurationError
from medanon.node.deliver import backoff
from medanon.node.ledger import Ledger, State
from medanon.node.queue import InstanceQueue, OutOfSpace
from medanon.node.service import (
    forget_stale_outputs,
    lock_state_folder,
    recover,
    refuse_collection_privacy,
)
from medanon.node.settings import Destination, ServeSettings
from medanon.node.statuses import Delivery, classify, describe
from medanon.profile.recipe import default_recipe


@pytest.mark.parametrize(("status", "delivery"), [
    (0x0000, Delivery.CONFIRMED), (0xB000, Delivery.CONFIRMED), (0x0107, Delivery.CONFIRMED),
    (0xA700, Delivery.TRANSIENT), (0xA7FF, Delivery.TRANSIENT), (None, Delivery.TRANSIENT),
    (0xA900, Delivery.PERMANENT), (0xC000, Delivery.PERMANENT), (0x0122, Delivery.PERMANENT),
    (0x0124, Delivery.PERMANENT), (0xFE00, Delivery.PERMANENT),
])
def test_statuses_are_classified(status: int | None, delivery: Delivery) -> None:
    assert classify(status) is delivery


def test_a_status_reason_names_its_code() -> None:
    assert describe(0xA702) == "the destination answered 0xA702 (out of resources)"
    assert describe(0x0122).endswith("(SOP class not supported)")


@given(st.integers(min_value=0, max_value=10_000), st.floats(min_value=0.1, max_value=3600))
def test_backoff_doubles_up_to_its_ceiling(attempts: int, ceiling: float) -> None:
    delay = backoff(attempts, ceiling)
    assert 0 < delay <= ceiling
    assert backoff(attempts + 1, ceiling) >= delay


def test_a_destination_is_read_from_ae_at_host_port() -> None:
    assert Destination.parse("ORTHANC@127.0.0.1:4242") == Destination("ORTHANC", "127.0.0.1",
                                                                      4242)
    for bad in ("ORTHANC@127.0.0.1", "127.0.0.1:4242", "A@h:0", "A@h:70000",
                "SEVENTEEN_CHARS_X@h:1"):
        with pytest.raises(ConfigurationError):
            Destination.parse(bad)


def test_settings_refuse_what_would_be_unsafe(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="exactly one"):
        ServeSettings("MEDANON", 11112, tmp_path)
    with pytest.raises(ConfigurationError, match="loopback"):
        ServeSettings("MEDANON", 11112, tmp_path, out=tmp_path, host="0.0.0.0")  # noqa: S104
    with pytest.raises(ConfigurationError, match="AE title"):
        ServeSettings("MEDANON", 11112, tmp_path, out=tmp_path, allow=("BAD\\AE",))
    accepted = ServeSettings("MEDANON", 11112, tmp_path, out=tmp_path, host="0.0.0.0",  # noqa: S104
                             allow=("CT1",))
    assert accepted.allow == ("CT1",)


def test_the_default_recipe_is_served() -> None:
    refuse_collection_privacy(default_recipe())  # no [privacy] section: nothing to refuse


def test_every_instance_ends_in_one_state(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    try:
        assert ledger.receive("a") is None
        assert ledger.receive("b") is None
        assert ledger.receive("a") is State.PENDING  # a second copy
        ledger.postpone("b", lambda attempts: 3600.0, "destination down")
        assert ledger.due(10) == ["a"]
        ledger.finish("a", State.FORWARDED)
        assert ledger.receive("a") is State.FORWARDED
        counts = ledger.counts()
        assert (counts["received"], counts["duplicates"]) == (4, 2)
        assert (counts["forwarded"], counts["pending"]) == (1, 1)
        ledger.retry_now()
        assert ledger.due(10) == ["b"]
        (entry,) = ledger.entries([State.PENDING])
        assert (entry.name, entry.attempts, entry.reason) == ("b", 1, "destination down")
    finally:
        ledger.close()


def test_recovery_adopts_queued_files_and_drops_finished_ones(tmp_path: Path) -> None:
    queue = InstanceQueue(tmp_path, reserve_bytes=0)
    ledger = Ledger(tmp_path)
    try:
        for name in ("kept", "unrecorded", "done"):
            queue.put(name, b"\0" * 132)
        ledger.receive("kept")
        ledger.receive("done")
        ledger.finish("done", State.WRITTEN)
        ledger.receive("moved")  # stopped between its move to quarantine and the record
        queue.put("moved", b"\0" * 132)
        queue.quarantine("moved")
        line = recover(queue, ledger)
        assert line == "queue: 3 instances waiting from an earlier session (1 recovered " \
                       "from the queue folder)"
        assert sorted(queue.names()) == ["kept", "moved", "unrecorded"]
        assert ledger.state_of("unrecorded") is State.PENDING
    finally:
        ledger.close()


def test_the_queue_refuses_below_its_reserve(tmp_path: Path) -> None:
    queue = InstanceQueue(tmp_path, reserve_bytes=1 << 62)
    with pytest.raises(OutOfSpace):
        queue.put("x", b"data")
    assert not list(queue.names())


def test_a_changed_recipe_or_key_makes_waiting_outputs_stale(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    outbox = tmp_path / "outbox"
    (outbox / "P").mkdir(parents=True)
    try:
        assert forget_stale_outputs(ledger, outbox, "recipe-a:key-a") == 0
        ledger.receive("waiting")
        ledger.mark_ready("waiting", "P/x.dcm")
        (outbox / "P" / "x.dcm").write_bytes(b"made with recipe a")
        assert ledger.due(10) == []
        assert ledger.due_to_send(10) == [("waiting", "P/x.dcm")]
        assert ledger.next_due(to_send=False) is None  # nothing to de-identify: no spinning
        assert ledger.next_due(to_send=True) == 0
        assert forget_stale_outputs(ledger, outbox, "recipe-a:key-a") == 0
        assert forget_stale_outputs(ledger, outbox, "recipe-b:key-a") == 1
        assert not (outbox / "P" / "x.dcm").exists()
        assert ledger.due(10) == ["waiting"]
        assert ledger.due_to_send(10) == []
    finally:
        ledger.close()


def test_the_queue_and_quarantine_are_private(tmp_path: Path) -> None:
    queue = InstanceQueue(tmp_path / "state", reserve_bytes=0)
    for folder in (tmp_path / "state", queue.root, queue.quarantine_root):
        assert folder.stat().st_mode & 0o077 == 0


def test_one_node_per_state_folder(tmp_path: Path) -> None:
    held = lock_state_folder(tmp_path / "state")
    try:
        with pytest.raises(ConfigurationError, match="another medanon serve"):
            lock_state_folder(tmp_path / "state")
    finally:
        os.close(held)
    os.close(lock_state_folder(tmp_path / "state"))  # free again once released
