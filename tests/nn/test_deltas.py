"""nn.layer_deltas: a layer's scalar δ's as matrices, against the matrix rules, PyTorch and the compiled mode."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import nn
from nn import LayerDeltas

torch = pytest.importorskip("torch")

FIELDS = ("X", "W", "b", "Z", "A", "dX", "dW", "db", "dZ", "dA")
CASES = [  # (activation, loss, labels)
    ("tanh", "cross_entropy", "classes"),
    ("relu", "mse", "rows"),
    ("sigmoid", "cross_entropy", "one_hot"),
]
DERIVATIVES = {  # g'(z), for δZ = g'(Z) ⊙ δA
    "tanh": lambda z: 1 - np.tanh(z) ** 2,
    "relu": lambda z: (z > 0).astype(float),
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)) * (1 - 1 / (1 + np.exp(-z))),
    "linear": lambda z: np.ones_like(z),
}


@pytest.fixture(params=CASES, ids=[f"{a}-{loss}-{y}" for a, loss, y in CASES])
def case(request: pytest.FixtureRequest) -> tuple[nn.MLP, np.ndarray, np.ndarray, str]:
    """The issue's MLP(3, [4, 2]) on a batch of 5, with labels of the kind the loss takes."""
    activation, loss, labels = request.param
    rng = np.random.default_rng(7)
    model = nn.MLP(3, [4, 2], activation=activation, seed=3)
    X = rng.normal(size=(5, 3))
    classes = np.array([0, 1, 1, 0, 1])
    y = {"classes": classes, "one_hot": nn.one_hot(classes, 2), "rows": rng.normal(size=(5, 2))}[labels]
    return model, X, y, loss


def test_the_scalar_deltas_are_the_matrix_rules(case: Any) -> None:
    """δW = Xᵀ·δZ, δb = Σ_rows δZ, δX = δZ·Wᵀ, δZ = g'(Z) ⊙ δA, to 1e-12, from the scalar graph's own δ's."""
    model, X, y, loss = case
    layers = nn.layer_deltas(model, X, y, loss)
    assert [d.layer for d in layers] == [1, 2] and [d.name for d in layers] == ["layers.0", "layers.1"]
    for d in layers:
        n, k = d.W.shape
        assert (d.X.shape, d.Z.shape, d.b.shape, d.dW.shape, d.dX.shape) == ((5, n), (5, k), (k,), (n, k), (5, n))
        np.testing.assert_allclose(d.Z, d.X @ d.W + d.b, rtol=0, atol=1e-12)
        np.testing.assert_allclose(d.dW, d.X.T @ d.dZ, rtol=0, atol=1e-12)
        np.testing.assert_allclose(d.db, d.dZ.sum(axis=0), rtol=0, atol=1e-12)
        np.testing.assert_allclose(d.dX, d.dZ @ d.W.T, rtol=0, atol=1e-12)
        np.testing.assert_allclose(d.dZ, DERIVATIVES[d.activation](d.Z) * d.dA, rtol=0, atol=1e-12)
        assert np.abs(d.dZ).max() > 1e-6  # a real δ, not zeros equal to zeros
    # one layer's output is the next one's input
    np.testing.assert_array_equal(layers[0].A, layers[1].X)
    np.testing.assert_array_equal(layers[0].dA, layers[1].dX)


def test_the_deltas_match_torch_and_what_backward_leaves_in_grad(case: Any) -> None:
    model, X, y, loss = case
    layers = nn.layer_deltas(model, X, y, loss)
    # the Parameters' .grad after fit's own loss, J = (1/m) Σ loss(ŷ, y), and backward()
    J = nn.losses.mean_loss(nn.losses.get(loss), [model(x) for x in X], y.tolist())
    J.backward()
    for d, layer in zip(layers, model.layers):
        np.testing.assert_allclose(d.dW, np.array([[w.grad for w in n.w] for n in layer.neurons]).T, atol=1e-14)
        np.testing.assert_allclose(d.db, [n.b.grad for n in layer.neurons], atol=1e-14)
    # PyTorch: the same network on tensors, δ of every Z and of X by retain_grad
    activation = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[model.activation]
    x = torch.tensor(X, requires_grad=True)
    h, zs, ws, bs = x, [], [], []
    for k, d in enumerate(layers):
        W, b = torch.tensor(d.W, requires_grad=True), torch.tensor(d.b, requires_grad=True)
        z = h @ W + b
        z.retain_grad()
        zs.append(z), ws.append(W), bs.append(b)
        h = activation(z) if k < len(layers) - 1 else z
    target = torch.tensor(y)
    if loss == "mse":
        J_torch = 0.5 * ((h - target) ** 2).mean()
    else:
        J_torch = torch.nn.functional.cross_entropy(h, target if target.ndim == 1 else target.double())
    J_torch.backward()
    assert J_torch.item() == pytest.approx(J.data, rel=1e-12)
    for d, z, W, b in zip(layers, zs, ws, bs):
        np.testing.assert_allclose(d.dZ, z.grad.numpy(), rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(d.dW, W.grad.numpy(), rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(d.db, b.grad.numpy(), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(layers[0].dX, x.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_the_compiled_mode_computes_the_same_deltas(case: Any) -> None:
    """The compiled mode (a matrix product per layer) gives every value and δ of the scalar engine, to 1e-9."""
    model, X, y, loss = case
    scalar = nn.layer_deltas(model, X, y, loss)
    compiled = nn.layer_deltas(model, X, y, loss, compiled=True)
    for s, c in zip(scalar, compiled):
        for field in FIELDS:
            np.testing.assert_allclose(getattr(c, field), getattr(s, field), rtol=0, atol=1e-9, err_msg=field)
        np.testing.assert_allclose(c.dW, c.X.T @ c.dZ, rtol=0, atol=1e-9)
        np.testing.assert_allclose(c.db, c.dZ.sum(axis=0), rtol=0, atol=1e-9)
        np.testing.assert_allclose(c.dX, c.dZ @ c.W.T, rtol=0, atol=1e-9)


@pytest.mark.parametrize("compiled", [False, True])
def test_reading_deltas_changes_no_parameter(case: Any, compiled: bool) -> None:
    model, X, y, loss = case
    before = [(p.data, p.grad) for p in model.parameters()]
    nn.layer_deltas(model, X, y, loss, compiled=compiled)
    assert [(p.data, p.grad) for p in model.parameters()] == before


def test_a_single_layer_and_one_output() -> None:
    layer = nn.Layer(2, 1, "linear", seed=0)
    (d,) = nn.layer_deltas(layer, [[1.0, 2.0], [3.0, -1.0]], [0.5, 1.0])
    assert isinstance(d, LayerDeltas) and d.name == "" and d.W.shape == (2, 1)
    residual = (d.Z[:, 0] - [0.5, 1.0]) / 2  # mse: J = (1/m) Σ ½(ŷ - y)²
    np.testing.assert_allclose(d.dZ[:, 0], residual, atol=1e-15)


def test_bad_input_gets_a_clear_error() -> None:
    with pytest.raises(TypeError, match="layer_deltas: expects a stack of dense layers.*MicroGPT"):
        nn.layer_deltas(nn.MicroGPT(vocab_size=3, block_size=2, n_embd=4, n_head=1, n_layer=1), [[0.0]], [0])
    model = nn.MLP(3, [2], seed=0)
    with pytest.raises(ValueError, match=r"layer_deltas: the model takes 3 inputs, but X has 2 columns"):
        nn.layer_deltas(model, [[1.0, 2.0]], [0.0])


BAD_BATCHES = {  # X, y of a 3-input model, each wrong in one way
    "a string in X": ([[1.0, 2.0, "a"]], [0.0]),
    "no rows": ([], []),
    "X one row of numbers, not a matrix": ([1.0, 2.0, 3.0], [0.0]),
    "NaN in X": ([[1.0, float("nan"), 0.0]], [0.0]),
    "inf in X": ([[1.0, 2.0, 3.0], [0.0, float("-inf"), 1.0]], [0.0, 1.0]),
    "two labels for one row": ([[1.0, 2.0, 3.0]], [0.0, 1.0]),
    "string labels": ([[1.0, 2.0, 3.0]], ["cat"]),
    "inf in y": ([[1.0, 2.0, 3.0]], [float("inf")]),
    "y a 3-D array": ([[1.0, 2.0, 3.0]], [[[0.0]]]),
}


@pytest.mark.parametrize("case", BAD_BATCHES)
def test_bad_batches_get_fits_errors(case: str) -> None:
    """layer_deltas reads X, y through nn.samples as fit does: the same error, with its own name."""
    X, y = BAD_BATCHES[case]
    model = nn.MLP(3, [2], seed=0)
    with pytest.raises(Exception) as from_fit:
        nn.fit(model, X, y, epochs=1, progress=False)
    with pytest.raises(type(from_fit.value)) as from_deltas:
        nn.layer_deltas(model, X, y)
    assert str(from_deltas.value) == str(from_fit.value).replace("fit:", "layer_deltas:", 1)
    assert str(from_deltas.value).startswith("layer_deltas: ")


SETUPS = {  # per loss: the model's output activation and width, and labels of the kind the loss takes
    "mse": (None, 2, lambda rng: rng.normal(size=(6, 2))),
    "binary_cross_entropy": ("sigmoid", 1, lambda rng: rng.integers(0, 2, 6)),
    "bce": ("sigmoid", 1, lambda rng: rng.integers(0, 2, 6)),
    "binary_cross_entropy_with_logits": (None, 1, lambda rng: rng.integers(0, 2, 6)),
    "bce_with_logits": (None, 1, lambda rng: rng.integers(0, 2, 6)),
    "cross_entropy": (None, 3, lambda rng: rng.integers(0, 3, 6)),
    "hinge": (None, 1, lambda rng: 2 * rng.integers(0, 2, 6) - 1),
}


def test_the_setups_cover_every_loss() -> None:
    assert set(SETUPS) == set(nn.losses.LOSSES)


@pytest.mark.parametrize("loss", sorted(SETUPS))
def test_every_loss_gives_the_same_deltas_compiled_and_scalar(loss: str) -> None:
    output_activation, width, labels = SETUPS[loss]
    rng = np.random.default_rng(5)
    model = nn.MLP(3, [4, width], activation="elu", output_activation=output_activation, seed=4)
    X, y = rng.normal(size=(6, 3)), labels(rng)
    scalar, compiled = nn.layer_deltas(model, X, y, loss), nn.layer_deltas(model, X, y, loss, compiled=True)
    for s, c in zip(scalar, compiled):
        assert np.abs(s.dZ).max() > 0
        for field in FIELDS:
            np.testing.assert_allclose(getattr(c, field), getattr(s, field), rtol=0, atol=1e-9, err_msg=field)
