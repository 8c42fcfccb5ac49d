"""The lab's layer view of a big network: which graphs it draws by layer, and each block's summary against the
engine's own δ of the probe sample (a fresh graph, differentiated by ``backward``)."""

from __future__ import annotations

import re

import pytest

import nn
import viz
from autograd import Value
from viz.layer_view import LAYER_VIEW_NODES


def make_lab(sizes: list[int], activation: str = "relu") -> viz.Lab:
    X, y = nn.moons(40, noise=0.1, seed=3)
    model = nn.MLP(2, sizes, activation=activation, seed=5)
    return viz.Lab(model, X, y, loss="bce_with_logits", optimizer=nn.Adam(model.parameters(), lr=0.05), seed=2)


def probe_deltas(lab: viz.Lab) -> tuple[list[list[Value]], list[Value], Value]:
    """The probe sample's graph built layer by layer here: each layer's outputs, the inputs and L, after backward."""
    X, y = lab.data
    x = [Value(float(v)) for v in X[lab.probe]]
    outputs, h = [], x
    for layer in lab.model.layers:
        out = layer(h)
        h = [out] if isinstance(out, Value) else list(out)
        outputs.append(h)
    L = nn.losses.get("bce_with_logits")(h[0], float(y[lab.probe]))
    lab.model.zero_grad()
    L.backward()
    return outputs, x, L


def test_small_networks_stay_node_by_node_and_big_ones_are_drawn_by_layer() -> None:
    small = make_lab([4, 4, 1])  # 60 values: the threshold itself
    assert small.blocks == [] and "block_" not in small.dot
    big = make_lab([16, 16, 1])
    assert [b["kind"] for b in big.blocks] == ["input", "layer", "layer", "layer", "loss"]
    assert sum(b["values"] for b in big.blocks) == len(big._probe_root.walk()) > LAYER_VIEW_NODES
    edges = re.findall(r"^\s*(\w+) -> (\w+)", big.dot, flags=re.M)
    assert edges == [(f"block_{i}", f"block_{i + 1}") for i in range(4)]  # a chain: one edge per pair of blocks


@pytest.mark.parametrize(("sizes", "activation"), [([16, 16, 1], "relu"), ([12, 8, 1], "tanh")])
def test_each_blocks_mean_delta_is_the_engines(sizes: list[int], activation: str) -> None:
    lab = make_lab(sizes, activation)
    lab.step(4)
    lab.probe = 7
    outputs, x, L = probe_deltas(lab)
    blocks = lab.blocks
    assert blocks[0]["outputs_delta"] == pytest.approx(sum(abs(v.grad) for v in x) / len(x), rel=1e-12)
    for layer, a, block in zip(lab.model.layers, outputs, blocks[1:-1]):
        params = layer.parameters()
        assert block["values"] == len(params) + len(a) * (1 if layer.activation == "linear" else 2)
        assert block["parameters_delta"] == pytest.approx(sum(abs(p.grad) for p in params) / len(params), rel=1e-12)
        assert block["outputs_delta"] == pytest.approx(sum(abs(v.grad) for v in a) / len(a), rel=1e-12)
        assert block["parameters_delta"] > 0
    assert blocks[-1]["outputs_delta"] == 1.0 and lab.probe_loss == pytest.approx(L.data, rel=1e-12)
    # the block's text shows the same figures, and the health panel's
    label = re.search(r"block_2 \[label=<(.*?)> ", lab.dot).group(1)
    assert f"mean |δ| W, b {viz.format_number(blocks[2]['parameters_delta'], 4)}" in label
    assert f"a {viz.format_number(lab.health[1]['mean'], 2)} ± {viz.format_number(lab.health[1]['std'], 2)}" in label


def test_an_expanded_block_is_drawn_node_by_node_and_its_nodes_derive() -> None:
    lab = make_lab([16, 16, 1])
    lab.expanded = [1]
    first = lab.model.layers[0]
    shown = set(re.findall(r"^\s*(v\d+) \[", lab.dot, flags=re.M))
    assert {viz.node_name(p) for p in first.parameters()} <= shown
    assert len(shown) == next(b["values"] for b in lab.blocks if b["index"] == 1)  # that layer's values only
    assert "block_1 " not in lab.dot and "block_2 [" in lab.dot
    w = first.neurons[3].w[1]
    derivation = lab.derive(viz.node_name(w))
    _, _, _ = probe_deltas(lab)
    assert derivation["delta"] == pytest.approx(w.grad, rel=1e-12)
    lab.step(1)  # the view stays expanded through training
    assert lab.expanded == [1] and viz.node_name(w) in lab.dot
    lab.expanded = []
    assert len(re.findall(r"^\s*block_\d \[", lab.dot, flags=re.M)) == 5
