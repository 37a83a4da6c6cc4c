"""The report's plots, drawn with matplotlib and embedded as SVG text (no file, no network).

Each function takes plain numbers and returns one ``<svg>`` element; the text is kept
as paths, not fonts, so the picture looks the same in any browser.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from medanon.report.release import Partition

WIDTH, HEIGHT = 6.4, 2.6
LABELLED_CLASSES = 40  # up to this many rectangles carry their class size as a label


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


def partition_rectangles(partition: Partition, title: str) -> str:
    """Each class a rectangle over two numeric quasi-identifiers, coloured by its size.

    Every rectangle is its own SVG group (``id="class-N"``), so that the picture can be
    checked against the table; a class holding one value on an axis is drawn thin.
    """
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.ticker import MaxNLocator

    from medanon.privacy.plot import class_boxes, padded_extent

    x0, x1, y0, y1, sizes = (np.asarray(column, dtype=np.float64)
                             for column in zip(*partition.boxes, strict=True))
    x0, x1 = padded_extent(x0, x1, float(x1.max() - x0.min()))
    y0, y1 = padded_extent(y0, y1, float(y1.max() - y0.min()))
    figure, axes = _figure(4.2)
    scale = ScalarMappable(Normalize(float(sizes.min()), float(max(sizes.max(),
                                                                     sizes.min() + 1))),
                           colormaps["viridis"])
    for n, (box, size) in enumerate(zip(class_boxes(x0, y0, x1, y1), sizes, strict=True)):
        box.set(facecolor=scale.to_rgba(size, alpha=0.25), edgecolor="#1d2733",
                linewidth=0.6, gid=f"class-{n}")
        axes.add_patch(box)
        if len(partition.boxes) <= LABELLED_CLASSES:
            axes.text((x0[n] + x1[n]) / 2, (y0[n] + y1[n]) / 2, str(int(size)),
                      ha="center", va="center", fontsize=7)
    axes.autoscale_view()
    bar = figure.colorbar(scale, ax=axes, fraction=0.04,
                          ticks=MaxNLocator(integer=True, nbins=6))
    bar.set_label("class size (patients)", fontsize=8)
    axes.set_xlabel(partition.x, fontsize=8)
    axes.set_ylabel(partition.y, fontsize=8)
    axes.set_title(title, fontsize=10)
    return _svg(figure)
