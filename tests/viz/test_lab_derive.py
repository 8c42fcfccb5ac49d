"""Click-to-derive, the Python side: a selected node's derivation follows the engine as the lab changes."""

from __future__ import annotations

import math

import pytest

import nn
import viz
from autograd import Value

pytest.importorskip("anywidget")


def send(widget, **content):
    widget._handle_custom_msg(content, [])


def test_explore_derives_the_clicked_node_and_keeps_it_as_leaves_move():
    ex = viz.explore(lambda x, w: (x * w + x).tanh(), x=2.0, w=-3.0)
    x_node = next(k for k in ex._out.walk() if k.label == "x")
    send(ex, action="derive", node=viz.node_name(x_node))
    d = ex.derivation
    assert ex.selected == "x" and d["name"] == "x"
    assert math.isclose(d["delta"], ex.grads["x"], rel_tol=1e-12)
    assert sorted(t["input"] for t in d["terms"]) == [0, 1]  # input 1 of the sum, input 0 of the product
    assert math.isclose(sum(t["value"] for t in d["terms"]), ex.grads["x"], rel_tol=1e-12)
    assert "<math" in d["html"] and d["text"].startswith("δ(x) = ")
    ex.set(w=-1.0)  # new Values, same node by name: the derivation follows with the new numbers
    assert ex.derivation["name"] == "x" and math.isclose(ex.derivation["delta"], ex.grads["x"], rel_tol=1e-12)
    send(ex, action="derive", node="v-1")
    assert "no node 'v-1'" in ex.error


def test_lab_derivation_equals_the_probe_graphs_delta_after_steps():
    X, y = nn.moons(40, noise=0.1, seed=1)
    model = nn.MLP(2, [4, 1], activation="tanh", seed=3)
    lab = viz.Lab(model, X, y, loss="bce_with_logits", optimizer=nn.Adam(model.parameters(), lr=0.05), batch_size=16)
    w = model.layers[0].neurons[1].w[0]
    node = next(name for name, i in lab.parameter_nodes.items() if lab._params[i] is w)
    d = lab.derive(node)
    assert d["name"] == w.label and math.isclose(d["delta"], lab.node_deltas[node], rel_tol=1e-12)
    lab.step(3)
    node = next(name for name, i in lab.parameter_nodes.items() if lab._params[i] is w)
    assert lab.derivation["name"] == w.label
    assert math.isclose(lab.derivation["delta"], lab.node_deltas[node], rel_tol=1e-12)
    # the probe's δ for w, by the scalar engine itself
    x = [Value(float(v)) for v in X[lab.probe]]
    model.zero_grad()
    nn.losses.get("bce_with_logits")(model(x), float(y[lab.probe])).backward()
    assert math.isclose(lab.derivation["delta"], w.grad, rel_tol=1e-9, abs_tol=1e-12)
