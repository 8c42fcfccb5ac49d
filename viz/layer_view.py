"""A network's loss graph drawn by layer: one block per layer, each with its summary, any of them expanded.

A probe sample's loss graph L(model(x), y) for an MLP of any size has one
node per weight: 2-16-16-1 draws 408 values joined by 300 edges, which no
screen can show node by node. The layer view draws it as a chain of blocks,
the input, each :class:`nn.Layer` (model.layers[k] is block k + 1) and the
loss, joined by one edge each, and each block states its summary:

* how many values (inputs) or neurons (a layer) it holds, its activation g;
* for the probe sample, the mean |δ| of the layer's parameters,
  (1/|P|) Σ_{p ∈ W, b} |∂L/∂p|, and of its outputs, (1/k) Σᵢ |∂L/∂aᵢ|;
* the layer's health on the whole dataset (what the lab's health panel
  shows): the activations' mean ± std, the saturated or dead fraction, the
  gradient norm ‖∂J/∂(W, b)‖ and the last step's update-to-data ratio.

Blocks named in ``expanded`` are drawn node by node instead (their values
keep their usual DOT names, so a click on one shows its δ derivation).
:func:`blocks_of` assigns each value of the graph to its block and
:func:`draw_layer_view` writes the DOT source (through :class:`viz.dot.Drawing`).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import nn
from autograd import Value

from .dot import Drawing
from .names import layer_cluster_name
from .options import DrawOptions
from .text import format_number

__all__ = ["LAYER_VIEW_NODES", "Block", "blocks_of", "draw_layer_view"]

LAYER_VIEW_NODES = 60
"""A probe graph with more values than this is drawn by layer (2-4-4-1 has 60: it stays node by node)."""


@dataclass(frozen=True)
class Block:
    """One block of the layer view: ``index`` (0 the input, k + 1 for ``model.layers[k]``, last the loss), its
    DOT ``name``, ``kind`` ("input", "layer", "loss"), the graph's ``values`` it stands for (forward order), its
    ``outputs`` (those a later block reads: a layer's activations a, the inputs x; the loss's L) and, for a
    layer, the ``layer``."""

    index: int
    name: str
    kind: str
    values: tuple[Value, ...]
    outputs: tuple[Value, ...]
    layer: nn.Layer | None = None
    cluster: str | None = None  # a layer's frame when drawn node by node (viz.names.layer_cluster_name)

    def mean_abs_delta(self, deltas: Mapping[Value, float], parameters: bool) -> float:
        """(1/n) Σ |δ(v)| over the block's n parameters (``parameters=True``) or its n outputs; 0 for none."""
        chosen = [v for v in self.values if isinstance(v, nn.Parameter)] if parameters else list(self.outputs)
        return sum(abs(deltas.get(v, 0.0)) for v in chosen) / len(chosen) if chosen else 0.0


def _layer_of(v: Value, layers: Sequence[nn.Layer]) -> int | None:
    """The index of the layer whose neuron owns the parameter ``v`` (None for other values)."""
    owner = getattr(v, "owner", None) if isinstance(v, nn.Parameter) else None
    parent = getattr(owner, "parent", None)
    return next((k for k, layer in enumerate(layers) if layer is parent), None)


def blocks_of(root: Value, inputs: Sequence[Value], model: nn.Module) -> list[Block] | None:
    """The layer view's blocks of the graph of ``root`` = loss(model(inputs), y), or None for a model that is not
    a stack of :class:`nn.Layer` (an :class:`nn.MLP`).

    A value belongs to the input block if it is one of ``inputs``; to layer k
    if it is a parameter of layer k, a ``dot`` node reading one, or the
    activation a = g(z) of such a z; to the loss block otherwise.
    """
    layers = list(model.layers) if isinstance(model, nn.MLP) else [model] if isinstance(model, nn.Layer) else None
    if not layers:
        return None
    given = {id(x) for x in inputs}
    members: list[list[Value]] = [[] for _ in range(len(layers) + 2)]
    where: dict[Value, int] = {}
    for v in root.walk()[::-1]:  # forward order
        if id(v) in given:
            k: int | None = 0
        elif isinstance(v, nn.Parameter):
            k = _layer_of(v, layers)
            k = None if k is None else k + 1
        elif v.op == "dot":
            k = next((where[x] for x in v.inputs if isinstance(x, nn.Parameter) and x in where), None)
        elif len(v.inputs) == 1 and v.inputs[0].op == "dot" and v.op in nn.ACTIVATIONS:
            k = where.get(v.inputs[0])
        else:
            k = None
        k = len(layers) + 1 if k is None else k
        where[v] = k
        members[k].append(v)
    read_later = {x for v in where for x in v.inputs if where[x] != where[v]}
    paths = {id(m): path for path, m in model.named_modules()}
    kinds = ["input", *("layer" for _ in layers), "loss"]
    return [
        Block(
            i,
            f"block_{i}",
            kinds[i],
            tuple(vs),
            tuple(v for v in vs if v in read_later or v is root),
            layers[i - 1] if kinds[i] == "layer" else None,
            layer_cluster_name(paths[id(layers[i - 1])]) if kinds[i] == "layer" else None,
        )
        for i, vs in enumerate(members)
    ]


def _ratio_text(ratio: float | None) -> str:
    return "–" if not ratio else f"10^{math.log10(ratio):.1f}"


def block_label(block: Block, deltas: Mapping[Value, float], health: Mapping[str, Any] | None, root: Value) -> str:
    """The block's text, one figure a line (the same lines at every step, so the browser updates them in place)."""
    if block.kind == "input":
        return (
            f"input: {len(block.values)} values\n"
            f"x = ({', '.join(format_number(v.data, 3) for v in block.values)})\n"
            f"mean |δ| {format_number(block.mean_abs_delta(deltas, False), 4)}\nclick to expand"
        )
    if block.kind == "loss":
        return f"loss: {len(block.values)} values\nL = {format_number(root.data, 4)}\nδ L = 1\nclick to expand"
    layer = block.layer
    assert layer is not None
    lines = [
        f"layer {layer.layer + 1}: W[{layer.layer}], b[{layer.layer}]",  # no superscripts: one line, one height
        f"{len(layer.neurons)} neuron{'s' if len(layer.neurons) > 1 else ''}, {layer.activation}",
        f"mean |δ| W, b {format_number(block.mean_abs_delta(deltas, True), 4)}",
        f"mean |δ| a {format_number(block.mean_abs_delta(deltas, False), 4)}",
    ]
    if health:
        lines.append(f"a {format_number(health['mean'], 2)} ± {format_number(health['std'], 2)}")
        if layer.activation == "relu":
            lines.append(f"dead {health['dead_fraction']:.0%}")
        elif layer.activation in ("tanh", "sigmoid"):
            lines.append(f"saturated {health['saturated_fraction']:.0%}")
        lines.append(f"update/data {_ratio_text(health['update_ratio'])}")
    lines.append("click to expand")
    return "\n".join(lines)


def draw_layer_view(
    root: Value,
    blocks: Sequence[Block],
    deltas: Mapping[Value, float],
    expanded: Collection[int],
    options: DrawOptions,
    health: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The DOT source of ``root``'s graph with each block not in ``expanded`` drawn as one node (its
    :func:`block_label`), the expanded ones node by node; ``health`` holds the lab's per-layer rows."""
    collapsed = {v: b.name for b in blocks if b.index not in expanded for v in b.values}
    labels = {
        b.name: block_label(
            b, deltas, health[b.index - 1] if b.kind == "layer" and len(health) >= b.index else None, root
        )
        for b in blocks
    }
    return Drawing([root], options, deltas=deltas, blocks=collapsed, block_labels=labels).build().source
