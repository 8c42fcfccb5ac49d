"""Looking inside a compiled graph: the values and δ of traced nodes, gradients without .grad, explain()."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autograd
from autograd import Value

Params = dict[str, Any]


@pytest.fixture
def params() -> Params:
    """The weights of a 3-4-2 tanh network (W1 4×3 with biases b1, W2 2×4 without)."""
    rng = np.random.default_rng(0)
    W1 = [[Value(float(w)) for w in row] for row in rng.normal(size=(4, 3))]
    W2 = [[Value(float(w)) for w in row] for row in rng.normal(size=(2, 4))]
    return {"W1": W1, "W2": W2, "b1": [Value(0.1 * i) for i in range(4)]}


def build(params: Params, kept: dict[str, list[Value]]) -> Callable[[list[Value]], list[Value]]:
    """The network and a cross-entropy loss against one-hot targets, keeping its traced nodes in ``kept``."""

    def fn(xs: list[Value]) -> list[Value]:
        x, t = xs[:3], xs[3:]
        z1 = [autograd.dot(w, x, b) for w, b in zip(params["W1"], params["b1"])]
        a1 = [z.tanh() for z in z1]
        z2 = [autograd.dot(w, a1) for w in params["W2"]]
        lse = autograd.logsumexp(z2)
        loss = lse - autograd.dot(t, z2)
        kept.update(x=x, z1=z1, a1=a1, z2=z2, lse=[lse])
        return [*z2, loss]

    return fn


def scalar_run(params: Params, row: list[float]) -> tuple[dict[str, list[Value]], Value]:
    kept: dict[str, list[Value]] = {}
    leaves = [Value(v) for v in row]
    loss = build(params, kept)(leaves)[-1]
    return kept, loss


def test_node_values_and_deltas_are_the_scalar_engines(params: Params) -> None:
    kept: dict[str, list[Value]] = {}
    graph = autograd.compile(build(params, kept), 5)
    rng = np.random.default_rng(1)
    X = np.hstack([rng.normal(size=(4, 3)), np.eye(2)[[0, 1, 1, 0]]])
    graph.forward(X)
    seed = np.zeros((4, 3))
    seed[:, -1] = 1.0
    parameter_grads, input_grads = graph.gradients(seed, input_grads=True)
    assert all(p.grad == 0.0 for p in graph.parameters)  # gradients() touches no .grad
    for name in ("x", "z1", "a1", "z2"):
        values, deltas = graph.node_values(kept[name]), graph.node_deltas(kept[name])
        for row in range(4):
            ours, loss = scalar_run(params, X[row].tolist())
            found = autograd.grad(loss, ours[name], allow_unused=True)
            np.testing.assert_allclose(values[row], [v.data for v in ours[name]], rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(deltas[row], [d.data for d in found], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(graph.node_deltas(kept["x"]), input_grads[:, :3], rtol=0, atol=0)
    expected = np.zeros(len(graph.parameters))
    for row in range(4):
        _, loss = scalar_run(params, X[row].tolist())
        expected += [g.data for g in autograd.grad(loss, graph.parameters)]
    np.testing.assert_allclose(parameter_grads, expected, rtol=1e-10, atol=1e-12)


def test_asking_for_a_node_the_program_does_not_hold_is_an_error(params: Params) -> None:
    kept: dict[str, list[Value]] = {}
    graph = autograd.compile(build(params, kept), 5)
    with pytest.raises(RuntimeError, match="node_values: call forward"):
        graph.node_values(kept["z1"])
    graph.forward(np.zeros((2, 5)))
    with pytest.raises(RuntimeError, match="node_deltas: call forward.*backward"):
        graph.node_deltas(kept["z1"])
    graph.backward()
    with pytest.raises(ValueError, match="node 0 .* inside the fused cross_entropy kernel"):
        graph.node_deltas(kept["lse"])
    with pytest.raises(ValueError, match="node 1 .* not a computed node or an input of this graph"):
        graph.node_values([kept["z1"][0], params["W1"][0][0]])
