"""The raw fast path of the transform and its general path give the same bytes.

Common actions (UID remapping, date shifting, dummies, person-name pseudonyms) are done
straight on the raw bytes when they are plain ASCII; everything else goes through
pydicom's decoded values. Both must write exactly the same output.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pydicom.data
import pytest
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.tag import BaseTag

from medanon.dicom import backend
from medanon.dicom.backend.actions import apply_raw, raw_values
from medanon.dicom.backend.datasets import new_dataset
from medanon.dicom.backend.encode import encode_dataset
from medanon.dicom.backend.peek import patient_name_text, stored_creator, stored_uid
from medanon.dicom.backend.sequences import decode_sequence
from medanon.profile.model import Action
from medanon.sample import generate_sample
from tests.dicom.test_fastread import PYDICOM_FILES, _outputs


def test_raw_and_general_paths_agree(tmp_path: Path) -> None:
    collection = generate_sample(tmp_path / "sample")
    sources = [p for p in sorted(PYDICOM_FILES.iterdir()) if p.suffix == ".dcm"]
    sources += [collection.root / f for f in collection.files]
    fast = _outputs(sources, Path("/"), tmp_path / "fast")
    with backend.general_path_only():
        assert not backend.is_available()
        general = _outputs(sources, Path("/"), tmp_path / "general")
    assert backend.is_available()
    differing = [name for name in fast if fast[name] != general[name]]
    assert not differing, differing[:10]
    assert sum(1 for _status, data in fast.values() if data) >= 60
    assert pydicom.data  # the corpus the comparison runs on


def test_the_backend_names_its_dependencies() -> None:
    assert set(backend.DEPENDENCIES) == {"pydicom"}
    lowest, below = backend.DEPENDENCIES["pydicom"]
    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text()
    assert f'"pydicom>={lowest},<{below}"' in pyproject


def _raw(tag: int, vr: str, value: bytes) -> RawDataElement:
    return RawDataElement(BaseTag(tag), vr, len(value), value, 0, False, True)


def test_every_switchable_fast_path_is_off_with_the_switch() -> None:
    """The reader, the raw actions, the sequence decoder, the dataset builder and the raw peeks."""
    item = encode_dataset(Dataset({0x00080100: _raw(0x00080100, "SH", b"CODE")}),
                          implicit_vr=False, little_endian=True)
    sequence = b"\xfe\xff\x00\xe0" + len(item).to_bytes(4, "little") + item
    elements = {BaseTag(tag): _raw(tag, vr, value) for tag, vr, value in (
        (0x00080018, "UI", b"1.2.3\x00"), (0x00100010, "PN", b"DOE^JOHN"),
        (0x00091010, "LO", b"ACME"), (0x00081032, "SQ", sequence))}
    raw_uid = elements[BaseTag(0x00080018)]
    fast = new_dataset(dict(elements), implicit_vr=False, little_endian=True)
    assert stored_uid(fast, "SOPInstanceUID") == "1.2.3"
    assert stored_creator(fast, BaseTag(0x00091010)) == b"ACME"
    assert decode_sequence(elements[BaseTag(0x00081032)], fast) is not None
    assert apply_raw(Action.EMPTY, raw_uid, "UI", _no_values, None) is not None
    assert raw_values(raw_uid, "UI", ["1.2.4"]) is not None
    with backend.general_path_only():
        general = new_dataset(dict(elements), implicit_vr=False, little_endian=True)
        assert vars(general) == vars(Dataset(general._dict)) | {"_read_implicit": False,
                                                                "_read_little": True}
        assert stored_uid(general, "SOPInstanceUID") is None
        assert stored_creator(general, BaseTag(0x00091010)) is None
        assert patient_name_text(general) == "DOE^JOHN"  # through pydicom's decoding
        assert decode_sequence(elements[BaseTag(0x00081032)], general) is None
        assert apply_raw(Action.EMPTY, raw_uid, "UI", _no_values, None) is None
        assert raw_values(raw_uid, "UI", ["1.2.4"]) is None
        assert backend.read_header(PYDICOM_FILES.joinpath("CT_small.dcm").read_bytes(),
                                   PYDICOM_FILES.joinpath("CT_small.dcm").stat().st_size) is None
    assert all(isinstance(element, RawDataElement) for element in general.values())


def _no_values(action: Action, vr: str, tag: BaseTag, parts: list[str], ctx: None) -> None:
    return None


def test_the_general_path_reads_no_private_pydicom_attribute(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run with the backend off, medanon's own code asks datasets for public names only.

    Every attribute medanon reads on a pydicom dataset, element or sequence is recorded
    (pydicom's own methods are free to use their internals); none may be private.
    """
    touched: set[str] = set()
    for cls in (Dataset, DataElement, Sequence):
        original = cls.__getattribute__

        def recording(obj: object, name: str, _original: Any = original) -> Any:
            if name.startswith("_") and not name.startswith("__"):
                caller = sys._getframe(1).f_globals.get("__name__", "")
                if caller.startswith("medanon"):
                    touched.add(f"{caller}: {type(obj).__name__}.{name}")
            return _original(obj, name)

        monkeypatch.setattr(cls, "__getattribute__", recording)
    collection = generate_sample(tmp_path / "sample")
    sources = [PYDICOM_FILES / name for name in (
        "CT_small.dcm", "MR_small_implicit.dcm", "ExplVR_BigEnd.dcm", "rtplan.dcm",
        "rtdose_rle.dcm", "SC_rgb_jpeg.dcm", "JPEG2000.dcm", "nested_priv_SQ.dcm",
        "UN_sequence.dcm", "reportsi.dcm")]
    sources += [collection.root / f for f in collection.files]  # Latin-1, ISO 2022 JP, UTF-8
    with backend.general_path_only():
        outputs = _outputs(sources, Path("/"), tmp_path / "general")
    assert sum(1 for _status, data in outputs.values() if data) >= 20
    assert not touched, sorted(touched)
    touched.clear()
    _outputs(sources[:1], Path("/"), tmp_path / "fast")
    assert touched  # the recording works: the fast path does read internals
