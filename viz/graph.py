"""The :class:`Graph` object that ``draw_graph`` returns, and the error raised when Graphviz is missing.

A ``Graph`` is a ``graphviz.Digraph``: its DOT source needs nothing else;
rendering it (SVG in Jupyter, files) needs the Graphviz ``dot`` program, and
without it every rendering call raises :class:`GraphvizNotFoundError`, which
says how to install it (:func:`needs_dot`), and Jupyter's display falls back to
:class:`viz.widget.GraphView`, laid out in the browser. Both :mod:`viz.dot`
(which builds graphs) and :mod:`viz.render` (which writes them) import this
module, never each other.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import graphviz

from nn.atomic import write_atomically

__all__ = ["Graph", "GraphvizNotFoundError", "INSTALL_HINT", "needs_dot", "write"]

INSTALL_HINT = (
    "Install Graphviz, which provides it: `sudo apt-get install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS), `conda install graphviz` or https://graphviz.org/download/ (Windows). "
    "The pip package `graphviz` alone is only the Python interface."
)


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """Rendering needs the Graphviz ``dot`` program, which is not installed (or not on PATH)."""

    def __init__(self, message: str) -> None:
        RuntimeError.__init__(self, message)


@contextmanager
def needs_dot(what: str) -> Iterator[None]:
    """Within it, a missing ``dot`` raises :class:`GraphvizNotFoundError` naming ``what`` and how to install it."""
    try:
        try:
            yield
        except OSError as e:
            if sys.platform != "emscripten":
                raise
            # a browser's Python (Pyodide) runs no programs: there, dot is missing as surely as off PATH
            raise graphviz.ExecutableNotFound(("dot",)) from e
    except graphviz.ExecutableNotFound as e:
        if isinstance(e, GraphvizNotFoundError):
            raise
        message = f"{what} needs the Graphviz `dot` program, which was not found on PATH. {INSTALL_HINT}"
        raise GraphvizNotFoundError(message + " (The DOT source is still available as `graph.source`.)") from e


class Graph(graphviz.Digraph):
    """A ``graphviz.Digraph`` that displays as SVG in Jupyter and saves in one call.

    Rendering without Graphviz raises :class:`GraphvizNotFoundError`, which
    says how to install it.
    """

    tex_labels: dict[str, str]
    """Each node's text as LaTeX (for :mod:`viz.tikz`), set by ``draw_graph``."""
    tex_cluster_titles: dict[str, str]
    tex_legend: list[tuple[str, str, str]]
    """The legend's entries (fill colour, border colour, LaTeX text), when drawn."""
    ordered_clusters: dict[str, list[str]]
    """Clusters in reading order: each layer's neurons 1..n, a wrapped picture's rows (checked against dot's layout)."""
    options: Any
    """The drawing options ``draw_graph`` built the graph with (backward frames reuse them)."""
    smallest_font_pt: float
    """The smallest font size drawn (points): 10 with ∂ labels or the legend, else 11."""
    layouts: dict[Any, Callable[[], Graph]]
    """The layouts ``draw_graph`` chose among (rank direction, box shape); :func:`viz.tikz.slide` picks again."""

    def pipe(self, *args: Any, **kwargs: Any) -> bytes | str:
        """``graphviz.Digraph.pipe`` (the rendered output as bytes, or text with ``encoding=``), raising
        :class:`GraphvizNotFoundError` when ``dot`` is missing."""
        with needs_dot("rendering a graph"):
            return super().pipe(*args, **kwargs)

    def render(self, *args: Any, **kwargs: Any) -> str:
        """``graphviz.Digraph.render`` (writes the source and its rendering, returns the rendered file's path),
        raising :class:`GraphvizNotFoundError` when ``dot`` is missing."""
        with needs_dot("rendering a graph"):
            return super().render(*args, **kwargs)

    def svg(self) -> str:
        """The rendered SVG document as text."""
        return cast(str, self.pipe(format="svg", encoding="utf-8"))  # text, as an encoding is given

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> Any:
        """Jupyter's display: static SVG rendered by ``dot``; without ``dot``, a :class:`viz.widget.GraphView`
        widget that lays the graph out in the browser with Graphviz compiled to WebAssembly; without either
        (no ``dot``, no ``lab`` extra), the DOT source as text with what to install."""
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound:
            try:
                from .widget import GraphView  # the widget layer (the `lab` extra), needed only here
            except ModuleNotFoundError as missing:
                hint = f"Graphviz's `dot` is missing, so is the lab's widget ({missing}). {INSTALL_HINT}"
                return {"text/plain": f"{hint}\n\n{self.source}"}
            return GraphView(self.source)._repr_mimebundle_(**kwargs)

    def save_as(self, path: str | Path) -> Path:
        """Write the graph to ``path``; the suffix picks the format (.svg, .png, .pdf, ... or .dot for the source).

        (``save``, inherited from graphviz, writes only the DOT source.)
        """
        return write(self, path)


SOURCE_SUFFIXES = frozenset({"dot", "gv"})


def write(graph: graphviz.Digraph, path: str | Path) -> Path:
    """Write ``graph`` to ``path`` in the format its suffix names; return the path (see :func:`viz.save`)."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if not fmt:
        raise ValueError(f"save: cannot tell the format of {str(path)!r}; give it a suffix such as .svg, .png or .pdf")
    if fmt not in graphviz.FORMATS:
        raise ValueError(f"save: unknown format {fmt!r} for {str(path)!r}; use .svg, .png, .pdf or .dot")
    if fmt in SOURCE_SUFFIXES:
        return write_atomically(path, graph.source, make_folders=True)
    with needs_dot(f"save({str(path)!r})"):
        data = graph.pipe(format=fmt)
    return write_atomically(path, data, make_folders=True)
