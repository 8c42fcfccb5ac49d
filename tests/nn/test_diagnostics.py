"""nn.health: saturation, dead units and gradients, checked against numpy and PyTorch computed independently."""

from __future__ import annotations

import numpy as np
import pytest

import nn

torch = pytest.importorskip("torch")


def weights(layer: nn.Layer) -> tuple[np.ndarray, np.ndarray]:
    return np.array([[w.data for w in n.w] for n in layer.neurons]), np.array([n.b.data for n in layer.neurons])


G = {"tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "relu": lambda z: np.maximum(z, 0.0)}


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("scale", [0.3, 4.0])
def test_saturation_and_dead_units_equal_numpy_counts(activation: str, scale: float) -> None:
    rng = np.random.default_rng(7)
    X = rng.normal(size=(60, 3))
    model = nn.MLP(3, [12, 10, 1], activation=activation, init=nn.init.normal(scale), seed=3)
    # a bias pushed far negative kills a ReLU unit on every sample, whatever the weights
    if activation == "relu":
        model.layers[1].neurons[2].b.data = -1e3
    h = nn.health(model, X)
    a = X
    for layer, found in zip(model.layers, h):
        W, b = weights(layer)
        z = a @ W.T + b
        a = G[activation](z) if layer.activation != "linear" else z
        np.testing.assert_allclose(found.activations, a, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(found.preactivations, z, rtol=1e-12, atol=1e-12)
        if layer.activation == "tanh":
            assert found.saturated == np.sum(np.abs(a) > 0.97)
        elif layer.activation == "sigmoid":
            assert found.saturated == np.sum((a > 0.97) | (a < 0.03))
        else:
            assert found.saturated == 0
        dead = np.sum(np.all(a <= 0.0, axis=0)) if layer.activation == "relu" else 0
        assert found.dead_units == dead
    if activation == "relu":
        assert h[1].dead_units >= 1
    if activation in ("tanh", "sigmoid"):  # the counts are not trivially 0 or all: large weights saturate
        assert (h[0].saturated_fraction > 0.3) == (scale == 4.0)


def test_gradients_and_update_ratios_equal_pytorchs() -> None:
    X, y = nn.data.moons(40, noise=0.1, seed=1)
    model = nn.MLP(2, [6, 5, 1], activation="tanh", seed=2)
    for p in model.parameters():
        p.grad = 0.25  # health leaves the model's .grad as it found it
    h = nn.health(model, X, y, loss="bce_with_logits", lr=0.05)
    assert all(p.grad == 0.25 for p in model.parameters())

    params = []
    a = torch.tensor(X, dtype=torch.float64)
    acts = []
    for layer in model.layers:
        W, b = (torch.tensor(m, dtype=torch.float64, requires_grad=True) for m in weights(layer))
        params.append((W, b))
        a = a @ W.T + b
        if layer.activation == "tanh":
            a = torch.tanh(a)
        a.retain_grad()
        acts.append(a)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(a[:, 0], torch.tensor(y, dtype=torch.float64))
    loss.backward()
    assert h.loss == pytest.approx(loss.item(), rel=1e-12)
    for found, (W, b), act in zip(h, params, acts):
        norm = torch.sqrt((W.grad**2).sum() + (b.grad**2).sum()).item()
        assert found.grad_norm == pytest.approx(norm, rel=1e-10)
        np.testing.assert_allclose(found.deltas, act.grad.numpy(), rtol=1e-9, atol=1e-15)
        ratio = ((0.05 * W.grad).std(unbiased=False) / W.detach().std(unbiased=False)).item()
        assert found.update_ratio == pytest.approx(ratio, rel=1e-10)
    assert "log₁₀ update/data" in str(h) and "<table>" in h._repr_html_()


def test_a_monitor_records_health_during_fit() -> None:
    X, y = nn.data.xor()
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    optimizer = nn.SGD(model.parameters(), lr=0.2)
    monitor = nn.HealthMonitor(model, X, y, loss="mse", lr=optimizer, every=3)
    nn.fit(model, X, y, optimizer=optimizer, epochs=7, callbacks=[monitor], progress=False)
    assert [e for e, _ in monitor.records] == [0, 3, 6]
    last = monitor.records[-1][1]
    assert last.loss == pytest.approx(nn.health(model, X, y, loss="mse").loss)
    assert last[0].update_ratio is not None


def test_bad_input_is_named() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match=r"health: X must be \(samples × 2\)"):
        nn.health(model, np.zeros((4, 3)))
    with pytest.raises(ValueError, match="health: X has an inf or NaN"):
        nn.health(model, np.array([[0.0, np.nan]]))
    with pytest.raises(TypeError, match="health: expected an nn.MLP or nn.Layer"):
        nn.health(object(), np.zeros((1, 2)))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="health: 4 samples in X but 3 targets"):
        nn.health(model, np.zeros((4, 2)), np.zeros(3))


@pytest.mark.parametrize(
    ("activation", "loss", "sizes"),
    [("tanh", "bce_with_logits", [8, 8, 1]), ("relu", "mse", [6, 1]), ("sigmoid", "cross_entropy", [5, 3])],
)
def test_compiled_health_equals_the_scalar_engines(activation: str, loss: str, sizes: list[int]) -> None:
    """compiled=True reads the same activations and gradients from the compiled mode: every figure agrees."""
    X, y = nn.moons(50, noise=0.1, seed=2)
    y = y * 2.0 - 1.0 if loss == "mse" else y
    model = nn.MLP(2, sizes, activation=activation, init=nn.init.normal(2.0), seed=1)
    model.layers[0].neurons[0].b.data = -50.0  # a dead ReLU, a saturated tanh / sigmoid unit
    scalar = nn.health(model, X, y, loss=loss, lr=0.1)
    compiled = nn.health(model, X, y, loss=loss, lr=0.1, compiled=True)
    assert compiled.loss == pytest.approx(scalar.loss, rel=1e-12)
    for s, c in zip(scalar, compiled, strict=True):
        np.testing.assert_allclose(c.activations, s.activations, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(c.preactivations, s.preactivations, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(c.deltas, s.deltas, rtol=1e-9, atol=1e-15)
        assert (c.saturated, c.dead_units) == (s.saturated, s.dead_units)
        for key in ("grad_norm", "weight_norm", "update_ratio"):
            assert getattr(c, key) == pytest.approx(getattr(s, key), rel=1e-9), key
    assert scalar[0].saturated + scalar[0].dead_units > 0  # the case checked is not all healthy
    with pytest.raises(ValueError, match="compiled=True .* give the targets y"):
        nn.health(model, X, compiled=True)
