"""The lab's regression mode: 1-D inputs with mse draw the points (x, y) and the fitted curve, whose values are the
model's outputs; each hidden neuron's thumbnail is its activation along x; points are added with a float target."""

from __future__ import annotations

import numpy as np
import pytest

import nn
import viz
from autograd import Value
from viz.lab import CURVE_POINTS

pytest.importorskip("anywidget")


def send(widget, **content):
    widget._handle_custom_msg(content, [])


@pytest.fixture
def lab():
    X, y = nn.sine(50, noise=0.1, seed=0)
    model = nn.MLP(1, [16, 8, 1], activation="tanh", seed=0)
    return viz.Lab(model, X, y, optimizer=nn.Adam(model.parameters(), lr=0.05), seed=0)  # the default loss: mse


def assert_curve_is_the_model(lab: viz.Lab) -> None:
    curve = lab.curve
    x0, x1, y0, y1 = curve["extent"]
    assert len(curve["x"]) == CURVE_POINTS
    assert curve["x"][0] == pytest.approx(x0) and curve["x"][-1] == pytest.approx(x1)
    expected = nn.predict(lab.model, np.array(curve["x"]).reshape(-1, 1))
    np.testing.assert_allclose(curve["y"], expected, atol=6e-5)  # sent rounded to 4 decimals
    for k in (0, 60, 120):  # and the scalar engine's own forward pass
        assert curve["y"][k] == pytest.approx(lab.model([Value(curve["x"][k])]).data, abs=6e-5)


def assert_thumbnails_are_the_activations(lab: viz.Lab) -> None:
    thumbs = lab.thumbnails
    assert thumbs["kind"] == "line" and thumbs["extent"] == lab.curve["extent"][:2]
    A = np.linspace(*thumbs["extent"], thumbs["n"]).reshape(-1, 1)
    for shown, layer in zip(thumbs["layers"], lab.model.layers[:-1]):
        W = np.array([[w.data for w in n.w] for n in layer.neurons])
        b = np.array([n.b.data for n in layer.neurons])
        A = np.tanh(A @ W.T + b)
        assert len(shown["values"]) == A.shape[1]
        np.testing.assert_allclose(shown["values"], A.T, atol=6e-5)


def test_one_feature_and_mse_pick_regression_mode(lab):
    assert lab.classes == 0 and lab.accuracy_value == -1.0 and lab.boundary == {}
    assert "accuracy" not in repr(lab) and lab.history["accuracy"] == [-1.0]
    x0, x1, y0, y1 = lab.curve["extent"]
    X, y = lab.data
    assert x0 < X.min() < X.max() < x1 and y0 < y.min() < y.max() < y1  # the axes hold every point
    assert lab.points[3] == [X[3, 0], y[3], y[3]]  # drawn at (x, y)
    assert_curve_is_the_model(lab)
    assert [t["layer"] for t in lab.thumbnails["layers"]] == [2, 3]
    assert_thumbnails_are_the_activations(lab)


def test_regression_trains_to_a_low_mse_and_the_curve_follows(lab):
    start = lab.loss_value
    lab.step(100)
    X, y = lab.data
    mse = float(np.mean((nn.predict(lab.model, X) - y) ** 2))
    assert lab.loss_value == pytest.approx(mse / 2)  # nn.mse has the slides' ½: J = (1/2n) Σ (ŷ − y)²
    assert mse < 0.02 and mse < 2 * start / 10  # about the noise's variance, 0.01; a tenth of where it started
    assert_curve_is_the_model(lab)
    assert_thumbnails_are_the_activations(lab)


def test_add_and_remove_points_with_float_targets(lab):
    i = lab.add_point(0.5, 2.25)  # a number will do for one feature
    X, y = lab.data
    assert i == 50 and X[-1].tolist() == [0.5] and y[-1] == 2.25 and y.dtype == float
    assert lab.points[-1] == [0.5, 2.25, 2.25] and lab.curve["extent"][3] > 2.25  # the axes take it in
    lab.add_point([-4.0], -1.5)
    assert lab.data[0][-1].tolist() == [-4.0] and lab.curve["extent"][0] < -4.0
    assert_curve_is_the_model(lab)
    send(lab, action="add_point", x=[1.0], label=0.3)  # the widget's click
    assert lab.data[1][-1] == 0.3 and lab.classes == 0
    send(lab, action="remove_point", index=50)
    assert len(lab.data[0]) == 52 and lab.data[1][50] == -1.5
    send(lab, action="add_point", x=[1.0, 2.0], label=0.3)
    assert "x must have 1 features, got 2" in lab.error
    lab.reset_data()
    assert len(lab.data[0]) == 50


def test_regression_shapes_it_cannot_draw_are_named():
    X, y = nn.sine(20, seed=1)
    with pytest.raises(ValueError, match=r"X must be \(samples × features\), got an array of shape \(20,\).*reshape"):
        viz.Lab(nn.MLP(1, [4, 1]), X.ravel(), y)
    with pytest.raises(ValueError, match="got a list of 20 numbers"):
        viz.Lab(nn.MLP(1, [4, 1]), X.ravel().tolist(), y)
    with pytest.raises(ValueError, match="regression .* model gives 3 outputs"):
        viz.Lab(nn.MLP(1, [4, 3]), X, np.column_stack([y, y, y]))


def test_one_feature_with_a_classification_loss_is_not_regression():
    X, y = nn.sine(30, seed=2)
    labels = (y > 0).astype(int)
    lab = viz.Lab(nn.MLP(1, [4, 1], seed=0), X, labels, loss="bce_with_logits")
    assert lab.curve == {} and lab.classes == 2 and lab.accuracy_value >= 0


def test_sine_dataset():
    X, y = nn.sine(400, noise=0.1, seed=3)
    assert X.shape == (400, 1) and y.shape == (400,) and y.dtype == float
    assert -np.pi <= X.min() < X.max() <= np.pi
    residual = y - np.sin(X[:, 0])
    assert abs(residual.mean()) < 0.02 and 0.09 < residual.std() < 0.11
    X2, y2 = nn.sine(400, noise=0.1, seed=3)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    X0, y0 = nn.sine(10, noise=0.0, seed=0)
    np.testing.assert_array_equal(y0, np.sin(X0[:, 0]))
    with pytest.raises(ValueError, match="sine: noise must be a finite number >= 0, got -1"):
        nn.sine(10, noise=-1)
    with pytest.raises(ValueError, match="sine: n must be an int >= 1"):
        nn.sine(0)
