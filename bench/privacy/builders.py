"""What the hierarchy builders do to information loss, on Adult and on a table of codes.

1. Adult (bench/data/adult, QI set B, sensitive occupation, ARX hierarchies for the
   categorical QIs), k=5 and k=5 with distinct l=3: age as the engine's own ranges (the
   automatic default, the figure compared with ARX), as intervals 0-120 by 5/10/20, and
   as ARX's age hierarchy file; education through ARX's file or the ordering builder
   (the 16 levels in order, in pairs).
2. A synthetic table of 20,000 visits with a ZIP code (leading zeros) and an ICD-10 code
   (3 to 7 characters), age and sex; k=5 and k=10: codes masked (the automatic
   default), ZIP3 only (``keep = [3]``), free sets of codes, and the ZIP read as a
   number (what a code column became before it was read as text).

GCP as the engine scores it: a hierarchy node costs (values covered - 1) / (domain - 1),
a range (hi - lo) / (max - min). For age through a hierarchy the band is also scored as a
range ("GCP, age as range") so the three age variants compare on one scale. Every
published table is re-checked by the independent checker.

Usage: PYTHONPATH=src .venv/bin/python bench/privacy/builders.py [--write]
"""

from __future__ import annotations

import argparse
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DATA = ROOT / "bench" / "data" / "adult"
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Hierarchy builders: information loss"
QI = ["age", "education", "marital-status", "native-country", "race", "salary-class", "sex",
      "workclass"]
SENSITIVE = "occupation"
EDUCATION_ORDER = ["Preschool", "1st-4th", "5th-6th", "7th-8th", "9th", "10th", "11th",
                   "12th", "HS-grad", "Some-college", "Assoc-voc", "Assoc-acdm", "Bachelors",
                   "Masters", "Prof-school", "Doctorate"]
ARX_K5 = (0.0308, 742_486)  # ARX 3.9.2 local recoding, REFERENCE.md
ARX_K5_L3 = (0.0343, 696_604)
RANGE = re.compile(r"^(-?[\d.]+)-(-?[\d.]+)$")


def adult() -> pa.Table:
    from medanon.privacy.tableio import read_table

    return read_table(DATA / "adult.csv").table


def age_as_range(published: list[Any], ages: np.ndarray) -> float:
    """Mean (hi - lo) / (max - min) of published age values, bands and ranges alike."""
    low, high = float(ages.min()), float(ages.max())
    span = high - low
    total = 0.0
    for value in published:
        text = str(value)
        if text == "*":
            total += 1.0
            continue
        match = RANGE.match(text)
        if match:
            lo, hi = max(float(match[1]), low), min(float(match[2]), high)
            total += (hi - lo) / span
    return total / len(published)


def measure(table: pa.Table, qi: list[str], sensitive: str | None,
            hierarchies: Mapping[str, Any], model: dict[str, Any]) -> dict[str, Any]:
    from medanon.privacy import anonymize

    started = time.perf_counter()
    result = anonymize(table, qi=qi, sensitive=sensitive, hierarchies=dict(hierarchies),
                       **model)
    seconds = time.perf_counter() - started
    m = result.metrics
    row: dict[str, Any] = {"gcp": m.gcp, "dm": m.dm, "classes": m.classes,
                           "suppressed": m.suppressed, "seconds": seconds,
                           "per_qi": m.gcp_per_qi, "passed": result.check().passed}
    if "age" in qi:
        ages = table.column("age").to_numpy()
        age = age_as_range(result.arrow.column("age").to_pylist(), ages)
        row["age_range"] = age
        row["gcp_age_range"] = m.gcp + (age - m.gcp_per_qi["age"]) / len(qi)
    return row


def adult_variants() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    from medanon.privacy.builders import IntervalSpec, OrderingSpec, build_hierarchy

    table = adult()
    files = {name: DATA / f"adult_hierarchy_{name}.csv" for name in QI[1:]}
    intervals = build_hierarchy(IntervalSpec((5.0, 10.0, 20.0), 0.0, 120.0), "age",
                                table.column("age"))
    ordering = build_hierarchy(OrderingSpec(tuple(EDUCATION_ORDER)), "education",
                               table.column("education"))
    variants = {
        "age: ranges (automatic default)": files,
        "age: intervals 0-120 by 5/10/20": {**files, "age": intervals},
        "age: ARX age hierarchy file": {**files, "age": DATA / "adult_hierarchy_age.csv"},
        "education: ordering builder (pairs)": {**files, "education": ordering},
    }
    out = []
    for model_name, model in (("k=5", {"k": 5}), ("k=5, distinct l=3", {"k": 5, "l": 3})):
        for name, hierarchies in variants.items():
            row = measure(table, QI, SENSITIVE, hierarchies, model)
            print(f"  adult {model_name} {name}: GCP {row['gcp']:.4f} "
                  f"(age as range {row['gcp_age_range']:.4f}) DM {row['dm']:,}", flush=True)
            out.append((model_name, {"variant": name, **row}, model))
    return out


def codes_table(rows: int = 20_000, seed: int = 7) -> pa.Table:
    """Visits with ZIP codes (many with leading zeros) and ICD-10 codes of mixed length."""
    rng = np.random.default_rng(seed)
    zip3 = ["010", "021", "022", "024", "027", "060", "070", "100", "104", "112", "191",
            "303", "331", "441", "482", "606", "631", "750", "770", "802", "850", "900",
            "941", "972", "981"]
    weights = 1 / np.arange(1, len(zip3) + 1)
    prefix = rng.choice(zip3, size=rows, p=weights / weights.sum())
    suffix = np.minimum(rng.zipf(1.6, size=rows) - 1, 99)
    zips = [f"{p}{s:02d}" for p, s in zip(prefix, suffix, strict=True)]
    categories = ["E11", "E10", "E78", "I10", "I25", "I48", "I50", "J44", "J45", "N18",
                  "C34", "C50", "C61", "F32", "F41", "K21", "M54", "M17", "G47", "Z00"]
    cat_weights = 1 / np.arange(1, len(categories) + 1) ** 0.8
    cat = rng.choice(categories, size=rows, p=cat_weights / cat_weights.sum())
    detail = rng.integers(0, 10, size=rows)
    depth = rng.choice([0, 1, 2], size=rows, p=[0.3, 0.5, 0.2])
    icd = [c if d == 0 else f"{c}.{x}" if d == 1 else f"{c}.{x}{(x * 7) % 10}"
           for c, d, x in zip(cat, depth, detail, strict=True)]
    ages = np.clip(rng.normal(55, 17, size=rows).round(), 18, 95).astype(np.int64)
    sex = rng.choice(["F", "M"], size=rows)
    return pa.table({"age": ages, "sex": sex, "zip": zips, "icd10": icd})


def codes_variants() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    from medanon.privacy.builders import MaskingSpec, build_hierarchy
    from medanon.privacy.defaults import resolve_specs
    from medanon.privacy.tableio import code_columns

    table = codes_table()
    qi = ["age", "sex", "zip", "icd10"]
    automatic = resolve_specs(table, qi, None, {}, code_columns(table))
    assert set(automatic) == {"zip", "icd10"}, automatic  # the default picks masking

    def built(specs: Mapping[str, Any]) -> dict[str, Any]:
        return {name: build_hierarchy(spec, name, table.column(name))
                for name, spec in specs.items()}

    as_number = table.set_column(2, "zip", pa.array([int(z) for z in
                                                     table.column("zip").to_pylist()]))
    variants: dict[str, tuple[pa.Table, Callable[[], dict[str, Any]]]] = {
        "masking zip and icd10 (automatic default)": (table, lambda: built(automatic)),
        "zip masked to ZIP3 only (keep = [3]), icd10 masked": (
            table, lambda: built({**automatic, "zip": MaskingSpec((3,))})),
        "free sets of codes (no hierarchy)": (table, dict),
        "zip read as a number (ranges), icd10 masked": (
            as_number, lambda: built({"icd10": automatic["icd10"]})),
    }
    out = []
    for model_name, model in (("k=5", {"k": 5}), ("k=10", {"k": 10})):
        for name, (source, hierarchies) in variants.items():
            started = time.perf_counter()
            trees = hierarchies()
            build_seconds = time.perf_counter() - started
            row = measure(source, qi, None, trees, model)
            row["build_seconds"] = build_seconds
            print(f"  codes {model_name} {name}: GCP {row['gcp']:.4f} DM {row['dm']:,} "
                  f"classes {row['classes']:,}", flush=True)
            out.append((model_name, {"variant": name, **row}, model))
    return out


def report(adult_rows: list[tuple[str, dict[str, Any], dict[str, Any]]],
           code_rows: list[tuple[str, dict[str, Any], dict[str, Any]]],
           command: str, started: datetime) -> str:
    import pyarrow

    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    lines = ["Produced by:", "", "```", command, "```", "",
             f"Run {started:%Y-%m-%d %H:%M} on {len(__import__('os').sched_getaffinity(0))} "
             f"cores, Python {platform.python_version()}, numpy {np.__version__}, pyarrow "
             f"{pyarrow.__version__}, medanon at commit {commit}. Times: one `anonymize` call "
             "(encoding, all passes, publication, metrics); hierarchies built beforehand.", "",
             "### Adult (QI set B, sensitive occupation; ARX hierarchies for the other "
             "categorical QIs)", "",
             "GCP as the engine scores it, then with age scored as a range whatever its kind "
             "(one scale for the three age variants). ARX local recoding: k=5 "
             f"{ARX_K5[0]} / {ARX_K5[1]:,}; k=5, distinct l=3 {ARX_K5_L3[0]} / "
             f"{ARX_K5_L3[1]:,}.", "",
             "| model | variant | GCP | GCP, age as range | age alone (as range) | DM | "
             "classes | suppressed | time s | beats ARX (GCP, DM) | checker |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for model_name, row, _ in adult_rows:
        arx = ARX_K5 if model_name == "k=5" else ARX_K5_L3
        beats = row["gcp_age_range"] < arx[0] and row["dm"] < arx[1]
        lines.append(
            f"| {model_name} | {row['variant']} | {row['gcp']:.4f} | "
            f"{row['gcp_age_range']:.4f} | {row['age_range']:.4f} | {row['dm']:,} | "
            f"{row['classes']:,} | {row['suppressed']} | {row['seconds']:.3f} | "
            f"{'yes' if beats else 'no'} | {'pass' if row['passed'] else 'FAIL'} |")
    lines += ["", "### A table of codes (20,000 synthetic visits: age, sex, ZIP with leading "
              "zeros, ICD-10 of 3 to 7 characters; no sensitive column)", "",
              "`codes_table()` in the script makes it (seeded). GCP per QI in the last "
              "columns; a masked or set code costs its covered codes, a ZIP read as a "
              "number costs its range over 01000-98199.", "",
              "| model | variant | GCP | DM | classes | zip GCP | icd10 GCP | age GCP | "
              "build s | time s | checker |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for model_name, row, _ in code_rows:
        q = row["per_qi"]
        lines.append(
            f"| {model_name} | {row['variant']} | {row['gcp']:.4f} | {row['dm']:,} | "
            f"{row['classes']:,} | {q['zip']:.4f} | {q['icd10']:.4f} | {q['age']:.4f} | "
            f"{row['build_seconds']:.3f} | {row['seconds']:.3f} | "
            f"{'pass' if row['passed'] else 'FAIL'} |")
    lines += ["", *findings(adult_rows, code_rows)]
    return "\n".join(lines) + "\n"


def findings(adult_rows: list[tuple[str, dict[str, Any], dict[str, Any]]],
             code_rows: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> list[str]:
    """The reading of the tables, from the figures of this run."""
    a = {(m, r["variant"].split(" (")[0]): r for m, r, _ in adult_rows}
    c = {(m, r["variant"].split(" (")[0]): r for m, r, _ in code_rows}
    ranges, bands = a[("k=5", "age: ranges")], a[("k=5", "age: intervals 0-120 by 5/10/20")]
    ordering = a[("k=5", "education: ordering builder")]
    masked, sets = c[("k=5", "masking zip and icd10")], c[("k=5", "free sets of codes")]
    number = c[("k=5", "zip read as a number")]
    return [
        f"- Fixed age bands cost information: at k=5 GCP {ranges['gcp']:.4f} with the "
        f"engine's own ranges, {bands['gcp_age_range']:.4f} with 5/10/20 bands (scored as "
        f"ranges), {'above' if bands['gcp_age_range'] > ARX_K5[0] else 'below'} ARX's local "
        f"recoding ({ARX_K5[0]}). The automatic default for numbers therefore stays the "
        "engine's ranges; bands are for users who must publish fixed groups.",
        f"- The ordering builder on education (the 16 levels in order, in pairs) loses less "
        f"than ARX's education hierarchy: GCP {ordering['gcp']:.4f} against "
        f"{ranges['gcp']:.4f}, DM {ordering['dm']:,} against {ranges['dm']:,}.",
        f"- Codes: masking (the automatic default) scores a higher GCP than free sets "
        f"({masked['gcp']:.4f} against {sets['gcp']:.4f} at k=5) because a mask covers "
        "every code under a prefix while a free set takes any run of codes in sorted order; "
        f"it gives more, smaller classes (DM {masked['dm']:,} against {sets['dm']:,}) and "
        "publishes values a reader can use (`021**` is a region, `E11*` a diagnosis "
        "group) instead of lists of unrelated codes. A ZIP read as a number scores "
        f"{number['per_qi']['zip']:.4f} on zip but publishes ranges that cross regions "
        "(`2141-10002`), which is why code columns are read as text.",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="replace the section of RESULTS.md")
    args = parser.parse_args()
    started = datetime.now()
    command = "cd <repo> && PYTHONPATH=src .venv/bin/python bench/privacy/builders.py --write"
    print("Adult", flush=True)
    adult_rows = adult_variants()
    print("codes", flush=True)
    code_rows = codes_variants()
    text = report(adult_rows, code_rows, command, started)
    print(text)
    if args.write:
        sys.path.insert(0, str(ROOT))
        from bench.dicom.report import replace_section

        replace_section(RESULTS, text, SECTION)


if __name__ == "__main__":
    main()
