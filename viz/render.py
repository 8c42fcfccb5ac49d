"""Rendering with Graphviz: SVG/PNG/PDF files, SVG text, inline display in Jupyter.

Files and SVG text need the Graphviz ``dot`` program; when it is missing the
error says how to install it (building the DOT source, in :mod:`viz.dot`, never
needs it). Jupyter's display does not: without ``dot`` a graph shows as a
widget laid out in the browser by Graphviz compiled to WebAssembly (:mod:`viz.lab`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import graphviz

from .dot import draw_graph
from .graph import _needs_dot, write

__all__ = ["save", "to_svg"]


def _graph(graph_or_root: Any, draw_kwargs: dict[str, Any], where: str) -> graphviz.Digraph:
    if isinstance(graph_or_root, graphviz.Digraph):
        if draw_kwargs:
            raise TypeError(f"{where}: drawing options {sorted(draw_kwargs)} apply to a Value, not to a drawn graph")
        return graph_or_root
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
    return write(_graph(graph_or_root, draw_kwargs, "save"), path)
