"""Every sample file passes dciodvfy (dicom3tools) without errors; warnings are expected.

Expected warnings: attributes outside the IOD (patient address and phone, requesting
physician, retired overlay comments and curve data, a private coding scheme): real
files carry them, and they are what a de-identifier must handle.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from medanon.sample import FileKind, SampleCollection

pytestmark = pytest.mark.system


@pytest.mark.skipif(shutil.which("dciodvfy") is None, reason="dicom3tools not installed")
def test_dciodvfy_reports_no_errors(sample: SampleCollection) -> None:
    paths = [*(f.path for f in sample.dicom_files), *sample.paths_of(FileKind.DICOMDIR)]
    errors: dict[str, list[str]] = {}
    for path in paths:
        result = subprocess.run(["dciodvfy", str(sample.root / path)], capture_output=True,
                                text=True, errors="replace", check=False)
        lines = [x for x in (result.stdout + result.stderr).splitlines() if x.startswith("Error")]
        if lines:
            errors[path] = lines
    assert errors == {}
