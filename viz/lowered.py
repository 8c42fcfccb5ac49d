"""A compiled graph as a picture of matrix ops: one node per lowered step, with its shapes.

:func:`draw_graph` draws this when given what :func:`autograd.compile` returns (or an ``nn.CompiledTrainer``):
the inputs and the weights as boxes with their shapes, each numpy step of the compiled program as one
operation node carrying its matrix formula (``Z₁ = X·W₁ + b₁``), the shape of its result and the number
of scalar nodes it replaces, and an edge for each operand, in the colours of the scalar picture (inputs
blue, parameters orange, constants grey, operations yellow, outputs green). Hovering a step shows its
backward formulas. Everything is read from the graph's public ``explain()``.
"""

from __future__ import annotations

from typing import Any

from autograd.explain import ExplainedStep, Explanation, Source

from .graph import Graph
from .layout import DEFAULT_WIDTH, choose
from .styles import FONT, STYLES
from .text import escape_label

__all__ = ["draw_lowered", "is_lowered"]


def is_lowered(x: Any) -> bool:
    """Whether ``x`` is a compiled program :func:`draw_lowered` can draw (it explains itself in matrix form)."""
    return callable(getattr(x, "explain", None))


def _html(*lines: str, small: str = "") -> str:
    """An HTML-like Graphviz label: the first line bold, the others plain, ``small`` in a smaller font."""
    parts = [f"<B>{escape_label(lines[0])}</B>", *map(escape_label, lines[1:])]
    if small:
        parts.append(f'<FONT POINT-SIZE="9">{escape_label(small)}</FONT>')
    return "<" + "<BR/>".join(parts) + ">"


def _style(kind: str) -> dict[str, str]:
    s = STYLES[kind]
    attrs = {"shape": s.shape, "style": s.style, "fillcolor": s.fillcolor, "color": s.color}
    if s.peripheries != 1:
        attrs["peripheries"] = str(s.peripheries)
    if s.penwidth != 1.0:
        attrs["penwidth"] = str(s.penwidth)
    return attrs


def _shape(rows: str, *cols: int) -> str:
    return "×".join([rows, *map(str, cols)])


def draw_lowered(program: Any, batch: int | None = None, width: float | None = DEFAULT_WIDTH) -> Graph:
    """The lowered program of ``program`` (a compiled graph or trainer) as a graph of matrix ops.

    ``batch`` sets the rows in the shapes (default: the last batch run, else ``B``). The picture runs left to
    right, or top down when that keeps its text readable at ``width`` CSS pixels (default 900, a notebook column;
    ``None``: natural size), to which it is fitted.

    >>> import autograd
    >>> from autograd import Value
    >>> w = [Value(0.5), Value(-1.0)]
    >>> g = draw_lowered(autograd.compile(lambda x: [(autograd.dot(w, x)).tanh()], 2))
    >>> "Z₁ = X·W₁" in g.source and "A₁ = tanh(Z₁)" in g.source
    True
    """
    explanation: Explanation = program.explain(batch)
    rows = "B" if explanation.batch is None else str(explanation.batch)

    def build(direction: str) -> Graph:
        graph = Graph(
            name="lowered",
            node_attr={"fontname": FONT, "fontsize": "11"},
            edge_attr={"color": "#555555", "fontname": FONT, "fontsize": "9"},
        )
        graph.attr(rankdir=direction, fontname=FONT, nodesep="0.25", ranksep="0.35")
        graph.smallest_font_pt = 9.0  # the "replaces ..." line and the edge labels
        for k, (name, start, end) in enumerate(explanation.inputs):
            graph.node(f"input{k}", _html(name, _shape(rows, end - start)), **_style("input"))
        for line in explanation.lines:
            _draw_step(graph, explanation, line, explanation.lines, rows)
        return graph

    # left to right while its text stays readable at the width, else top down (viz.layout measures)
    return choose(build, ("LR", "TB"), width, "LR")[1]


def _draw_step(
    graph: Graph, explanation: Explanation, line: ExplainedStep, steps: list[ExplainedStep], rows: str
) -> None:
    step = line.step
    node = f"step{step.index}"
    replaced = ", ".join(f"{count} {op}" for op, count in step.replaces)
    out_shape = _shape(rows, step.width)
    kind = "output" if step.outputs == step.width else "op"
    label = _html(line.forward, out_shape, small=f"replaces {replaced} node{'s' if step.nodes != 1 else ''}")
    attrs = _style("op")
    if kind == "output":  # a result the graph returns: the op's shape, the output's colours
        attrs.update(fillcolor=STYLES["output"].fillcolor, color=STYLES["output"].color, penwidth="2.0")
    graph.node(node, label, tooltip="backward: " + "; ".join(line.backward), **attrs)
    if step.kind == "matmul" and step.weight_shape is not None:
        n, k = step.weight_shape
        weights = line.forward.split("·")[1].split(" ")[0]
        graph.node(f"{node}W", _html(weights, f"{n}×{k}"), **_style("parameter"))
        graph.edge(f"{node}W", node)
    for j, sources in enumerate(step.operands):
        for source in sources:
            _edge(graph, explanation, source, node, step.index, j, line, steps)


def _edge(
    graph: Graph,
    explanation: Explanation,
    source: Source,
    node: str,
    index: int,
    operand: int,
    line: ExplainedStep,
    steps: list[ExplainedStep],
) -> None:
    count = len(source.columns)
    if source.kind == "step" and source.step is not None:
        whole = count == steps[source.step].step.width
        graph.edge(f"step{source.step}", node, label="" if whole else f"{count} columns")
    elif source.kind == "inputs":
        for k, (_, start, end) in enumerate(explanation.inputs):
            used = sum(start <= c < end for c in source.columns)
            if used:
                graph.edge(f"input{k}", node, label="" if used == end - start else f"{used} columns")
    else:
        leaf = f"{node}{source.kind}{operand}"
        if line.step.kind == "matmul" and operand == 1 and source.kind == "parameters":
            text = line.forward.rsplit("+ ", 1)[-1]  # the bias, b₁
        else:
            text = "θ" if source.kind == "parameters" else "c"
        style = _style("parameter" if source.kind == "parameters" else "constant")
        graph.node(leaf, _html(text, str(count)), **style)
        graph.edge(leaf, node)
