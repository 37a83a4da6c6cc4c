"""One medanon run with the audit log and the HTML report off, through the Python API.

A diagnostic row of bench/dicom/run.py: the command line always keeps the audit log, so
this is the only way to time the de-identification without the log's two SHA-256 digests
of every input and output.

    python bench/dicom/medanon_no_audit.py SRC DST KEYFILE
"""

from __future__ import annotations

import sys
from pathlib import Path

from medanon.custody.keys import load_key
from medanon.profile.recipe import default_recipe
from medanon.runner.run import RunOptions, run_folder


def main() -> int:
    src, dst, key = (Path(arg) for arg in sys.argv[1:4])
    result = run_folder(src, dst, default_recipe(), load_key(key),
                        options=RunOptions(workers=1, custody=None))
    return result.report.exit_code


if __name__ == "__main__":
    sys.exit(main())
