"""How the graph pictures colour and shape each kind of node: one table, :data:`STYLES`, shared by the scalar
picture (:mod:`viz.dot`) and the compiled program's picture (:mod:`viz.lowered`)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Style", "STYLES", "FONT"]

FONT = "Helvetica,Arial,sans-serif"


@dataclass(frozen=True)
class Style:
    """How one kind of node is drawn, and what the legend says about it."""

    shape: str
    style: str
    fillcolor: str
    color: str
    description: str
    peripheries: int = 1
    penwidth: float = 1.0


STYLES: dict[str, Style] = {
    "parameter": Style("box", "filled", "#fde0b4", "#a35a00", "parameter (nn.Parameter)", peripheries=2),
    "input": Style("box", "rounded,filled", "#d4e6fa", "#1f5f99", "input (leaf Value)"),
    "constant": Style("box", "rounded,dashed,filled", "#eeeeee", "#6e6e6e", "constant (a number)"),
    "computed": Style("box", "filled", "#ffffff", "#404040", "computed value"),
    "output": Style("box", "filled", "#dcf0d8", "#2e7d32", "output (root)", penwidth=2.0),
    "op": Style("ellipse", "filled", "#fff6c8", "#8a7300", "operation"),
    "neuron": Style("box3d", "filled", "#e8def8", "#5e35b1", "collapsed neuron"),
    "layer": Style("box3d", "filled", "#d9cff0", "#4527a0", "collapsed layer"),
    "derivative": Style("plaintext", "", "none", "#37474f", "edge label ∂ = local derivative ∂out/∂in"),
}
