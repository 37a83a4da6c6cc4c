"""Keep pydicom from printing values.

pydicom reports invalid values through warnings and its logger, quoting the value
("Invalid value for VR UI: '1.2.3...'"): personal data on a console or in a log. Inside
medanon every read, transform and write runs under :func:`quiet_pydicom`, and problems
surface only as medanon's own messages, which name tags and never values.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

_PYDICOM_LOGGER = logging.getLogger("pydicom")


@contextmanager
def quiet_pydicom() -> Iterator[None]:
    """Silence pydicom's warnings and log records for the duration of the block."""
    previous = _PYDICOM_LOGGER.disabled
    _PYDICOM_LOGGER.disabled = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        _PYDICOM_LOGGER.disabled = previous
