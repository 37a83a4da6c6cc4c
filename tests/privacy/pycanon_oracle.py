"""Compute k, l and t with pycanon, run in pycanon's own virtual environment.

pycanon pins exact versions of numpy, pandas and typer, so it lives in a separate venv
(``.venv-pycanon``, made by scripts/test) and is called as a program: frames come in as
JSON on stdin, its figures go out as JSON on stdout. Not a test module: no pytest here.
"""

import json
import sys

import pandas as pd
from pycanon import anonymity


def main() -> None:
    results = []
    for rows in json.load(sys.stdin):
        frame = pd.DataFrame(rows, columns=["q1", "q2", "s", "n"])
        qi = ["q1", "q2"]
        entry = {
            "k": int(anonymity.k_anonymity(frame, qi)),
            "l": int(anonymity.l_diversity(frame, qi, ["s"])),
            "entropy_l": int(anonymity.entropy_l_diversity(frame, qi, ["s"])),
            "t": float(anonymity.t_closeness(frame, qi, ["s"])),
            "t_numeric": None,
        }
        if frame["n"].nunique() > 1:  # pycanon divides by (values - 1)
            entry["t_numeric"] = float(anonymity.t_closeness(frame, qi, ["n"]))
        results.append(entry)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
