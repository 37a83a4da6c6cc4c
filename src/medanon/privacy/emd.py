"""Earth Mover's Distance between many groups' sensitive distributions and the table's.

The three ground distances of Li et al. (t-closeness, ICDE 2007), each in closed form
and vectorised over the rows of a ``(groups, values)`` matrix of proportions:

* equal: every pair of distinct values is at distance 1 (half the L1 distance);
* ordered: values at ranks i and j are ``|i - j| / (m - 1)`` apart (numeric attributes);
* hierarchical: two values are ``level(lowest common ancestor) / height`` apart, and the
  distance is accumulated bottom-up, node by node, as in the paper.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from medanon.privacy.encode import TreeTables

FloatMatrix = npt.NDArray[np.float64]


def emd_equal(p: FloatMatrix, q: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Half the L1 distance between each row of ``p`` and ``q``."""
    return np.asarray(0.5 * np.abs(p - q).sum(axis=1), dtype=np.float64)


def emd_ordered(p: FloatMatrix, q: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Ordered distance: the mass that must cross each gap between consecutive ranks."""
    m = p.shape[1]
    if m < 2:
        return np.zeros(p.shape[0])
    flow = np.cumsum(p - q, axis=1)[:, :-1]
    return np.asarray(np.abs(flow).sum(axis=1) / (m - 1), dtype=np.float64)


def emd_hierarchical(p: FloatMatrix, q: npt.NDArray[np.float64],
                     tree: TreeTables) -> npt.NDArray[np.float64]:
    """Hierarchical distance: at each node, matched surplus and deficit cost its height.

    Surplus (positive ``p - q``) and deficit travel up the tree; at a node of height
    ``h`` the amount that can be matched between its children, the smaller of the
    children's total surplus and total deficit, costs ``h / H`` each.
    """
    height = tree.levels - 1
    extra = p - q
    cost = np.zeros(p.shape[0])
    if height == 0:
        return cost
    for level in range(1, tree.levels):
        nodes = len(tree.labels[level])
        starts = tree.child_first[level, :nodes]
        positive = np.add.reduceat(np.maximum(extra, 0.0), starts, axis=1)
        negative = np.add.reduceat(np.maximum(-extra, 0.0), starts, axis=1)
        cost += (level / height) * np.minimum(positive, negative).sum(axis=1)
        extra = positive - negative
    return cost
