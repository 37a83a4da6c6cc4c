"""``medanon serve`` answering a pynetdicom SCU: echo, a corrupt data set, a full disk,
a modality that proposes JPEG baseline only, and the command line's refusals."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pydicom
import pytest
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, JPEGBaseline8Bit
from pynetdicom import AE, AllStoragePresentationContexts, _config, evt
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

from medanon.cli.serve import status_lines
from medanon.errors import ConfigurationError
from medanon.node.ledger import Ledger, State
from medanon.node.receive import TRANSFER_SYNTAXES
from medanon.sample import SampleCollection
from tests.node.peers import LOOPBACK, REPO, SENDER_AE, SERVE_AE, Serve, free_port, wait_for

TIMEOUT = 30.0


def _counts(state: Path) -> dict[str, int]:
    ledger = Ledger(state)
    try:
        return ledger.counts()
    finally:
        ledger.close()


def _corrupt_instance(path: Path) -> Path:
    """Valid file meta, then a data set whose second element claims more bytes than exist."""
    meta = pydicom.dataset.FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = "2.25.1234567890"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset = pydicom.Dataset()
    dataset.file_meta = meta
    dataset.SOPClassUID = CTImageStorage
    dataset.SOPInstanceUID = "2.25.1234567890"
    dataset.save_as(path, enforce_file_format=True)
    with open(path, "ab") as handle:  # (0010,0010) PN with a length far beyond the end
        handle.write(b"\x10\x00\x10\x00PN\xff\x7fDOE")
    return path


def _association(port: int, syntaxes: list[str], calling: str = SENDER_AE
                 ) -> pydicom.Dataset | None:
    ae = AE(ae_title=calling)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    ae.add_requested_context(Verification)
    for sop_class in (CTImageStorage, "1.2.840.10008.5.1.4.1.1.7", "1.2.840.10008.5.1.4.1.1.4",
                      "1.2.840.10008.5.1.4.1.1.6.1"):
        for syntax in syntaxes:  # one context each: the SCP picks one syntax per context
            ae.add_requested_context(sop_class, syntax)
    return ae.associate(LOOPBACK, port, ae_title=SERVE_AE)


def test_a_corrupt_data_set_is_quarantined_and_the_association_goes_on(
        make_serve: Callable[..., Serve], sample_instances: list[Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_config, "STORE_SEND_CHUNKED_DATASET", True)  # send bytes as they are
    node = make_serve("--out", str(tmp_path / "out"))
    node.start()
    good = next(p for p in sample_instances
                if pydicom.dcmread(p, stop_before_pixels=True).Modality == "CT")
    assoc = _association(node.port, [ExplicitVRLittleEndian])
    assert assoc is not None and assoc.is_established
    try:
        assert assoc.send_c_echo().Status == 0x0000
        assert assoc.send_c_store(_corrupt_instance(tmp_path / "corrupt.dcm")).Status == 0x0000
        assert assoc.send_c_store(good).Status == 0x0000
    finally:
        assoc.release()
    state = tmp_path / "state"
    wait_for(lambda: _counts(state)["pending"] == 0, TIMEOUT, "both instances settled")
    counts = _counts(state)
    assert (counts["quarantined"], counts["written"]) == (1, 1)
    ledger = Ledger(state)
    try:
        (entry,) = ledger.entries([State.QUARANTINED])
    finally:
        ledger.close()
    assert entry.reason is not None and "truncated" in entry.reason
    assert "DOE" not in node.text()
    assert [p.name for p in (state / "quarantine").iterdir()] == [entry.name + ".dcm"]


def test_a_full_disk_answers_out_of_resources_and_keeps_nothing(
        make_serve: Callable[..., Serve], sample_instances: list[Path], tmp_path: Path) -> None:
    # The reserve is more than any disk holds: the queue's disk counts as full.
    node = make_serve("--out", str(tmp_path / "out"), "--reserve", "1000T")
    node.start()
    ct = next(p for p in sample_instances
              if pydicom.dcmread(p, stop_before_pixels=True).Modality == "CT")
    assoc = _association(node.port, [ExplicitVRLittleEndian])
    assert assoc is not None and assoc.is_established
    try:
        status = int(assoc.send_c_store(pydicom.dcmread(ct)).Status)
    finally:
        assoc.release()
    assert 0xA700 <= status <= 0xA7FF
    assert node.stop() == 0
    assert _counts(tmp_path / "state")["received"] == 0
    assert not list((tmp_path / "state" / "queue").iterdir())
    assert "answering Out of Resources" in node.text()


def test_a_modality_proposing_only_jpeg_baseline_is_accepted(
        make_serve: Callable[..., Serve], serve_sample: SampleCollection,
        tmp_path: Path) -> None:
    jpeg = next(serve_sample.root / f.path for f in serve_sample.dicom_files
                if f.transfer_syntax == JPEGBaseline8Bit)
    node = make_serve("--out", str(tmp_path / "out"))
    node.start()
    assoc = _association(node.port, [JPEGBaseline8Bit])
    assert assoc is not None and assoc.is_established
    try:
        assert assoc.send_c_store(pydicom.dcmread(jpeg)).Status == 0x0000
    finally:
        assoc.release()
    wait_for(lambda: _counts(tmp_path / "state")["pending"] == 0, TIMEOUT, "the instance")
    assert _counts(tmp_path / "state")["written"] == 1


def _medanon(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "medanon.cli.main", *args], cwd=REPO,
                          env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=60, check=False)


def test_without_an_allow_list_only_loopback_is_served(tmp_path: Path,
                                                        serve_key_file: Path) -> None:
    done = _medanon("serve", "--host", "0.0.0.0", "--out", str(tmp_path / "o"),  # noqa: S104
                    "--key", str(serve_key_file), "--queue", str(tmp_path / "q"))
    assert done.returncode == 2
    assert done.stderr.startswith("medanon: error: without --allow, serve accepts loopback")


def test_status_prints_the_ledger(make_serve: Callable[..., Serve],
                                  sample_instances: list[Path], tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no medanon serve state"):
        status_lines(tmp_path / "nowhere", as_json=False)
    node = make_serve("--out", str(tmp_path / "out"))
    node.start()
    burned = [p for p in sample_instances
              if pydicom.dcmread(p, stop_before_pixels=True).Modality in ("OT", "US")]
    assoc = _association(node.port, [ExplicitVRLittleEndian, JPEGBaseline8Bit])
    assert assoc is not None and assoc.is_established
    try:
        for path in burned:
            assoc.send_c_store(pydicom.dcmread(path))
    finally:
        assoc.release()
    wait_for(lambda: _counts(tmp_path / "state")["pending"] == 0, TIMEOUT, "settled")
    assert node.stop() == 0
    text = _medanon("serve", "status", "--queue", str(tmp_path / "state"))
    assert text.returncode == 0
    counts = _counts(tmp_path / "state")
    assert f"received     {counts['received']}" in text.stdout
    (dumped,) = status_lines(tmp_path / "state", as_json=True)
    listed = json.loads(dumped)
    assert listed["counts"] == counts
    assert len(listed["instances"]) == counts["quarantined"] + counts["pending"]
    assert all(item["reason"] for item in listed["instances"])


def test_a_recipe_with_collection_privacy_is_refused(tmp_path: Path,
                                                      serve_key_file: Path) -> None:
    recipe = tmp_path / "privacy.toml"
    recipe.write_text('[privacy]\nk = 5\nquasi_identifiers = ["age", "PatientSex"]\n')
    done = _medanon("serve", "--recipe", str(recipe), "--out", str(tmp_path / "o"),
                    "--key", str(serve_key_file), "--queue", str(tmp_path / "q"))
    assert done.returncode == 2
    assert done.stderr.startswith("medanon: error: the recipe has a [privacy] section")
    assert not (tmp_path / "q" / "ledger.sqlite").exists()


def test_transient_statuses_are_retried_and_a_permanent_refusal_quarantined(
        make_serve: Callable[..., Serve], sample_instances: list[Path], tmp_path: Path) -> None:
    """The destination, a pynetdicom SCP here, first answers Out of Resources to every
    instance, then accepts CT and refuses MR for good (0xA900)."""
    attempts: dict[str, int] = {}

    def on_store(event: evt.Event) -> int:
        uid = str(event.request.AffectedSOPInstanceUID)
        attempts[uid] = attempts.get(uid, 0) + 1
        if attempts[uid] == 1:
            return 0xA700
        return 0x0000 if event.dataset.Modality == "CT" else 0xA900

    destination = AE(ae_title="ARCHIVE")
    for context in AllStoragePresentationContexts:
        destination.add_supported_context(context.abstract_syntax, list(TRANSFER_SYNTAXES))
    port = free_port()
    server = destination.start_server((LOOPBACK, port), block=False,
                                      evt_handlers=[(evt.EVT_C_STORE, on_store)])
    try:
        node = make_serve("--forward", f"ARCHIVE@{LOOPBACK}:{port}")
        node.start()
        chosen = {}
        for path in sample_instances:
            modality = pydicom.dcmread(path, stop_before_pixels=True).Modality
            if modality in ("CT", "MR") and modality not in chosen:
                chosen[modality] = path
        assoc = _association(node.port, [ExplicitVRLittleEndian])
        assert assoc is not None and assoc.is_established
        try:
            for path in chosen.values():
                assert assoc.send_c_store(pydicom.dcmread(path)).Status == 0x0000
        finally:
            assoc.release()
        state = tmp_path / "state"
        wait_for(lambda: _counts(state)["pending"] == 0 and _counts(state)["received"] == 2,
                 TIMEOUT, "both instances settled")
    finally:
        server.shutdown()
    counts = _counts(state)
    assert (counts["forwarded"], counts["quarantined"]) == (1, 1)
    assert sorted(attempts.values()) == [2, 2]
    ledger = Ledger(state)
    try:
        (entry,) = ledger.entries([State.QUARANTINED])
    finally:
        ledger.close()
    assert entry.reason == "the destination answered 0xA900 (data set does not match SOP class)"
    assert entry.attempts == 1
