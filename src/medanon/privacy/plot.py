"""The Mondrian picture: records over two quasi-identifiers, each class a rectangle.

Numeric axes show values; categorical axes show the codes in cut order (hierarchy
order or natural sort) with their labels. Each class is drawn as the box its
published values cover on the two axes, so overlapping boxes reveal classes that
differ only in other quasi-identifiers. The dots are the original records: the
image is a diagnostic for the data owner and must not be published with the table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from medanon.errors import ConfigurationError
from medanon.privacy.encode import Dimension, DimKind, EncodedTable
from medanon.privacy.publish import Publication
from medanon.privacy.tableio import atomic_write

MAX_POINTS = 20_000
MAX_TICKS = 30


def _axis(dim: Dimension, codes: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    if dim.kind is DimKind.NUMERIC:
        return np.asarray(dim.values[codes], dtype=np.float64)
    return codes.astype(np.float64)


def _spread(dim: Dimension, rows: npt.NDArray[np.int64], multiplier: int
            ) -> npt.NDArray[np.float64]:
    offset = ((rows * multiplier) % 1000) / 1000.0 - 0.5
    if dim.kind is not DimKind.NUMERIC:
        return np.asarray(0.6 * offset, dtype=np.float64)
    steps = np.diff(dim.values)
    if len(steps) and np.all(dim.values == np.round(dim.values)):
        return np.asarray(0.6 * float(steps.min()) * offset, dtype=np.float64)
    return np.zeros(len(rows))


def padded_extent(low: npt.ArrayLike, high: npt.ArrayLike, value_range: float
                  ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Numeric classes' extents on one axis, padded a little.

    A class holding a single value (``lo == hi``) is so drawn as a thin box, not as none.
    """
    pad = 0.005 * max(value_range, 1.0)
    return (np.asarray(low, dtype=np.float64) - pad, np.asarray(high, dtype=np.float64) + pad)


def class_boxes(x0: npt.ArrayLike, y0: npt.ArrayLike, x1: npt.ArrayLike, y1: npt.ArrayLike
                ) -> list[Any]:
    """One matplotlib ``Rectangle`` per class, from its extents on the two axes."""
    from matplotlib.patches import Rectangle

    return [Rectangle((a, b), c - a, d - b) for a, b, c, d in
            zip(np.asarray(x0), np.asarray(y0), np.asarray(x1), np.asarray(y1), strict=True)]


def _extent(dim: Dimension, low: npt.NDArray[np.int64], high: npt.NDArray[np.int64]
            ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    if dim.kind is DimKind.NUMERIC:
        return padded_extent(dim.values[low], dim.values[high], dim.value_range)
    return np.asarray(low - 0.45, dtype=np.float64), np.asarray(high + 0.45, dtype=np.float64)


def plot_classes(encoded: EncodedTable, publication: Publication, x: str, y: str,
                 path: str | Path) -> None:
    """Write a PNG of the records over quasi-identifiers ``x`` and ``y`` with class boxes."""
    try:
        import matplotlib
    except ImportError:
        raise ConfigurationError(
            "plots need matplotlib, an optional part: pip install 'medanon[plot]'") from None

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import PatchCollection

    names = [d.name for d in encoded.dims]
    for axis in (x, y):
        if axis not in names:
            raise ConfigurationError(f"--plot: {axis!r} is not a quasi-identifier")
    i, j = names.index(x), names.index(y)
    dx, dy = encoded.dims[i], encoded.dims[j]
    shown = np.flatnonzero(~publication.suppressed)
    if len(shown) > MAX_POINTS:
        shown = shown[np.linspace(0, len(shown) - 1, MAX_POINTS).astype(np.int64)]
    px = _axis(dx, encoded.codes[shown, i].astype(np.int64))
    py = _axis(dy, encoded.codes[shown, j].astype(np.int64))
    # Spread dots inside their cell (a category, or one step of a discrete numeric
    # value) so that stacked records stay visible; the offset is a fixed hash of the row.
    px = px + _spread(dx, shown, 2654435761)
    py = py + _spread(dy, shown, 40503)
    x0, x1 = _extent(dx, publication.low[:, i], publication.high[:, i])
    y0, y1 = _extent(dy, publication.low[:, j], publication.high[:, j])
    boxes = class_boxes(x0, y0, x1, y1)
    figure, ax = plt.subplots(figsize=(9, 7), dpi=110)
    ax.add_collection(PatchCollection(boxes, facecolor="none", edgecolor="tab:blue",
                                      alpha=0.35, linewidth=0.6))
    ax.scatter(px, py, s=6, color="black", alpha=0.6, linewidths=0)
    for dim, setter, limits in ((dx, ax.set_xticks, ax.set_xlim),
                                (dy, ax.set_yticks, ax.set_ylim)):
        if dim.kind is not DimKind.NUMERIC:
            ticks = np.arange(dim.cardinality)
            step = max(1, len(ticks) // MAX_TICKS)
            setter(ticks[::step], [dim.labels[t] for t in ticks[::step]], fontsize=7)
            limits(-0.6, dim.cardinality - 0.4)
    if dx.kind is not DimKind.NUMERIC:
        plt.setp(ax.get_xticklabels(), rotation=60, ha="right")
    ax.autoscale_view()
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(f"{len(publication.class_sizes)} equivalence classes over {x} and {y}")
    figure.tight_layout()
    atomic_write(Path(path), lambda target: figure.savefig(target, format="png"))
    plt.close(figure)
