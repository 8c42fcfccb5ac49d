"""The lab's hidden-neuron thumbnails: each first- and second-layer neuron's activation over the data panel's plane,
equal to the activation computed here with numpy from the model's weights, before and after training."""

from __future__ import annotations

import numpy as np
import pytest

import nn
import viz
from viz.neurons import MAX_THUMBNAILS, NeuronMaps, hidden_layers

pytest.importorskip("anywidget")

NUMPY_ACTIVATIONS = {
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "linear": lambda z: z,
}


def layer_weights(layer: nn.Layer) -> tuple[np.ndarray, np.ndarray]:
    """W (nout × nin) and b of a layer, read off its neurons' parameters."""
    W = np.array([[w.data for w in neuron.w] for neuron in layer.neurons])
    return W, np.array([neuron.b.data for neuron in layer.neurons])


def numpy_hidden(model: nn.MLP, grid: np.ndarray) -> list[np.ndarray]:
    """Each hidden layer's activations (points × neurons), A^[l] = g(A^[l-1] W^[l]ᵀ + b^[l]) with A^[1] = the grid."""
    g = NUMPY_ACTIVATIONS[model.activation]
    A, out = grid, []
    for layer in model.layers[:-1]:
        W, b = layer_weights(layer)
        A = g(A @ W.T + b)
        out.append(A)
    return out


def plane(extent: list[float], n: int) -> np.ndarray:
    """The n × n points over extent [x0, x1, y0, y1], row by row from the top, as the thumbnails are laid out."""
    x0, x1, y0, y1 = extent
    gx, gy = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y1, y0, n))
    return np.column_stack([gx.ravel(), gy.ravel()])


def assert_thumbnails_are_the_activations(lab: viz.Lab) -> None:
    thumbs = lab.thumbnails
    assert thumbs["kind"] == "plane" and thumbs["extent"] == lab.boundary["extent"]  # the data panel's plane
    expected = numpy_hidden(lab.model, plane(thumbs["extent"], thumbs["n"]))
    assert [t["layer"] for t in thumbs["layers"]] == [2, 3][: len(expected)]
    for shown, A in zip(thumbs["layers"], expected):
        assert shown["size"] == A.shape[1] and len(shown["values"]) == min(A.shape[1], MAX_THUMBNAILS)
        for i, values in enumerate(shown["values"]):
            np.testing.assert_allclose(values, A[:, i], atol=6e-5)  # sent rounded to 4 decimals


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_thumbnails_equal_each_neurons_activation_before_and_after_training(activation):
    X, y = nn.moons(60, noise=0.1, seed=0)
    model = nn.MLP(2, [8, 6, 1], activation=activation, seed=1)
    lab = viz.Lab(model, X, y, loss="bce_with_logits", optimizer=nn.Adam(model.parameters(), lr=0.05), seed=0)
    assert lab.thumbnails["n"] == 16  # half the boundary's 40 × 40, at most 16 × 16
    assert_thumbnails_are_the_activations(lab)
    assert lab.thumbnails["layers"][0]["labels"][:2] == ["a^[2]_1", "a^[2]_2"]
    assert lab.thumbnails["layers"][1]["activation"] == activation
    before = lab.thumbnails
    lab.step(15)
    assert lab.thumbnails != before
    assert_thumbnails_are_the_activations(lab)
    lab.set_parameter("layers.0.neurons.0.b", 3.0)  # an edit shows at once
    assert_thumbnails_are_the_activations(lab)


def test_a_wide_layer_shows_its_first_neurons_and_only_two_hidden_layers_are_drawn():
    X, y = nn.moons(40, noise=0.1, seed=0)
    model = nn.MLP(2, [40, 5, 4, 1], activation="tanh", seed=1)
    lab = viz.Lab(model, X, y, loss="bce_with_logits", resolution=10, seed=0)
    thumbs = lab.thumbnails
    assert thumbs["n"] == 5
    assert [(t["layer"], t["size"], len(t["values"])) for t in thumbs["layers"]] == [(2, 40, MAX_THUMBNAILS), (3, 5, 5)]
    assert thumbs["layers"][0]["labels"][-1] == f"a^[2]_{MAX_THUMBNAILS}"
    assert_thumbnails_are_the_activations(lab)


def test_thumbnails_follow_new_data_and_a_grown_model():
    X, y = nn.moons(40, noise=0.1, seed=0)
    model = nn.MLP(2, [6, 1], activation="tanh", seed=1)
    lab = viz.Lab(model, X, y, loss="bce_with_logits", seed=0)
    lab.add_point([4.0, 4.0], 1)  # the plane widens: the thumbnails' extent with it
    assert lab.thumbnails["extent"] == lab.boundary["extent"] and lab.thumbnails["extent"][1] > 4.0
    assert_thumbnails_are_the_activations(lab)
    lab.add_point([3.0, -1.0], 2)  # a third class: a new MLP, whose neurons are shown
    assert lab.model is not model
    assert_thumbnails_are_the_activations(lab)


def test_no_thumbnails_without_hidden_layers_or_for_other_models():
    X, y = nn.moons(30, noise=0.1, seed=0)
    assert viz.Lab(nn.MLP(2, [1], seed=0), X, y, loss="bce_with_logits").thumbnails == {}
    assert hidden_layers(nn.Layer(2, 3)) == [] and NeuronMaps(nn.Layer(2, 3)).shown == []
    X3 = np.column_stack([X, X[:, 0]])
    assert viz.Lab(nn.MLP(3, [4, 1], seed=0), X3, y, loss="bce_with_logits").thumbnails == {}  # no plane to draw on


def test_neuron_maps_refuse_a_bad_limit():
    with pytest.raises(ValueError, match="NeuronMaps: limit must be an int >= 1, got 0"):
        NeuronMaps(nn.MLP(2, [3, 1]), limit=0)
