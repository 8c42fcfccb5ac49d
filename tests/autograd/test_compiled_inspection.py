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


# ------------------------------------------------------------------ explain(): the lowered program in matrix form
@pytest.fixture(scope="module")
def mnist_trainer(trained_784_64_10: Callable[[int], Any]) -> Any:
    """The trainer fit(..., compiled=True) builds for a 784-64-10 relu network and cross-entropy, after a step."""
    return trained_784_64_10(256)


def test_explain_of_784_64_10_lists_two_matrix_products_and_their_backward(mnist_trainer: Any) -> None:
    """The issue's bar: two matrix products with their shapes and the three backward formulas of each."""
    explanation = mnist_trainer.explain()
    text = str(explanation)
    products = explanation.matrix_products()
    assert [step.weight_shape for step in products] == [(784, 64), (64, 10)]
    assert [step.nodes for step in products] == [64, 10]
    assert "Z₁ = X·W₁ + b₁   (256×784 · 784×64 → 256×64)" in text
    assert "Z₂ = A₁·W₂ + b₂   (256×64 · 64×10 → 256×10)" in text
    for formula in (
        "δW₁ = Xᵀ·δZ₁  (784×256 · 256×64)",
        "δb₁ = Σ_rows δZ₁",
        "δX = δZ₁·W₁ᵀ  (256×64 · 64×784)",
        "δW₂ = A₁ᵀ·δZ₂  (64×256 · 256×10)",
        "δb₂ = Σ_rows δZ₂",
        "δA₁ = δZ₂·W₂ᵀ  (256×10 · 10×64)",
        "A₁ = relu(Z₁)",
        "δZ₁ += relu′(Z₁) ⊙ δA₁",
        "L = logsumexp_rows(Z₂) − Σ_rows Y ⊙ Z₂",
        "δZ₂ = δL ⊙ (softmax_rows(Z₂) − Y)",
    ):
        assert formula in text, formula
    # which scalar nodes each product replaces, and which layer
    assert "replaces 64 dot nodes z^[2]_1 … z^[2]_64 (layers.0, weights w^[1]_11" in text
    assert "replaces 10 dot nodes z^[3]_1 … z^[3]_10 (layers.1" in text
    # the input's δ is not needed in training, and the explanation says so
    assert "δX = δZ₁·W₁ᵀ  (256×64 · 64×784)  [not computed in training" in text
    assert "δA₁ = δZ₂·W₂ᵀ  (256×10 · 10×64)  [" not in text  # a hidden layer's δ is computed
    assert sum(step.nodes for step in explanation.steps) == mnist_trainer.graph.n_nodes


def test_explain_shows_as_a_table_in_jupyter(mnist_trainer: Any) -> None:
    page = mnist_trainer.explain(batch=32)._repr_html_()
    assert page.count("<tr>") == 1 + 4  # the header and one row per step
    assert "Z₁ = X·W₁ + b₁" in page and "(32×784 · 784×64 → 32×64)" in page
    assert "max-width:900px" in page


def test_steps_say_where_each_operand_comes_from(mnist_trainer: Any) -> None:
    steps = mnist_trainer.graph.steps()
    first, relu, second, loss = steps
    assert (first.kind, relu.kind, second.kind, loss.kind) == ("matmul", "elementwise", "matmul", "fused")
    assert first.operands[0] == (autograd.explain.Source("inputs", None, tuple(range(784))),)
    assert first.operands[1][0].kind == "parameters" and len(first.operands[1][0].columns) == 64
    assert relu.operands == ((autograd.explain.Source("step", 0, tuple(range(64))),),)
    assert second.operands[0] == (autograd.explain.Source("step", 1, tuple(range(64))),)
    assert loss.operands[0] == (autograd.explain.Source("step", 2, tuple(range(10))),)
    assert loss.operands[1] == (autograd.explain.Source("inputs", None, tuple(range(784, 794))),)
    assert dict(loss.replaces) == {"logsumexp": 1, "dot": 1, "sub": 1}
    assert first.trains == (True, False, True) and second.trains == (True, True, True)


def test_explain_names_every_kind_of_step_without_a_batch() -> None:
    w = Value(0.3, label="w")

    def fn(x: list[Value]) -> list[Value]:
        scaled = [(x[0] * w).tanh(), autograd.logsumexp([x[0], x[1], x[2]])]
        return [*scaled, *autograd.softmax([x[1], x[2]])]

    graph = autograd.compile(fn, 3)
    text = str(graph.explain())
    assert "over B rows" in text and "0 matrix products" in text
    assert "V₁ = mul(X[:, 0], θ)   (B×1)" in text
    assert "each entry: a · b; δa += δ·b, δb += δ·a" in text  # the op table's own rule
    assert "logsumexp_rows(X)   (B×3 → B×1, 3 inputs each)" in text
    assert "P = softmax_rows(X[:, 1:3])" in text and "δX[:, 1:3] = P ⊙ (δP − Σ_rows δP ⊙ P)" in text
    with pytest.raises(ValueError, match="explain: the inputs' widths \\[2\\] do not add up to 3"):
        graph.explain(inputs=[("X", 2)])
    with pytest.raises(ValueError, match="steps: 2 parameter names for 1 parameters"):
        graph.steps(["a", "b"])


def test_module_path_names_a_layer() -> None:
    names = [f"layers.0.neurons.{i}.w.{j}" for i in range(3) for j in range(2)]
    assert autograd.explain.module_path(names) == "layers.0"
    assert autograd.explain.module_path(["encoder.weight"]) == "encoder.weight"
    assert autograd.explain.module_path(["", ""]) == ""


def test_every_step_result_has_its_own_name() -> None:
    """Several softmax rows of different lengths (attention) are several fused steps: each result is named apart."""
    graph = autograd.compile(lambda x: [*autograd.softmax(x[:1]), *autograd.softmax(x[1:3]), *autograd.softmax(x)], 3)
    lines = graph.explain().lines
    names = [line.name for line in lines]
    assert len(set(names)) == len(names) and names[0] == "P", names
    assert all(name.startswith("P") for name in names)
