"""Silence pydicom while the verifier reads: its warnings can quote the values they doubt.

An odd value in an output is for the verifier to report by tag path, never for a
library warning to print on the terminal.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet_pydicom() -> Iterator[None]:
    """No pydicom warning or log line while the block runs, and no value validation.

    Validating every value as it is read costs pydicom a regular expression per element
    and only ever warns; the verifier judges values itself.
    """
    from pydicom import config

    logger = logging.getLogger("pydicom")
    level = logger.level
    mode = config.settings.reading_validation_mode
    logger.setLevel(logging.CRITICAL)
    config.settings.reading_validation_mode = config.IGNORE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        config.settings.reading_validation_mode = mode
        logger.setLevel(level)
