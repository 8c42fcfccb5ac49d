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

from nn.atomic import write_atomically

from .dot import draw_graph
from .graph import needs_dot, write
from .tikz import slide as make_slide
from .tikz import to_tikz

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
    with needs_dot("to_svg"):
        return graph.pipe(format="svg", encoding="utf-8")


def save(
    graph_or_root: Any, path: str | Path, format: str | None = None, slide: bool = False, **draw_kwargs: Any
) -> Path:
    """Write a graph (or ``draw_graph(root, **draw_kwargs)``) to ``path`` in the format its suffix names.

    ``.svg``, ``.png``, ``.pdf`` (any format Graphviz knows) are rendered with
    ``dot``; ``.dot`` and ``.gv`` write the DOT source and need no Graphviz;
    ``.tex`` (or ``format="tikz"``) writes a LaTeX document with the picture as
    TikZ that compiles with ``pdflatex`` (:func:`viz.tikz.to_tikz`).
    ``slide=True`` lays the picture out on a 16:9 slide (PNG 1920 × 1080, PDF
    13.33 × 7.5 in). Parent directories are created. Returns the path written.
    """
    path = Path(path)
    graph = _graph(graph_or_root, draw_kwargs, "save")
    if format in ("tikz", "tex") or (format is None and path.suffix.lower() == ".tex"):
        with needs_dot(f"save({str(path)!r})"):
            return write_atomically(path, to_tikz(graph), make_folders=True)
    if format is not None and path.suffix.lower().lstrip(".") != format.lower():
        raise ValueError(f"save: format {format!r} does not match the suffix of {str(path)!r}")
    if slide:
        with needs_dot(f"save({str(path)!r}, slide=True)"):
            graph = make_slide(graph, raster=path.suffix.lower() in (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp"))
    return write(graph, path)
