"""deltagrad's viz: the computational graph with every node's δ, backprop step by step, and plots.

>>> from autograd import Value
>>> import viz
>>> x = Value(2.0, label="x"); y = (3 * x).tanh(); y.backward()
>>> graph = viz.draw_graph(y, show_local_grads=True)  # displays as SVG in Jupyter
>>> "data 2.0000" in graph.source
True
"""

import importlib.util as _util
from pathlib import Path as _Path

# deltagrad's import check (autograd/_install_check.py), loaded by path BEFORE anything imports `autograd`, so that
# it also works when that name belongs to another project: it stops with the file in the way and the fix.
_check = _util.spec_from_file_location("_install_check", _Path(__file__).parents[1] / "autograd" / "_install_check.py")
_check.loader.exec_module(_module := _util.module_from_spec(_check))  # type: ignore[union-attr, arg-type]
_module.check_install(__file__, ("autograd", "nn"))
del _util, _Path, _check, _module

from importlib.util import find_spec as _find_spec
from typing import Any

from .animation import SLIDE_SIZE, save_animation
from .checks import DeltaReport, check_deltas, walk_steps
from .derivation import Derivation, Term, derivation, derivations, display_names, edge_name
from .dot import DEFAULT_MAX_NODES, STYLES, derivative_node_name, draw_graph, node_kind, node_name, op_node_name
from .graph import INSTALL_HINT, Graph, GraphvizNotFoundError
from .health import plot_health
from .layout import DEFAULT_WIDTH, NarrowWidthWarning
from .plots import history_series, plot_decision_boundary, plot_descent, plot_history
from .render import save, to_svg
from .steps import BackwardSteps, Frame, backward_steps
from .text import escape_label, format_number, html_markup, label_markup, tex_markup

_LAB = ("explore", "Explorer", "Lab", "GraphView")


def __getattr__(name: str) -> Any:
    """The live lab's widgets load on first use: anywidget brings IPython, too slow for every ``import viz``.

    Without the ``lab`` extra they raise ModuleNotFoundError naming it (``pip install 'deltagrad[lab]'``).
    """
    if name in _LAB:
        from . import lab

        return getattr(lab, name)
    raise AttributeError(f"module 'viz' has no attribute {name!r}")


__all__ = [
    "draw_graph",
    "save",
    "to_svg",
    "backward_steps",
    "BackwardSteps",
    "Frame",
    "plot_history",
    "plot_decision_boundary",
    "plot_descent",
    "plot_health",
    "save_animation",
    "SLIDE_SIZE",
    "history_series",
    "Graph",
    "GraphvizNotFoundError",
    "INSTALL_HINT",
    "escape_label",
    "label_markup",
    "html_markup",
    "tex_markup",
    "DEFAULT_WIDTH",
    "NarrowWidthWarning",
    "format_number",
    "node_kind",
    "node_name",
    "op_node_name",
    "derivative_node_name",
    "STYLES",
    "DEFAULT_MAX_NODES",
    "check_deltas",
    "DeltaReport",
    "walk_steps",
    "derivation",
    "derivations",
    "Derivation",
    "Term",
    "display_names",
    "edge_name",
]
if _find_spec("anywidget") is not None:  # `from viz import *` works without the `lab` extra
    __all__ += _LAB
