"""matplotlib is an optional part: without it, a plot is one clear error, never a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from medanon.errors import ConfigurationError
from medanon.privacy.plot import plot_classes


def test_a_plot_without_matplotlib_names_the_extra(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    with pytest.raises(ConfigurationError, match=r"medanon\[plot\]"):
        plot_classes(None, None, "age", "sex", tmp_path / "plot.png")  # type: ignore[arg-type]
    assert not (tmp_path / "plot.png").exists()
