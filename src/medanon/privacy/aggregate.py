"""The aggregate form of a published table: one row per class and sensitive value.

Studies often publish counts rather than rows: for each equivalence class, its
generalised quasi-identifiers, a sensitive value and how many records carry it.
The counts are derived from the published rows, so they inherit their guarantees.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from medanon.privacy.tabular import CLASS_COLUMN

COUNT_COLUMN = "count"


def aggregate_table(published: pa.Table, qi: Sequence[str], sensitive: str | None) -> pa.Table:
    """Counts per (class, sensitive value), classes in order, values in text order.

    Without a sensitive column the result has one row per class with its size.
    Suppressed rows (class -1) are counted as one group with every QI ``*``.
    """
    classes = published.column(CLASS_COLUMN).to_numpy()
    if sensitive is not None:
        text = published.column(sensitive).cast(pa.string())
        encoded = pc.dictionary_encode(text).combine_chunks()
        labels = np.array(encoded.dictionary.to_pylist() + [None], dtype=object)
        codes = encoded.indices.fill_null(len(labels) - 1).to_numpy(
            zero_copy_only=False).astype(np.int64)
        rank_of = np.empty(len(labels), dtype=np.int64)
        keyed = sorted(range(len(labels)), key=lambda i: (labels[i] is None, str(labels[i])))
        rank_of[np.asarray(keyed, dtype=np.int64)] = np.arange(len(labels))
        ranks = rank_of[codes]
    else:
        ranks = np.zeros(len(classes), dtype=np.int64)
    pairs, first, counts = np.unique(np.stack([classes, ranks], axis=1), axis=0,
                                     return_index=True, return_counts=True)
    rows = pa.array(first.astype(np.int64))
    columns = {CLASS_COLUMN: pa.array(pairs[:, 0], type=pa.int64())}
    for name in qi:
        columns[name] = published.column(name).take(rows)
    if sensitive is not None:
        columns[sensitive] = published.column(sensitive).take(rows)
    columns[COUNT_COLUMN] = pa.array(counts.astype(np.int64))
    return pa.table(columns)
