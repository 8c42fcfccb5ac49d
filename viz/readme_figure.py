"""The README picture: a single tanh neuron after backward, every node's data and δ, local derivatives on edges.

Run ``python -m viz.readme_figure [outdir]`` (default ``notebooks/figures/``);
it writes ``neuron.svg`` and ``neuron.png``.

This is the neuron of the classic lecture: o = tanh(x1·w1 + x2·w2 + b) with
x = (2, 0), w = (-3, 1) and b = 6.8813735870195432, chosen so that n = 0.8814,
o = tanh n = 1/√2 and δn = 1 - o² = 0.5.
"""

from __future__ import annotations

import sys
from pathlib import Path

from autograd import Value
from nn import Parameter

from .dot import draw_graph
from .graph import Graph
from .render import save

__all__ = ["neuron", "neuron_figure", "main"]

DEFAULT_OUTDIR = Path("notebooks/figures")


def neuron() -> Value:
    """o = tanh(x1·w1 + x2·w2 + b), built op by op as in the lecture, after ``o.backward()``."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Parameter(-3.0, label="w1"), Parameter(1.0, label="w2")
    b = Parameter(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1·w1"
    x2w2 = x2 * w2
    x2w2.label = "x2·w2"
    s = x1w1 + x2w2
    s.label = "x1·w1 + x2·w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


def neuron_figure() -> Graph:
    """The README graph of :func:`neuron`, with local derivatives on the edges."""
    return draw_graph(neuron(), show_local_grads=True)


def main(argv: list[str] | None = None) -> list[Path]:
    """Write neuron.svg and neuron.png into the directory given (default notebooks/figures/)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1:
        raise SystemExit("usage: python -m viz.readme_figure [outdir]")
    outdir = Path(args[0]) if args else DEFAULT_OUTDIR
    graph = neuron_figure()
    paths = [save(graph, outdir / "neuron.svg"), save(graph, outdir / "neuron.png")]
    for p in paths:
        print(p)
    return paths


if __name__ == "__main__":
    main()
