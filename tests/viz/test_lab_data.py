"""The learner's own data in the lab: add and remove points, a third class, and back to the original data."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
import viz
from viz.lab import MAX_CLASSES

pytest.importorskip("anywidget")


def send(widget, **content):
    widget._handle_custom_msg(content, [])


@pytest.fixture
def lab():
    X, y = nn.moons(60, noise=0.1, seed=0)
    model = nn.MLP(2, [8, 8, 1], activation="tanh", seed=1)
    return viz.Lab(model, X, y, loss="bce_with_logits", optimizer=nn.Adam(model.parameters(), lr=0.05), seed=2)


def test_add_and_remove_points_from_python_and_the_widget(lab):
    X0, y0 = lab.data
    i = lab.add_point([0.5, 2.0], 1)
    X, y = lab.data
    assert i == 60 and len(X) == 61 and list(X[-1]) == [0.5, 2.0] and y[-1] == 1
    assert lab.points[-1] == [0.5, 2.0, 1.0] and lab.classes == 2
    send(lab, action="remove_point", index=3)
    X, y = lab.data
    assert len(X) == 60 and np.array_equal(np.delete(X0, 3, axis=0), X[:-1])
    send(lab, action="add_point", x=[1.0], label=0)
    assert "must have 2 features" in lab.error
    send(lab, action="reset_data")
    X, y = lab.data
    assert np.array_equal(X, X0) and np.array_equal(y, y0)
    with pytest.raises(ValueError, match=f"label must be a class 0..{MAX_CLASSES - 1}"):
        lab.add_point([0.0, 0.0], MAX_CLASSES)


def test_the_probe_stays_on_its_sample_when_an_earlier_one_goes(lab):
    lab.probe = 10
    probed = list(lab.data[0][10])
    lab.remove_point(4)
    assert lab.probe == 9 and list(lab.data[0][9]) == probed


def test_a_third_class_grows_the_model_and_trains_to_90_percent(lab):
    rng = np.random.default_rng(0)
    for x in rng.normal([1.8, 1.3], 0.08, size=(10, 2)):
        lab.add_point(x, 2)
    assert lab.classes == 3 and lab.model.nout == 3 and lab.steps == 0
    assert lab.boundary["kind"] == "class"
    lab.step(300)
    X, y = lab.data
    accuracy = float(np.mean(nn.predict(lab.model, X).argmax(axis=1) == y))
    assert accuracy == pytest.approx(lab.accuracy_value) and accuracy >= 0.9
    assert set(np.unique(nn.predict(lab.model, X).argmax(axis=1))) == {0, 1, 2}


@pytest.mark.parametrize("start", [2.0, -3.0, 6.88, 0.5, -0.37, 123.0])
def test_explore_sliders_stop_on_round_numbers(start):
    ex = viz.explore(lambda x: x * x, x=start)
    (leaf,) = ex.leaves
    step = leaf["step"]
    assert math.log10(step).is_integer()  # 0.01, 0.1, 1, ...
    for end in (leaf["min"], leaf["max"]):
        assert abs(end / step - round(end / step)) < 1e-9
    whole = [k for k in range(math.ceil(leaf["min"]), math.floor(leaf["max"]) + 1)]
    assert whole and all(abs((k - leaf["min"]) / step - round((k - leaf["min"]) / step)) < 1e-6 for k in whole)
    ex.set(x=leaf["max"] + 10.37)  # typed beyond the range: the range widens to a stop at or past it
    (leaf,) = ex.leaves
    assert leaf["max"] >= leaf["value"] and abs(leaf["max"] / step - round(leaf["max"] / step)) < 1e-9
