"""What choosing a layout costs ``viz.draw_graph`` (issue 14): Graphviz runs and wall-clock time per picture.

``draw_graph(width=900)`` may lay a graph out several times before it draws it: once per candidate layout (left to
right, stacked boxes, top down, wrapped rows) until one fits the column with text >= 10 px, and once more when
dot placed a layer's neurons out of reading order. Every ``dot`` run is a subprocess, so the figures here are
wall-clock time (the harness's CPU clock would not see dot). Measured for the notebooks' and the issue's pictures:

1. how many times dot runs inside ``draw_graph``, with the layout cache (a layout is kept by its DOT source, so
   checking the order and measuring the width share one run, and so do candidates that come out alike) and
   without it (the cache emptied before every layout);
2. ``draw_graph``'s time, with and without the cache, against one layout of the picture it returns (the least any
   chooser must spend: a picture that was never measured cannot be known to fit), and the time of rendering the
   returned graph to SVG (what a notebook does next: one more dot run, with the width's scaling).

Run: ``python -m benchmarks viz`` or ``python -m benchmarks.bench_viz``.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from functools import partial
from typing import Any

import graphviz

import nn
import viz
import viz.layout
from autograd import Value
from viz import readme_figure

from ._harness import environment, median, ratio, settle, table, time_interleaved

REPEATS = 5


def notebook02_loss() -> Value:
    """Notebook 02's loss J of the slides' 1-2-1 sigmoid network."""
    net = nn.MLP(1, [2, 1], activation="sigmoid", output_activation="sigmoid")
    weights = {"layers.0.neurons.0.w.0": 0.3, "layers.0.neurons.0.b": 0.1, "layers.0.neurons.1.w.0": 0.4}
    weights |= {"layers.0.neurons.1.b": 0.2, "layers.1.neurons.0.w.0": 1.0, "layers.1.neurons.0.w.1": -3.0}
    net.load_state_dict(weights | {"layers.1.neurons.0.b": 0.2})
    loss = nn.losses.mse(net([1.0]), 1.0)
    loss.backward()
    return loss


def mlp_loss(nin: int, sizes: list[int]) -> Value:
    model = nn.MLP(nin, sizes, seed=0)
    loss = nn.losses.mse(model([0.1 * (i + 1) for i in range(nin)]), 1.0)
    loss.backward()
    return loss


CASES: dict[str, tuple[Callable[[], Value], dict[str, Any]]] = {
    "README neuron, ∂": (readme_figure.neuron, {"show_local_grads": True}),
    "notebook 02 loss, ∂": (notebook02_loss, {"show_local_grads": True, "precision": 3}),
    "MLP(2, [3, 1]) loss, ∂": (lambda: mlp_loss(2, [3, 1]), {"show_local_grads": True}),
    "MLP(2, [16, 16, 1]) loss": (lambda: mlp_loss(2, [16, 16, 1]), {}),
    "MLP(4, [16, 16, 1]) loss, group='none'": (lambda: mlp_loss(4, [16, 16, 1]), {"group": "none"}),
    "MLP(4, [16, 16, 1]) loss, ∂": (lambda: mlp_loss(4, [16, 16, 1]), {"show_local_grads": True}),
}


class DotRuns:
    """Counts the dot runs (every rendering goes through ``graphviz.Digraph.pipe``) inside a block."""

    def __init__(self) -> None:
        self.count = 0
        self._pipe = graphviz.Digraph.pipe

    def __enter__(self) -> DotRuns:
        original = self._pipe

        def counted(graph: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return original(graph, *args, **kwargs)

        graphviz.Digraph.pipe = counted  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        graphviz.Digraph.pipe = self._pipe  # type: ignore[method-assign]


def draw(root: Value, kwargs: dict[str, Any], cached: bool) -> viz.Graph:
    """``draw_graph`` from an empty cache; ``cached=False`` keeps no layout at all (each one is run again)."""
    viz.layout._LAYOUTS.clear()
    size = viz.layout.LAYOUT_CACHE_SIZE
    viz.layout.LAYOUT_CACHE_SIZE = size if cached else 0
    try:
        return viz.draw_graph(root, **kwargs)
    finally:
        viz.layout.LAYOUT_CACHE_SIZE = size


def main() -> None:
    print(environment())
    print("wall-clock seconds (dot is a subprocess), median of", REPEATS, "after one warm-up\n")
    warnings.simplefilter("ignore", viz.NarrowWidthWarning)
    settle()
    rows = []
    for name, (make, kwargs) in CASES.items():
        root = make()
        with DotRuns() as runs:
            graph = draw(root, kwargs, cached=True)
        with DotRuns() as uncached_runs:
            draw(root, kwargs, cached=False)
        chosen = graph.copy()
        chosen.graph_attr.pop("size", None)

        def one_layout(chosen: graphviz.Digraph = chosen) -> None:
            viz.layout._LAYOUTS.clear()
            viz.layout.layout(chosen)

        times = time_interleaved(
            {
                "cached": partial(draw, root, kwargs, True),
                "uncached": partial(draw, root, kwargs, False),
                "one layout": one_layout,
                "svg": graph.svg,
            },
            REPEATS,
            timer=time.perf_counter,
        )
        t = {k: median(v) for k, v in times.items()}
        o = graph.options
        layout = f"{o.rankdir} {'stacked' if o.rows else 'wide'}" + (f", {o.bands} rows" if o.bands > 1 else "")
        rows.append(
            [
                name,
                layout,
                f"{runs.count} ({uncached_runs.count})",
                f"{t['cached']:.3f}",
                f"{t['uncached']:.3f}",
                f"{t['one layout']:.3f}",
                ratio(t["cached"] / t["one layout"]),
                ratio(t["uncached"] / t["cached"]),
                f"{t['svg']:.3f}",
            ]
        )
    header = [
        "picture",
        "layout chosen",
        "dot runs (no cache)",
        "draw_graph s",
        "no cache s",
        "1 layout s",
        "draw / layout",
        "saved by cache",
        "then SVG s",
    ]
    print(table(header, rows))


if __name__ == "__main__":
    main()
