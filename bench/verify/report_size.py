"""How big and how fast the HTML report is for a run of a million files.

Synthetic run report: 1,000,000 input files, 200,000 of them withheld (each listed in
the run's report.json), 300,000 findings, 3,000 census attributes with 10,000+ distinct
values each. Measures the time to build and render the report, its size, and how long
headless chromium takes to load it (``--dump-dom``) against an empty page (the browser's
own start-up), three times each.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "src"))

from medanon.report.data import build_report_data  # noqa: E402
from medanon.report.render import render_html  # noqa: E402
from medanon.verify import Finding, VerifyResult  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


def _load_seconds(page: Path, profile: Path) -> float:
    started = time.monotonic()
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                    "--dump-dom", page.as_uri()], capture_output=True, check=True, timeout=120)
    return time.monotonic() - started


def main() -> None:
    run = {"settings": {"mode": "blacklist"}, "files": 1_000_000,
           "counts": {"written": 800_000, "withheld": 200_000},
           "problems": [{"file": f"{n:020x}", "status": "withheld",
                         "reason": "BurnedInAnnotation is YES"} for n in range(200_000)],
           "whitelist_review": [], "this_session": {"processed": 1_000_000,
                                                    "elapsed_seconds": 5000.0}}
    findings = [Finding(f"MA{n:012d}/1.dcm", "(0010,0010)", "name",
                        "PN value is not a pseudonym") for n in range(300_000)]
    census = [{"path": f"(0009,{n:04X})", "keyword": "private", "vr": "LO", "files": 10,
               "occurrences": 10, "distinct": 10_000, "distinct_more": True,
               "free_text": True, "flags": ["id"], "values_hidden": 9_975,
               "values": [{"value": f"VALUE{v:06d}", "count": 1, "flags": ["id"]}
                          for v in range(25)]} for n in range(3_000)]
    verified = VerifyResult(findings, census, {
        "outputs": 800_000, "files_with_findings": 300_000, "by_category": {"name": 300_000},
        "against": False, "dciodvfy": "off", "timings": {}, "outputs_per_second": 1.0})
    started = time.monotonic()
    html = render_html(build_report_data(Path("/nonexistent"), run, verified, title="t"))
    build = time.monotonic() - started
    with tempfile.TemporaryDirectory() as folder:
        page, empty = Path(folder, "report.html"), Path(folder, "empty.html")
        page.write_text(html, encoding="utf-8")
        empty.write_text("<!DOCTYPE html><title>x</title>", encoding="utf-8")
        loads = [_load_seconds(page, Path(folder, f"p{i}")) for i in range(3)]
        bases = [_load_seconds(empty, Path(folder, f"e{i}")) for i in range(3)]
    print(f"report built and rendered in {build:.2f} s; {len(html) / 1e6:.2f} MB")
    print(f"chromium --dump-dom: report {statistics.median(loads):.2f} s, empty page "
          f"{statistics.median(bases):.2f} s (medians of 3; report {loads}, empty {bases})")


if __name__ == "__main__":
    main()
