"""Rendering with Graphviz: SVG/PNG/PDF files, SVG text, inline display in Jupyter.

Files and SVG text need the Graphviz ``dot`` program; when it is missing the
error says how to install it (building the DOT source, in :mod:`viz.dot`, never
needs it). Jupyter's display does not: without ``dot`` a graph shows as a
widget laid out in the browser by Graphviz compiled to WebAssembly (:mod:`viz.lab`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import graphviz

__all__ = ["Graph", "GraphvizNotFoundError", "save", "to_svg", "INSTALL_HINT"]

INSTALL_HINT = (
    "Install Graphviz, which provides it: `sudo apt-get install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS), `conda install graphviz` or https://graphviz.org/download/ (Windows). "
    "The pip package `graphviz` alone is only the Python interface."
)
SOURCE_SUFFIXES = frozenset({"dot", "gv"})


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """Rendering needs the Graphviz ``dot`` program, which is not installed (or not on PATH)."""

    def __init__(self, message: str) -> None:
        RuntimeError.__init__(self, message)


@contextmanager
def _needs_dot(what: str) -> Iterator[None]:
    try:
        yield
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

    def pipe(self, *args: Any, **kwargs: Any) -> bytes | str:
        with _needs_dot("rendering a graph"):
            return super().pipe(*args, **kwargs)

    def render(self, *args: Any, **kwargs: Any) -> str:
        with _needs_dot("rendering a graph"):
            return super().render(*args, **kwargs)

    def svg(self) -> str:
        """The rendered SVG document as text."""
        return self.pipe(format="svg", encoding="utf-8")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> Any:
        """Jupyter's display: static SVG rendered by ``dot``; without ``dot``, a :class:`viz.lab.GraphView`
        widget that lays the graph out in the browser with Graphviz compiled to WebAssembly."""
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound:
            from .lab import GraphView  # the widget layer, needed only here

            return GraphView(self.source)._repr_mimebundle_(**kwargs)

    def save_as(self, path: str | Path) -> Path:
        """Write the graph to ``path``; the suffix picks the format (.svg, .png, .pdf, ... or .dot for the source).

        (``save``, inherited from graphviz, writes only the DOT source.)
        """
        return save(self, path)


def _graph(graph_or_root: Any, draw_kwargs: dict[str, Any], where: str) -> graphviz.Digraph:
    if isinstance(graph_or_root, graphviz.Digraph):
        if draw_kwargs:
            raise TypeError(f"{where}: drawing options {sorted(draw_kwargs)} apply to a Value, not to a drawn graph")
        return graph_or_root
    from .dot import draw_graph  # dot builds Graph objects, so it imports this module first

    return draw_graph(graph_or_root, **draw_kwargs)


def to_svg(graph_or_root: Any, **draw_kwargs: Any) -> str:
    """The SVG text of a graph, or of ``draw_graph(root, **draw_kwargs)`` for a Value."""
    graph = _graph(graph_or_root, draw_kwargs, "to_svg")
    with _needs_dot("to_svg"):
        return graph.pipe(format="svg", encoding="utf-8")


def save(graph_or_root: Any, path: str | Path, **draw_kwargs: Any) -> Path:
    """Write a graph (or ``draw_graph(root, **draw_kwargs)``) to ``path`` in the format its suffix names.

    ``.svg``, ``.png``, ``.pdf`` (any format Graphviz knows) are rendered with
    ``dot``; ``.dot`` and ``.gv`` write the DOT source and need no Graphviz.
    Parent directories are created. Returns the path written.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if not fmt:
        raise ValueError(f"save: cannot tell the format of {str(path)!r}; give it a suffix such as .svg, .png or .pdf")
    if fmt not in graphviz.FORMATS:
        raise ValueError(f"save: unknown format {fmt!r} for {str(path)!r}; use .svg, .png, .pdf or .dot")
    graph = _graph(graph_or_root, draw_kwargs, "save")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt in SOURCE_SUFFIXES:
        path.write_text(graph.source, encoding="utf-8")
        return path
    with _needs_dot(f"save({str(path)!r})"):
        data = graph.pipe(format=fmt)
    path.write_bytes(data)
    return path
