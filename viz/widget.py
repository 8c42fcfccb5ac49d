"""The lab's widget machinery: Graphviz-in-WebAssembly sent once per kernel, the widgets' common base, GraphView.

Python holds the truth; a widget (anywidget: state in traitlets, one ES
module, ``static/lab.js``) only draws it and sends back the learner's actions
as custom messages (``{"action": ...}``), which :class:`LabWidget` dispatches
to its subclass and whose bad input it shows instead of crashing. Graphs are
laid out in the browser by Graphviz compiled to WebAssembly, which travels to
the page once per kernel in one hidden :class:`GraphvizWasm` model that every
widget refers to, never inside each output. :class:`GraphView` is one DOT
graph drawn that way: ``draw_graph``'s notebook display without ``dot``.
The widgets of :mod:`viz.lab` (``explore``, ``Lab``) build on :class:`LabWidget`.

In a browser's Python without anywidget (Pyodide in deltagrad's page, ``make site``) the page hosts the widgets:
:class:`LabWidget` is then a :class:`PageHosted` model (traitlets, the same traits) that the page's model object,
with anywidget's interface, reads and writes for the same ``lab.js``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

try:
    import anywidget
    import traitlets
    from ipywidgets import widget_serialization  # type: ignore[import-untyped]
except ModuleNotFoundError as missing:  # the `lab` extra: the engine and the static pictures need none of it
    if sys.platform != "emscripten" or missing.name == "traitlets":  # a browser's page hosts widgets itself
        raise ModuleNotFoundError(
            f"viz's live lab (explore, Lab, GraphView) needs anywidget and its Jupyter stack ({missing.name} is "
            "missing): pip install 'deltagrad[lab]'",
            name=missing.name,
        ) from missing
    anywidget = None
    import traitlets  # the page serves it (build/site/wheels)

from nn.atomic import write_atomically

from .page import STATIC, replay_page, wasm_renderer

__all__ = ["GraphvizWasm", "graphviz_wasm", "LabWidget", "GraphView", "StepsView", "PageHosted"]


class PageHosted(traitlets.HasTraits):
    """anywidget's model, Python side, where a web page hosts the widget instead of a Jupyter kernel.

    The traits are the widget's state, as in Jupyter; the page reads them, sets them, hears of every change
    (:meth:`observe`) and delivers the learner's messages to :meth:`handle_message`.
    """

    comm = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._message_handlers: list[Callable[[Any, Any, Any], Any]] = []

    def on_msg(self, callback: Callable[[Any, Any, Any], Any]) -> None:
        """Call ``callback(widget, content, buffers)`` for each message from the page."""
        self._message_handlers.append(callback)

    def handle_message(self, content: Any) -> None:
        """A message from the page (``{"action": ...}``), given to every :meth:`on_msg` callback."""
        for callback in self._message_handlers:
            callback(self, content, [])

    @contextmanager
    def hold_sync(self) -> Iterator[None]:
        """Change several traits at once: observers hear of them when the block ends, as with anywidget."""
        with self.hold_trait_notifications():
            yield


_Host: Any = PageHosted if anywidget is None else anywidget.AnyWidget


class GraphvizWasm(_Host):  # type: ignore[misc]
    """A hidden model carrying Graphviz-in-WebAssembly to the page, once per kernel (see :func:`graphviz_wasm`).

    (A page hosting the widgets serves Graphviz-in-WebAssembly itself: there it stays empty.)"""

    _esm = "export default {};"
    source_gzip_base64 = traitlets.Unicode("").tag(sync=True)


_wasm: GraphvizWasm | None = None


def graphviz_wasm() -> GraphvizWasm:
    """The kernel's one :class:`GraphvizWasm` model, created on first use (again if it was closed)."""
    global _wasm
    if _wasm is None or _wasm.comm is None:
        _wasm = GraphvizWasm(source_gzip_base64=wasm_renderer())
    return _wasm


class LabWidget(_Host):  # type: ignore[misc]
    """What every lab widget shares: the ES module, the stylesheet, the renderer and the view's name."""

    _esm = STATIC / "lab.js"
    _css = STATIC / "lab.css"
    if anywidget is not None:
        renderer = traitlets.Instance(GraphvizWasm).tag(sync=True, **widget_serialization)
    view = traitlets.Unicode("graph").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        if anywidget is not None:
            kwargs["renderer"] = graphviz_wasm()
        super().__init__(**kwargs)
        self.on_msg(self._on_action)

    def _on_action(self, _: Any, content: Any, buffers: Any) -> None:
        if not isinstance(content, dict) or "action" not in content:
            return
        try:
            self.error = ""
            self._act(content)
        except (TypeError, ValueError, ArithmeticError) as e:  # a learner's bad input: shown, never a crash
            self.error = str(e)

    def _act(self, message: dict[str, Any]) -> None:
        raise ValueError(f"{type(self).__name__}: unknown action {message.get('action')!r}")

    def _snapshot(self) -> dict[str, Any]:
        """The state a replay needs (every synced trait but the renderer and anywidget's own)."""
        skip = {"renderer", "layout", "tabbable", "tooltip", "comm"}
        return {
            k: getattr(self, k)
            for k in self.trait_names(sync=True)
            if not k.startswith("_") and k not in skip and k not in _DOM_TRAITS
        }

    def _replay(self) -> dict[str, Any]:
        """The record :meth:`save_html` writes: ``{"view": ..., "frames": [state, ...]}`` (each widget's own)."""
        raise NotImplementedError

    def save_html(self, path: str | os.PathLike[str], title: str = "deltagrad lab") -> Path:
        """Write one self-contained HTML page replaying the recorded frames: no server, no kernel needed.

        The page holds this widget's ES module, Graphviz-in-WebAssembly and the
        recorded frames inline (gzipped; each frame stores only what changed), so it
        opens from disk or from any static web host. Written atomically; returns the path.
        """
        return write_atomically(path, replay_page(self._replay(), title), make_folders=True)


_DOM_TRAITS = frozenset(() if anywidget is None else anywidget.AnyWidget().trait_names(sync=True)) - {"_esm", "_css"}


# ---------------------------------------------------------------------------- a DOT graph
class GraphView(LabWidget):
    """One DOT graph (``source``) laid out and drawn in the browser by Graphviz-in-WebAssembly.

    >>> import viz
    >>> from autograd import Value
    >>> view = GraphView(viz.draw_graph(Value(2.0, label="x") * 3).source)
    >>> "data 6.0000" in view.dot
    True
    """

    dot = traitlets.Unicode("").tag(sync=True)

    def __init__(self, dot: str) -> None:
        super().__init__(view="graph", dot=dot)

    def _replay(self) -> dict[str, Any]:
        return {"view": "graph", "frames": [self._snapshot()]}

    def __repr__(self) -> str:
        return f"<GraphView: a graph of {self.dot.count('->')} edges, laid out in the browser by Graphviz-WASM>"


class StepsView(LabWidget):
    """Backward frames (``steps``: each a frame's DOT source and its caption as HTML) with a slider, laid out in
    the browser by Graphviz-in-WebAssembly: how :func:`viz.backward_steps` displays in Jupyter.

    A click on a value shows its δ derivation as it stands at the frame shown (``derivations``: every node's
    forms, frame by frame, from :meth:`viz.steps.BackwardSteps.explanations`): the terms
    δ(reader)·∂reader/∂node arrived so far, then the whole sum. The data travel with the widget, so the browser
    answers a click without the kernel, as the saved page (:meth:`save_html`) does.
    """

    steps: traitlets.List[Any] = traitlets.List().tag(sync=True)
    derivations: traitlets.Dict[str, Any] = traitlets.Dict().tag(sync=True)

    def __init__(self, steps: list[dict[str, str]], derivations: dict[str, Any] | None = None) -> None:
        super().__init__(view="steps", steps=steps, derivations=derivations or {})

    def _replay(self) -> dict[str, Any]:
        return {"view": "steps", "frames": [self._snapshot()]}

    def __repr__(self) -> str:
        return f"<StepsView: {len(self.steps)} backward frames, laid out in the browser by Graphviz-WASM>"
