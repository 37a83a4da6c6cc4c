"""The report's plots, drawn with matplotlib and embedded as SVG text (no file, no network).

Each function takes plain numbers and returns one ``<svg>`` element; the text is kept
as paths, not fonts, so the picture looks the same in any browser.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from typing import Any

WIDTH, HEIGHT = 6.4, 2.6


def _figure(height: float = HEIGHT) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "path"
    figure, axes = plt.subplots(figsize=(WIDTH, height), dpi=96)
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def _svg(figure: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    figure.tight_layout()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def bar_chart(labels: Sequence[str], values: Sequence[int], title: str) -> str:
    """Horizontal bars, one per label."""
    figure, axes = _figure(max(1.6, 0.5 + 0.28 * len(labels)))
    positions = range(len(labels))
    axes.barh(list(positions), list(values), color="#3b6ea8")
    axes.set_yticks(list(positions), list(labels))
    axes.invert_yaxis()
    axes.set_title(title, fontsize=10)
    for position, value in zip(positions, values, strict=True):
        axes.text(value, position, f" {value}", va="center", fontsize=8)
    return _svg(figure)


def class_size_histogram(class_sizes: Sequence[int], title: str) -> str:
    """How many equivalence classes have each size (sizes above 20 grouped)."""
    counts = Counter(min(size, 21) for size in class_sizes)
    sizes = sorted(counts)
    figure, axes = _figure()
    axes.bar([str(s) if s <= 20 else ">20" for s in sizes], [counts[s] for s in sizes],
             color="#3b6ea8")
    axes.set_xlabel("class size (patients sharing one combination)", fontsize=8)
    axes.set_ylabel("classes", fontsize=8)
    axes.set_title(title, fontsize=10)
    return _svg(figure)
