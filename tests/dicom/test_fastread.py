"""The fast backend and the general path (public pydicom) give the same output, byte for byte."""

from __future__ import annotations

from pathlib import Path

import pydicom.data

from medanon.custody.keys import SecretKey
from medanon.dicom import backend
from medanon.profile.recipe import parse_recipe
from medanon.profile.ruleset import build_ruleset
from medanon.runner.process import RunContext, process_file
from medanon.sample import generate_sample

PYDICOM_FILES = Path(pydicom.data.__file__).parent / "test_files"


def _outputs(sources: list[Path], root: Path, dst: Path) -> dict[str, tuple[str, bytes]]:
    recipe = parse_recipe('allow_unchecked_burned_in = true\n'
                          'options = ["retain-longitudinal-modified-dates", "clean-descriptors"]\n')
    ctx = RunContext(root, dst, build_ruleset(recipe), SecretKey(b"fast-read-test".ljust(32)))
    results = {}
    for index, path in enumerate(sources):
        outcome = process_file(path, ctx)
        data = (dst / outcome.output).read_bytes() if outcome.output else b""
        results[path.name + str(index)] = (f"{outcome.status}:{outcome.reason}", data)
        if outcome.output:
            (dst / outcome.output).unlink()  # keep clashes out of the comparison
    return results


def test_fast_and_general_readers_agree(tmp_path: Path) -> None:
    collection = generate_sample(tmp_path / "sample")
    sources = [p for p in sorted(PYDICOM_FILES.iterdir()) if p.suffix == ".dcm"]
    sources += [collection.root / f for f in collection.files]
    fast = _outputs(sources, Path("/"), tmp_path / "fast")
    assert backend.is_available()  # the pydicom the backend is tested with
    with backend.general_path_only():
        general = _outputs(sources, Path("/"), tmp_path / "general")
    differing = [name for name in fast if fast[name] != general[name]]
    assert not differing, differing[:10]
    assert sum(1 for status, data in fast.values() if data) >= 60
