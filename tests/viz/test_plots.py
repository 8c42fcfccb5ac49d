"""Matplotlib plots (Agg backend): the data drawn is the data given."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nn  # noqa: E402
import viz  # noqa: E402
from autograd import Value, is_grad_enabled  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def lines_by_label(ax) -> dict[str, np.ndarray]:
    return {line.get_label(): np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()}


def test_history_dict_gives_one_panel_per_metric_with_train_and_val_together():
    history = {"loss": [1.0, 0.5, 0.25], "val_loss": [1.2, 0.7, 0.4], "accuracy": [0.5, 0.75, 1.0]}
    fig = viz.plot_history(history)
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_title() == "loss" and acc_ax.get_title() == "accuracy"
    loss = lines_by_label(loss_ax)
    assert set(loss) == {"loss", "val_loss"}
    np.testing.assert_array_equal(loss["loss"], [1.0, 0.5, 0.25])
    np.testing.assert_array_equal(loss_ax.get_lines()[0].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(lines_by_label(acc_ax)["accuracy"], [0.5, 0.75, 1.0])


def test_history_object_from_fit():
    X, y = nn.data.xor()
    model = nn.MLP(2, [4, 1], activation="tanh", seed=1)
    history = nn.fit(
        model, X, y, loss="bce_with_logits", optimizer=nn.Adam(model.parameters(), lr=0.1), epochs=5, progress=False
    )
    fig = viz.plot_history(history)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "loss" and "accuracy" in titles
    np.testing.assert_allclose(lines_by_label(fig.axes[0])["loss"], history.loss)
    assert viz.plot_history(history, metrics=["loss"]).axes[0].get_title() == "loss"


def test_history_duck_types():
    class Plain:
        def __init__(self):
            self.loss = [3.0, 2.0]
            self.name = "run"

    class Keras:
        history = {"loss": [1.0], "accuracy": [0.5]}

    assert viz.history_series(Plain()) == {"loss": [3.0, 2.0]}
    assert viz.history_series(Keras()) == {"loss": [1.0], "accuracy": [0.5]}
    with pytest.raises(ValueError, match="no lists of numbers"):
        viz.plot_history({"loss": []})
    with pytest.raises(ValueError, match="no series"):
        viz.plot_history({"loss": [1.0]}, metrics=["accuracy"])
    with pytest.raises(TypeError, match="plot_history"):
        viz.plot_history(3)


def boundary_points(ax) -> np.ndarray:
    (contour,) = [c for c in ax.collections if type(c).__name__ == "QuadContourSet" and len(c.levels) == 1]
    return np.concatenate([p.vertices for p in contour.get_paths()])


def test_decision_boundary_of_a_known_linear_model_is_that_line():
    X = np.array([[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [1.0, -1.0]])
    y = np.array([1, -1, 1, -1])
    seen_grad_mode = []

    def model(p):
        seen_grad_mode.append(is_grad_enabled())
        assert isinstance(p, np.ndarray) and p.shape == (2,)
        return Value(p[1]) - 2 * Value(p[0])  # class 1 above the line x2 = 2·x1

    ax = viz.plot_decision_boundary(model, X, y, resolution=40)
    pts = boundary_points(ax)
    assert len(pts) > 10
    np.testing.assert_allclose(pts[:, 1], 2 * pts[:, 0], atol=1e-9)
    assert not any(seen_grad_mode)  # evaluated under no_grad
    scatter = ax.collections[-1]
    np.testing.assert_array_equal(scatter.get_offsets(), X)


def test_decision_boundary_threshold_is_halfway_between_labels():
    X = np.array([[0.0, 0.0], [1.0, 1.0]])
    ax = viz.plot_decision_boundary(lambda p: Value(p[0]), X, [0, 1], resolution=30)
    np.testing.assert_allclose(boundary_points(ax)[:, 0], 0.5, atol=1e-9)


def test_decision_boundary_multiclass_uses_argmax():
    X = np.array([[-1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    y = [0, 1, 2]
    ax = viz.plot_decision_boundary(lambda p: [Value(-p[0]), Value(p[1]), Value(p[0])], X, y, resolution=20)
    filled = [c for c in ax.collections if type(c).__name__ == "QuadContourSet"]
    assert len(filled) == 1 and list(filled[0].levels) == [-0.5, 0.5, 1.5, 2.5]


def test_decision_boundary_of_a_trained_mlp():
    X, y = nn.data.xor()
    model = nn.MLP(2, [4, 1], activation="tanh", seed=1)
    nn.fit(
        model, X, y, loss="bce_with_logits", optimizer=nn.Adam(model.parameters(), lr=0.1), epochs=150, progress=False
    )
    ax = viz.plot_decision_boundary(model, X, y, resolution=25)
    assert len(boundary_points(ax)) > 0


def test_decision_boundary_rejects_bad_shapes():
    with pytest.raises(ValueError, match="shape"):
        viz.plot_decision_boundary(lambda p: Value(0.0), np.zeros((3, 3)), [0, 1, 0])
    with pytest.raises(ValueError, match="labels"):
        viz.plot_decision_boundary(lambda p: Value(0.0), np.zeros((3, 2)), [0, 1])


def f_values(x, y):
    return -((x.cos() ** 2 + y.cos() ** 2) ** 2)


def f_floats(x, y):
    return -((math.cos(x) ** 2 + math.cos(y) ** 2) ** 2)


@pytest.mark.parametrize("f", [f_values, f_floats])
def test_descent_path_on_contours(f):
    path = [(Value(0.4), Value(-0.3)), (0.6, -0.5), (1.0, -0.9)]
    ax = viz.plot_descent(f, path, resolution=40)
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(lines["descent path"].get_xdata(), [0.4, 0.6, 1.0])
    np.testing.assert_array_equal(lines["descent path"].get_ydata(), [-0.3, -0.5, -0.9])
    (contour,) = [c for c in ax.collections if type(c).__name__ == "QuadContourSet" and c.filled]
    lo, hi = ax.get_xlim()
    assert lo < 0.4 and hi > 1.0
    grid = np.linspace(*ax.get_xlim(), 40)
    assert contour.levels.min() <= f_floats(grid[0], ax.get_ylim()[0]) <= contour.levels.max()


def test_descent_rejects_empty_path():
    with pytest.raises(ValueError, match="path"):
        viz.plot_descent(f_floats, [])


def test_nn_models_are_evaluated_compiled_with_the_same_scores_as_one_by_one():
    from viz.plots import _scores

    model = nn.MLP(2, [5, 3], activation="tanh", seed=2)
    points = np.random.default_rng(0).normal(size=(40, 2))
    np.testing.assert_allclose(_scores(model, points, True), _scores(model, points, False), rtol=1e-12, atol=1e-12)
    assert all(p.grad == 0.0 for p in model.parameters())
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    compiled = boundary_regions(viz.plot_decision_boundary(model, X, [0, 1, 2], resolution=15))
    eager = boundary_regions(viz.plot_decision_boundary(model, X, [0, 1, 2], resolution=15, compiled=False))
    assert compiled == eager


def boundary_regions(ax) -> list:
    (filled,) = [c for c in ax.collections if type(c).__name__ == "QuadContourSet"]
    return [p.vertices.round(9).tolist() for p in filled.get_paths()]


def test_descent_legend_stays_off_the_path():
    path = [(1.4, 0.3), (1.2, 0.2), (0.8, 0.1), (0.2, 0.0)]  # notebook 08's start, in the upper right
    ax = viz.plot_descent(f_floats, path, xlim=(-0.8, 1.6), ylim=(-0.8, 0.8), resolution=30)
    fig = ax.figure
    fig.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    axes = ax.get_window_extent()
    assert legend.y1 <= axes.y0  # below the axes: it covers no point of the path
    points = ax.transData.transform(np.array(path))
    assert not any(legend.contains(x, y) for x, y in points)
