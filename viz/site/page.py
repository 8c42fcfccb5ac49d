"""The Python half of deltagrad's browser page (``make site``): runs a learner's code as a notebook cell would.

Loaded into Pyodide by ``site.js`` from the site itself. :func:`run` executes the editor's code, captures what it
prints, and hands back what it displays (the value of a last expression, and every ``display(...)`` call) as
plain data the page draws: a graph's DOT source (laid out by Graphviz-in-WebAssembly), HTML, text, or a live
widget (``viz.Lab``, ``viz.explore``) whose traits the page reads and writes through a :class:`WidgetBridge`,
so the same ``lab.js`` as in Jupyter draws it.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import json
import math
import sys
import traceback
from collections.abc import Callable
from typing import Any

__all__ = [
    "start",
    "new_namespace",
    "run",
    "display",
    "describe",
    "bridge",
    "restore_lab",
    "fdlibm_tanh",
    "free_iteratively",
]

_shown: list[Any] = []
_widgets: list[Any] = []


def start() -> None:
    """Set the page's Python up: tanh rounded as CPython's on Linux (:func:`fdlibm_tanh`), deltagrad imported, deep
    graphs freed without recursion (:func:`free_iteratively`)."""
    math.tanh = fdlibm_tanh  # type: ignore[assignment]  # before autograd reads it
    import autograd
    import nn  # noqa: F401  (imported now, so the first run does not wait for it)
    import viz  # noqa: F401

    free_iteratively(autograd.Value)


def new_namespace() -> dict[str, Any]:
    """A fresh module namespace for the editor's code, with :func:`display`."""
    return {"__name__": "__main__", "display": display}


def display(*objects: Any) -> None:
    """Show ``objects`` below the cell's output, as Jupyter's ``display`` does."""
    _shown.extend(objects)


def run(code: str, namespace: dict[str, Any]) -> str:
    """Run ``code`` in ``namespace`` as a notebook cell; JSON of its printed text, its error and what it showed.

    The value of a last expression statement is shown (unless it is None), like Jupyter's cell output.
    ``{"stdout": str, "error": str (the traceback, from the learner's code on), "shown": [describe(...), ...]}``
    """
    _shown.clear()
    _widgets.clear()
    out = io.StringIO()
    error = ""
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            tree = ast.parse(code, "<cell>", "exec")
            last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            if last is not None:
                tree.body.pop()
            exec(builtins.compile(tree, "<cell>", "exec"), namespace)
            if last is not None:
                value = eval(builtins.compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
                if value is not None:
                    _shown.append(value)
        except BaseException as e:  # the learner's error: shown in the page, and the page keeps running
            frames = e.__traceback__.tb_next if e.__traceback__ else None  # from the learner's code on
            error = "".join(traceback.format_exception(type(e), e, frames))
    shown = []
    for value in _shown:
        try:
            shown.append(describe(value))
        except Exception as e:  # a display that fails is reported, not the page
            shown.append({"kind": "text", "text": f"could not display {type(value).__name__}: {e}"})
    return json.dumps({"stdout": out.getvalue(), "error": error, "shown": shown})


def describe(value: Any) -> dict[str, Any]:
    """How the page shows ``value``: a live widget, a graph's DOT source, HTML, or text.

    ``viz.backward_steps`` frames are shown as in Jupyter: their :meth:`viz.BackwardSteps.view`, a slider whose
    values explain their δ on a click.
    """
    import viz

    if isinstance(value, viz.BackwardSteps):
        value = value.view()
    if hasattr(value, "trait_names") and hasattr(value, "view") and hasattr(value, "handle_message"):
        _widgets.append(value)
        return {"kind": "widget", "index": len(_widgets) - 1}
    source = getattr(value, "source", None)
    if isinstance(source, str) and source.lstrip().startswith(("digraph", "graph", "strict")):
        return {"kind": "graph", "dot": source}
    to_html = getattr(value, "_repr_html_", None)
    if callable(to_html):
        markup = to_html()
        if isinstance(markup, str):
            return {"kind": "html", "html": markup}
    return {"kind": "text", "text": repr(value)}


class WidgetBridge:
    """anywidget's model interface, Python side, for one widget of the last run (``site.js``'s PythonModel).

    Values cross as JSON text; changes made in Python are announced by name to the page's ``watch`` callback.
    """

    def __init__(self, widget: Any) -> None:
        self.widget = widget

    def get(self, name: str) -> str:
        """A synced trait's value as JSON; ``null`` for any other name (anywidget's ``get`` gives undefined)."""
        if not self.widget.has_trait(name) or not self.widget.trait_metadata(name, "sync"):
            return "null"
        return json.dumps(getattr(self.widget, name))

    def update(self, changes: str) -> None:
        """Set traits from the page (a JSON object); an invalid value becomes the widget's ``error``."""
        for name, value in json.loads(changes).items():
            try:
                setattr(self.widget, name, value)
            except (TypeError, ValueError, ArithmeticError) as e:
                self.widget.error = str(e)

    def receive(self, message: str) -> None:
        """A message from the page (``{"action": ...}``), handled as in Jupyter."""
        self.widget.handle_message(json.loads(message))

    def watch(self, callback: Callable[[str], Any]) -> None:
        """Call ``callback(name)`` after each change of a trait."""
        self.widget.observe(lambda change: callback(change["name"]))


def bridge(index: int) -> WidgetBridge:
    """The bridge to the ``index``-th widget the last run showed."""
    return WidgetBridge(_widgets[index])


def restore_lab(state: str) -> None:
    """Bring the last run's lab to a shared link's state: ``{"lr", "probe", "steps"}`` (training replays its seed)."""
    labs = [w for w in _widgets if getattr(w, "view", "") == "lab"]
    if not labs:
        return
    lab, wanted = labs[-1], json.loads(state)
    if "lr" in wanted:
        lab.lr = wanted["lr"]
    if "probe" in wanted:
        lab.probe = wanted["probe"]
    steps = int(wanted.get("steps", 0)) - lab.steps
    if steps > 0:
        lab.step(steps)


# ---------------------------------------------------------------------------- the same numbers as CPython
def fdlibm_tanh(x: float) -> float:
    """tanh(x) by fdlibm's algorithm, which glibc's ``tanh`` uses: the page prints the digits CPython on Linux prints.

    Pyodide's C library (musl) computes tanh another way, and 1 in 5 of its results differs from glibc's in the
    last bit, which ``print`` shows (-1.502915231308525 against -1.5029152313085248 for the README's neuron).
    With ε = expm1 (which musl and glibc share from fdlibm, in all but about 1 in 1,000 cases):
    tanh x = 1 − 2/(ε(2x) + 2) for 1 ≤ |x| < 22, −ε(−2x)/(ε(−2x) + 2) below 1, x below 2⁻⁵⁵, ±1 from 22 on.
    """
    x = float(x)
    size = abs(x)
    if size != size or size < 2.0**-55:  # nan, or tanh x = x to double precision
        return x
    if size >= 22.0:
        t = 1.0
    elif size >= 1.0:
        t = 1.0 - 2.0 / (math.expm1(2.0 * size) + 2.0)
    else:
        e = math.expm1(-2.0 * size)
        t = -e / (e + 2.0)
    return t if x >= 0 else -t


# ---------------------------------------------------------------------------- deep graphs
def _probe_refcount(held: tuple[Any, ...]) -> int:
    for node in held:  # the same shape as _release's loop, so the counts agree
        return sys.getrefcount(node)
    return 0


def _release(held: tuple[Any, ...], alone: int, work: list[tuple[Any, ...]]) -> None:
    for node in held:
        if sys.getrefcount(node) <= alone and node.inputs:  # only ``held`` refers to it: it dies with ``held``
            work.append(node.inputs)
            node.inputs = ()


def free_iteratively(value_type: type) -> None:
    """Give ``value_type`` (``autograd.Value``) a finaliser that frees a dying node's inputs without recursion.

    CPython frees a graph by reference counting: the last reference to a node goes, the node frees its
    ``inputs``, each of which frees its own, one C call deeper per node. Pyodide's stack is far smaller than
    CPython's, so a chain of 200,000 nodes crashed the page when it was freed. Here a dying node instead
    moves its inputs onto a work list; an input that nothing else refers to gives up its own inputs to the
    list before it goes, so every node is freed at the same small depth. A node still referred to elsewhere
    keeps its inputs.
    """
    alone = _probe_refcount((value_type(0.0),))  # a node only a tuple refers to

    def __del__(self: Any) -> None:
        inputs = self.inputs
        if not inputs:
            return
        self.inputs = ()
        work = [inputs]
        del inputs
        while work:
            _release(work.pop(), alone, work)

    value_type.__del__ = __del__  # type: ignore[attr-defined]
