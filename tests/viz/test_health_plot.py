"""viz.plot_health draws what nn.health measured: the bars and lines carry its numbers."""

from __future__ import annotations

import math

import matplotlib
import matplotlib.pyplot
import numpy as np
import pytest

import nn
import viz

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    matplotlib.pyplot.close("all")


@pytest.fixture
def moons() -> tuple[np.ndarray, np.ndarray]:
    return nn.data.moons(60, noise=0.1, seed=0)


def test_one_health_four_panels_with_its_numbers(moons) -> None:
    X, y = moons
    model = nn.MLP(2, [8, 8, 1], activation="tanh", init=nn.init.normal(2.0), seed=0)
    h = nn.health(model, X, y, loss="bce_with_logits", lr=0.1)
    fig = viz.plot_health(h)
    act, grad, bad, ratio = fig.axes
    assert len(act.lines) == 2 and len(grad.lines) == 2  # the two hidden layers
    heights = [p.get_height() for p in bad.patches]
    assert heights == pytest.approx([x.saturated_fraction for x in h] + [x.dead_fraction for x in h])
    assert [p.get_height() for p in ratio.patches] == pytest.approx([math.log10(x.update_ratio) for x in h])
    assert "saturated" in act.get_legend().get_texts()[0].get_text()


def test_without_targets_the_gradient_panels_say_what_is_missing(moons) -> None:
    X, _ = moons
    fig = viz.plot_health(nn.health(nn.MLP(2, [4, 1], seed=0), X))
    assert "pass targets y" in fig.axes[1].texts[0].get_text()


def test_a_monitor_draws_over_the_epochs(moons) -> None:
    X, y = moons
    model = nn.MLP(2, [6, 1], activation="relu", seed=0)
    opt = nn.SGD(model.parameters(), lr=0.1)
    monitor = nn.HealthMonitor(model, X, y, loss="bce_with_logits", lr=opt, every=2)
    nn.fit(model, X, y, loss="bce_with_logits", optimizer=opt, epochs=6, callbacks=[monitor], progress=False)
    fig = viz.plot_health(monitor)
    sat, ratio = fig.axes
    assert list(sat.lines[0].get_xdata()) == [0, 2, 4]
    expected = [[math.log10(h[k].update_ratio) for _, h in monitor.records] for k in range(2)]
    assert [list(line.get_ydata()) for line in ratio.lines[:2]] == [pytest.approx(e) for e in expected]
    with pytest.raises(TypeError, match="plot_health: expected an nn.Health"):
        viz.plot_health([1, 2])
