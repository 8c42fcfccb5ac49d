"""Where Graphviz puts things: a graph's laid-out size, and the orientation that fits a page column.

A picture fits a column of ``width`` pixels when it needs no sideways
scrolling there and its smallest text stays readable (at least
:data:`MIN_TEXT_PX`). Graphviz's ``size`` attribute scales a drawing down to
the column, so what is left to choose is the layout whose scale keeps the text
big enough: :func:`choose` lays out each candidate (left to right, top to
bottom, left to right wrapped into rows) with ``dot`` and keeps the first
that fits, else the one with the largest text, with a
:class:`NarrowWidthWarning` naming the width at which that one would fit.
Without ``dot`` the first candidate is kept (nothing can be measured; the
browser-side renderer of :mod:`viz.lab` still scales it to the width).
"""

from __future__ import annotations

import json
import math
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import graphviz

from .graph import Graph

__all__ = [
    "DEFAULT_WIDTH",
    "MIN_TEXT_PX",
    "PX_PER_PT",
    "NarrowWidthWarning",
    "layout",
    "laid_out",
    "natural_size",
    "choose",
    "fit_to_width",
]

DEFAULT_WIDTH = 900
"""A notebook column (JupyterLab and classic Notebook at common window sizes), in CSS pixels."""
MIN_TEXT_PX = 10.0
"""The smallest text a picture may show at its displayed width, in CSS pixels."""
PX_PER_PT = 96 / 72
"""CSS pixels per point: an SVG ``width="100pt"`` shows 133 px wide."""
MEASURE_LIMIT = 1500
"""DOT lines (about nodes plus edges) above which :func:`choose` takes one layout (measured only if laid out)."""
SMALLEST_FONT_PT = 10.0
"""The smallest font size viz draws with (∂ labels, legend); a graph without them tells its own (smallest_font_pt)."""


_LAYOUTS: OrderedDict[tuple[str, str], str] = OrderedDict()
LAYOUT_CACHE_SIZE = 16
"""Layouts kept (by DOT source): choosing, ordering and slides lay the same source out once (benchmarks/bench_viz)."""


def layout(graph: graphviz.Digraph) -> dict[str, Any]:
    """Graphviz's layout of ``graph`` as its JSON document (positions in points, y upwards).

    Needs ``dot`` (raises :class:`~viz.GraphvizNotFoundError` without it). The
    last few layouts are remembered by source, so asking again costs nothing.
    """
    key = (graph.engine, graph.source)
    if key in _LAYOUTS:
        _LAYOUTS.move_to_end(key)
        text = _LAYOUTS[key]
    else:
        text = _LAYOUTS[key] = graph.pipe(format="json", encoding="utf-8")
        while len(_LAYOUTS) > LAYOUT_CACHE_SIZE:
            _LAYOUTS.popitem(last=False)
    return json.loads(text)


def laid_out(graph: graphviz.Digraph) -> bool:
    """Whether :func:`layout` has ``graph``'s layout at hand (asking for it costs no ``dot`` run)."""
    return (graph.engine, graph.source) in _LAYOUTS


def natural_size(graph: graphviz.Digraph) -> tuple[float, float]:
    """``(width, height)`` in CSS pixels of ``graph`` laid out at 100 % (``size`` ignored)."""
    unscaled = graph.copy()
    unscaled.graph_attr.pop("size", None)
    _, _, w, h = (float(c) for c in layout(unscaled)["bb"].split(","))
    return w * PX_PER_PT, h * PX_PER_PT


PAD_PX = 2 * 4 * PX_PER_PT
"""Graphviz's margin around a drawing (4 pt a side), inside the width it scales the drawing to."""


def text_px(natural_width: float, width: float, font_pt: float = SMALLEST_FONT_PT) -> float:
    """The smallest text (``font_pt``) in CSS pixels once a drawing ``natural_width`` px wide is scaled to ``width``.

    Graphviz keeps its margin and writes the scale with two decimals (measured: width 870 px gave scale(0.74)),
    so the scale is taken as the two-decimal floor.
    """
    scale = (width - PAD_PX) / natural_width
    return font_pt * PX_PER_PT * (1.0 if scale >= 1 else math.floor(scale * 100) / 100)


def fit_to_width(graph: Graph, width: float | None) -> Graph:
    """Let Graphviz scale ``graph`` down (never up) to ``width`` CSS pixels: SVG, PNG and display all honour it."""
    if width is not None:
        graph.graph_attr["size"] = f"{width / 96:.4f},10000"
    return graph


Choice = TypeVar("Choice")


def choose(
    build: Callable[[Choice], Graph], candidates: Sequence[Choice], width: float | None, unmeasured: Choice
) -> tuple[Choice, Graph]:
    """The first layout choice whose graph ``build(choice)`` fits ``width`` (else the most readable), and that graph.

    ``candidates`` lists the choices (rank direction, box shape...) in order of
    preference; the first is kept when ``dot`` is missing or ``width`` is None.
    A graph too big to lay out several times (over :data:`MEASURE_LIMIT` DOT
    lines) is drawn as ``unmeasured``, measured only if already laid out, and
    warned about.
    The graph returned is already scaled to ``width`` (:func:`fit_to_width`).
    """
    first = build(candidates[0])
    if width is None or len(candidates) == 1:
        return candidates[0], fit_to_width(first, width)
    lines = first.source.count("\n")
    tried = list(candidates)
    if lines > MEASURE_LIMIT:  # laying out thousands of nodes takes seconds: only the layout that suits the graph,
        tried = [unmeasured]  # measured if dot has laid it out already (checking a network's neuron order), as
        first = first if unmeasured == candidates[0] else build(unmeasured)  # drawing would double the time
        if not laid_out(first):  # (benchmarks/bench_viz: 18,000 DOT lines take 29 s to lay out)
            warnings.warn(
                f"this graph ({lines} DOT lines) is too big to try several layouts or to measure one before drawing"
                f" it: at {width:g} px its text is most likely smaller than {MIN_TEXT_PX:g} px (width=None for its"
                " natural size, max_nodes= to collapse neurons, or a smaller graph)",
                NarrowWidthWarning,
                stacklevel=3,
            )
            return unmeasured, fit_to_width(first, width)
    best: tuple[float, Choice, Graph, float, float] | None = None
    for choice in tried:
        graph = first if choice == tried[0] else build(choice)
        try:
            natural_width, _ = natural_size(graph)
        except graphviz.ExecutableNotFound:
            return tried[0], fit_to_width(first, width)
        font = getattr(graph, "smallest_font_pt", SMALLEST_FONT_PT)
        text = text_px(natural_width, width, font)
        if text >= MIN_TEXT_PX:
            return choice, fit_to_width(graph, width)
        if best is None or text > best[0]:
            best = (text, choice, graph, natural_width, font)
    assert best is not None
    text, choice, graph, natural_width, font = best
    needed = math.ceil(natural_width * MIN_TEXT_PX / (font * PX_PER_PT) + PAD_PX)
    while text_px(natural_width, needed, font) < MIN_TEXT_PX:
        needed += 1
    what = (
        f"no layout of this graph fits {width:g} px with text of at least {MIN_TEXT_PX:g} px: the most readable one"
        if len(tried) > 1
        else f"this graph ({lines} DOT lines) is too big to try several layouts, and the one drawn does not fit"
        f" {width:g} px with text of at least {MIN_TEXT_PX:g} px: it"
    )
    warnings.warn(
        f"{what} shows {text:.1f} px text there. It needs width={needed} or more (or width=None for its natural"
        " size, max_nodes= to collapse neurons, or a smaller graph)",
        NarrowWidthWarning,
        stacklevel=3,
    )
    return choice, fit_to_width(graph, width)


class NarrowWidthWarning(UserWarning):
    """``draw_graph``/``backward_steps``: no layout fits the width with readable text; says the width that would."""
