"""Signals for tests that press Ctrl-C on a run they started."""

from __future__ import annotations

import signal


def sigint_as_at_a_terminal() -> None:
    """In the child: SIGINT handled as in an interactive shell.

    A suite started in the background of a script (``cmd &``) inherits SIGINT ignored, and
    an ignored signal stays ignored across exec, so the run under test would never see the
    Ctrl-C the test sends. The run's behaviour where SIGINT is ignored is tested on its own
    (tests/runner/test_staging_interrupt.py).
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
