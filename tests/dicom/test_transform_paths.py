"""The raw fast path of the transform and its general path give the same bytes.

Common actions (UID remapping, date shifting, dummies, person-name pseudonyms) are done
straight on the raw bytes when they are plain ASCII; everything else goes through
pydicom's decoded values. Both must write exactly the same output.
"""

from __future__ import annotations

from pathlib import Path

import pydicom.data

from medanon.dicom import backend
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
