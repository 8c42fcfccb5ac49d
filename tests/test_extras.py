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


WITHOUT_THE_LAB_EXTRA = """
import sys
for name in ("anywidget", "ipywidgets", "IPython"):
    sys.modules[name] = None  # not installed: importing it raises ModuleNotFoundError
import viz
from viz import *
from autograd import Value
x = Value(2.0, label="x"); y = (x * -3.0 + 6.88).tanh(); y.backward()
bundle = viz.draw_graph(y, show_local_grads=True)._repr_mimebundle_()
print("mimetypes:", sorted(bundle))
print("svg has the numbers:", "data 2.0000" in bundle.get("image/svg+xml", ""))
print("star import has Lab:", "Lab" in dir())
for name in ("explore", "Lab", "GraphView"):
    try:
        getattr(viz, name)
    except ModuleNotFoundError as error:
        print(name, "->", error)
print("IPython loaded:", any(m == "IPython" or m.startswith("IPython.") for m in sys.modules if sys.modules[m]))
"""


def test_without_the_lab_extra_the_static_picture_shows_and_the_lab_names_the_extra(tmp_path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", WITHOUT_THE_LAB_EXTRA],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert "mimetypes: ['image/svg+xml']" in lines and "svg has the numbers: True" in lines, run.stdout
    assert "star import has Lab: False" in lines and "IPython loaded: False" in lines, run.stdout
    for name in ("explore", "Lab", "GraphView"):
        (message,) = [line for line in lines if line.startswith(f"{name} -> ")]
        assert "needs anywidget" in message and "pip install 'deltagrad[lab]'" in message, message


def test_without_dot_or_the_lab_extra_a_graph_shows_its_source_and_what_to_install(tmp_path) -> None:
    (tmp_path / "bin").mkdir()  # PATH with python only: no `dot`
    (tmp_path / "bin" / "python").symlink_to(sys.executable)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PATH": str(tmp_path / "bin")}
    code = WITHOUT_THE_LAB_EXTRA.replace('print("svg has', 'print(bundle["text/plain"]); print("svg has')
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert "mimetypes: ['text/plain']" in run.stdout
    assert "Graphviz's `dot` is missing" in run.stdout and "digraph" in run.stdout  # the hint, then the DOT source
    assert "apt-get install graphviz" in run.stdout and "pip install 'deltagrad[lab]'" in run.stdout
