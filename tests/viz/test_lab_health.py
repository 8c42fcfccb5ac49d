"""The lab's health panel state (``Lab.health``): nn.health's figures on the whole dataset, recomputed after every
step, and the last step's own update-to-data ratio, each checked against a computation made here."""

from __future__ import annotations

import numpy as np
import pytest

import nn
import viz


def relu_lab(batch_size: int | None = 16) -> viz.Lab:
    X, y = nn.moons(60, noise=0.1, seed=4)
    model = nn.MLP(2, [8, 6, 1], seed=2)
    model.layers[1].neurons[3].b.data = -100.0  # a unit dead on every sample
    return viz.Lab(model, X, y, loss="bce_with_logits", optimizer=nn.Adam(model.parameters(), lr=0.05),
                   batch_size=batch_size, seed=1)  # fmt: skip


def tanh_lab() -> viz.Lab:
    X, y = nn.moons(50, noise=0.1, seed=5)
    model = nn.MLP(2, [10, 1], activation="tanh", init=nn.init.normal(3.0), seed=6)  # too large: saturated
    return viz.Lab(model, X, y, loss="mse", optimizer=nn.SGD(model.parameters(), lr=0.1), seed=1)


@pytest.mark.parametrize("make", [relu_lab, tanh_lab])
def test_the_health_rows_are_nn_health_on_the_whole_dataset(make) -> None:
    lab = make()
    for _ in range(3):
        X, y = lab.data
        expected = nn.health(lab.model, X, y, loss=lab.loss)  # the scalar engine, one graph per sample
        assert len(lab.health) == len(expected) == len(lab.model.layers)
        for row, h in zip(lab.health, expected):
            assert (row["layer"], row["activation"], row["units"]) == (h.index, h.activation, h.units)
            for key in ("mean", "std", "saturated_fraction", "dead_fraction", "grad_norm"):
                assert row[key] == pytest.approx(getattr(h, key), rel=1e-9, abs=1e-15), key
        lab.step(2)
    figures = lab.health
    assert any(r["saturated_fraction"] > 0.3 for r in figures) or any(r["dead_fraction"] > 0 for r in figures)


def test_the_update_ratio_is_the_last_steps_own() -> None:
    lab = relu_lab()
    assert all(r["update_ratio"] is None for r in lab.health)  # nothing moved yet
    lab.step(2)
    before = [np.array([w.data for n in layer.neurons for w in n.w]) for layer in lab.model.layers]
    lab.step(1)
    for row, layer, old in zip(lab.health, lab.model.layers, before):
        W = np.array([w.data for n in layer.neurons for w in n.w])
        assert row["update_ratio"] == pytest.approx(np.std(W - old) / np.std(W), rel=1e-9)
        assert 1e-5 < row["update_ratio"] < 1  # Adam at lr 0.05 on a fresh network: fast, not exploding
    lab.reset()
    assert all(r["update_ratio"] is None for r in lab.health)


def test_health_follows_an_edit_and_new_data() -> None:
    lab = relu_lab(batch_size=None)
    lab.step(1)
    dead = lab.health[1]["dead_fraction"]
    lab.set_parameter("layers.1.neurons.3.b", 5.0)  # the dead unit comes back to life
    assert lab.health[1]["dead_fraction"] == pytest.approx(dead - 1 / 6)
    lab.add_point([3.0, 3.0], 1)
    X, y = lab.data
    assert lab.health[0]["mean"] == pytest.approx(nn.health(lab.model, X, y, loss=lab.loss)[0].mean, rel=1e-12)


def test_a_model_that_is_not_an_mlp_has_no_health_rows() -> None:
    class Affine(nn.Module):
        def __init__(self) -> None:
            self.w = nn.Parameter(0.5)

        def __call__(self, x):
            return x[0] * self.w + x[1]

    X, y = nn.moons(20, seed=0)
    lab = viz.Lab(Affine(), X, y * 1.0, loss="mse")
    assert lab.health == []
