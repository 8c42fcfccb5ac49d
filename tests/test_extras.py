"""Optional dependencies: without an extra, deltagrad says which one to install, or falls back quietly."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import viz

ROOT = Path(__file__).resolve().parents[1]


def test_plots_without_matplotlib_name_the_plot_extra(monkeypatch) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib → ModuleNotFoundError
    plots = [(viz.plot_history, ({"loss": [1.0, 0.5]},)), (viz.plot_descent, (lambda x, y: x * y, [(0.0, 1.0)]))]
    for plot, args in plots:
        with pytest.raises(
            ModuleNotFoundError, match=r"need matplotlib: pip install matplotlib \(or deltagrad\[plot\]\)"
        ):
            plot(*args)


FAKE_JUPYTER_WITHOUT_IPYWIDGETS = """
import sys, types, warnings
sys.modules["ipykernel.zmqshell"] = types.ModuleType("ipykernel.zmqshell")  # what tqdm.auto looks for
ipython = types.ModuleType("IPython")
ipython.get_ipython = type("ZMQInteractiveShell", (), {})
sys.modules["IPython"] = ipython
sys.modules["ipywidgets"] = None  # not installed
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    BODY
print("warnings:", [str(w.message) for w in caught])
"""


@pytest.mark.parametrize(
    ("body", "warns"),
    [
        ("import tqdm.auto", True),  # the set-up reproduces the warning a student sees in Jupyter
        ("import nn; X, y = nn.xor(); nn.fit(nn.MLP(2, [2, 1], seed=0), X, y, epochs=2, progress=True)", False),
    ],
)
def test_fit_in_jupyter_without_ipywidgets_shows_the_text_bar_without_a_warning(body, warns) -> None:
    code = textwrap.dedent(FAKE_JUPYTER_WITHOUT_IPYWIDGETS).replace("BODY", body)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert ("IProgress not found" in run.stdout) is warns, run.stdout
    if not warns:
        assert "epoch/s, loss=" in run.stderr  # tqdm's text bar
