"""``medanon serve`` between real peers: dcmtk's storescu sends, Debian's Orthanc receives.

Everything listens on and sends to loopback; every wait has a timeout.
"""

from __future__ import annotations

import io
import json
import signal
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pydicom
import pytest

from medanon.custody.audit import verify_audit
from medanon.node.ledger import Ledger
from medanon.runner.run import RunResult
from medanon.sample import SampleCollection
from tests.node.peers import ORTHANC_AE, Orthanc, Serve, storescu, wait_for

TIMEOUT = 60.0


def _counts(state: Path) -> dict[str, int]:
    ledger = Ledger(state)
    try:
        return ledger.counts()
    finally:
        ledger.close()


def _forward_to(orthanc: Orthanc) -> tuple[str, str]:
    return "--forward", f"{ORTHANC_AE}@127.0.0.1:{orthanc.dicom_port}"


def _orthanc_structure(orthanc: Orthanc) -> dict[str, tuple[str, str]]:
    """SOP Instance UID → (Study, Series Instance UID), as Orthanc indexed them."""
    studies = {s["ID"]: s["MainDicomTags"]["StudyInstanceUID"]
               for s in orthanc.get("/studies?expand")}
    series = {s["ID"]: (studies[s["ParentStudy"]], s["MainDicomTags"]["SeriesInstanceUID"])
              for s in orthanc.get("/series?expand")}
    return {i["MainDicomTags"]["SOPInstanceUID"]: series[i["ParentSeries"]]
            for i in orthanc.get("/instances?expand")}


def _all_settled(state: Path, received: int) -> Callable[[], bool]:
    def settled() -> bool:
        counts = _counts(state) if (state / "ledger.sqlite").exists() else None
        return counts is not None and counts["received"] >= received and not counts["pending"]
    return settled


def test_the_sample_arrives_in_orthanc_as_a_folder_run_writes_it(
        make_serve: Callable[..., Serve], make_orthanc: Callable[[int], Orthanc],
        sample_instances: list[Path], serve_sample: SampleCollection,
        folder_run: tuple[Path, RunResult], run_structure: dict[str, tuple[str, str]],
        tmp_path: Path) -> None:
    node = make_serve()
    orthanc = make_orthanc(node.port)
    orthanc.start()
    node.command += _forward_to(orthanc)
    node.start()
    sent = storescu(sample_instances, node.port)
    assert sent.returncode == 0, sent.stderr[-2000:]
    wait_for(_all_settled(tmp_path / "state", len(sample_instances)), TIMEOUT,
             "every instance forwarded or quarantined")

    assert _orthanc_structure(orthanc) == run_structure
    run_dst, run_result = folder_run
    by_uid = {pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID: p
              for p in run_dst.rglob("*.dcm")}
    for instance in orthanc.get("/instances"):
        stored = pydicom.dcmread(io.BytesIO(orthanc.file(instance)))
        assert stored.PatientIdentityRemoved == "YES"
        expected = pydicom.dcmread(by_uid[stored.SOPInstanceUID])
        assert stored == expected  # the data set a folder run writes, element by element
    counts = _counts(tmp_path / "state")
    assert counts["forwarded"] == serve_sample.counts.written
    assert counts["quarantined"] == run_result.report.counts["withheld"]
    assert len(list((tmp_path / "state" / "quarantine").iterdir())) == counts["quarantined"]
    assert not list((tmp_path / "state" / "queue").glob("*.dcm"))

    # The same study sent again: acknowledged, counted, not forwarded a second time.
    changes = orthanc.get("/changes?limit=1000")["Last"]
    again = storescu(sample_instances, node.port)
    assert again.returncode == 0, again.stderr[-2000:]
    wait_for(lambda: _counts(tmp_path / "state")["duplicates"] == len(sample_instances),
             TIMEOUT, "the second copies counted")
    assert orthanc.get("/changes?limit=1000")["Last"] == changes
    assert orthanc.instance_count() == serve_sample.counts.written
    assert node.stop() == 0
    log = node.text()
    assert "association from AE 'MODALITY' at 127.0.0.1 released: 39 stored" in log
    assert "summary: received 78 (39 duplicates)" in log
    audit_log = tmp_path / "state" / "audit.jsonl"
    for value in serve_sample.planted:
        assert value not in log
        assert value not in audit_log.read_text()
    verified = verify_audit(tmp_path / "state", check_outputs=False)
    assert verified.intact, verified.problem
    kinds = Counter(json.loads(line)["kind"] for line in audit_log.read_text().splitlines())
    assert kinds["received"] == 2 * len(sample_instances)
    assert kinds["file"] == len(sample_instances)
    assert kinds["forwarded"] == serve_sample.counts.written
    assert kinds["quarantined"] == run_result.report.counts["withheld"]
    assert (kinds["serve-start"], kinds["serve-end"]) == (1, 1)


def test_destination_down_then_up_everything_arrives_once(
        make_serve: Callable[..., Serve], make_orthanc: Callable[[int], Orthanc],
        sample_instances: list[Path], serve_sample: SampleCollection,
        tmp_path: Path) -> None:
    node = make_serve()
    orthanc = make_orthanc(node.port)
    node.command += _forward_to(orthanc)
    node.start()
    sent = storescu(sample_instances, node.port)
    assert sent.returncode == 0, sent.stderr[-2000:]
    state = tmp_path / "state"
    # The burned-in files are cleaned, not quarantined: every instance waits for the peer.
    wait_for(lambda: _counts(state)["pending"] == serve_sample.counts.written, TIMEOUT,
             "every instance queued")
    assert _counts(state)["quarantined"] == 0
    # SIGTERM stops cleanly and keeps the queue; the next start resumes it.
    assert node.stop() == 0
    assert f"stopped; {serve_sample.counts.written} instances stay queued" in node.text()
    orthanc.start()
    node.start()
    wait_for(_all_settled(state, len(sample_instances)), TIMEOUT, "the queue drained")
    assert orthanc.instance_count() == serve_sample.counts.written
    assert _counts(state)["forwarded"] == serve_sample.counts.written
    assert "retrying with back-off" in node.text()


def test_killed_with_a_full_queue_resumes_and_delivers_once(
        make_serve: Callable[..., Serve], make_orthanc: Callable[[int], Orthanc],
        sample_instances: list[Path], serve_sample: SampleCollection,
        tmp_path: Path) -> None:
    node = make_serve()
    orthanc = make_orthanc(node.port)
    node.command += _forward_to(orthanc)
    node.start()
    assert storescu(sample_instances, node.port).returncode == 0
    node.stop(signal.SIGKILL)
    state = tmp_path / "state"
    queued = len(list((state / "queue").glob("*.dcm")))
    assert queued >= serve_sample.counts.written  # every image is still there
    orthanc.start()
    node.start()
    wait_for(_all_settled(state, len(sample_instances)), TIMEOUT, "the queue drained")
    counts = _counts(state)
    assert counts["forwarded"] == serve_sample.counts.written
    assert counts["received"] == len(sample_instances)
    assert orthanc.instance_count() == serve_sample.counts.written
    assert f"queue: {queued} instances waiting from an earlier session" in node.text()


def test_a_sender_not_on_the_allow_list_is_rejected(
        make_serve: Callable[..., Serve], sample_instances: list[Path],
        tmp_path: Path) -> None:
    node = make_serve("--out", str(tmp_path / "out"), "--allow", "MODALITY")
    node.start()
    refused = storescu(sample_instances[:1], node.port, calling="INTRUDER")
    assert refused.returncode != 0
    assert "Calling AE Title Not Recognized" in refused.stdout + refused.stderr
    accepted = storescu(sample_instances[:1], node.port)
    assert accepted.returncode == 0, accepted.stderr[-2000:]
    assert node.stop() == 0
    assert "AE 'INTRUDER' at 127.0.0.1 rejected" in node.text()
    assert _counts(tmp_path / "state")["received"] == 1


def test_out_is_byte_for_byte_what_a_folder_run_writes(
        make_serve: Callable[..., Serve], sample_instances: list[Path],
        folder_run: tuple[Path, RunResult], tmp_path: Path,
        make_tree_snapshot: Callable[[Path], dict[str, bytes]]) -> None:
    out = tmp_path / "out"
    node = make_serve("--out", str(out))
    node.start()
    assert storescu(sample_instances, node.port).returncode == 0
    wait_for(_all_settled(tmp_path / "state", len(sample_instances)), TIMEOUT,
             "every instance written or quarantined")
    assert node.stop() == 0
    assert make_tree_snapshot(out) == make_tree_snapshot(folder_run[0])


@pytest.fixture()
def make_tree_snapshot() -> Callable[[Path], dict[str, bytes]]:
    def snapshot(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
                if p.is_file() and ".medanon" not in p.relative_to(root).parts}
    return snapshot


def test_two_senders_at_once_each_instance_is_kept_once(
        make_serve: Callable[..., Serve], sample_instances: list[Path],
        serve_sample: SampleCollection, tmp_path: Path) -> None:
    out = tmp_path / "out"
    node = make_serve("--out", str(out))
    node.start()
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda calling: storescu(sample_instances, node.port,
                                                         calling=calling), ["CT1", "CT2"]))
    assert [r.returncode for r in results] == [0, 0]
    state = tmp_path / "state"
    wait_for(_all_settled(state, 2 * len(sample_instances)), TIMEOUT, "both copies settled")
    counts = _counts(state)
    assert counts["duplicates"] == len(sample_instances)
    assert counts["written"] == serve_sample.counts.written
    assert len(list(out.rglob("*.dcm"))) == serve_sample.counts.written
