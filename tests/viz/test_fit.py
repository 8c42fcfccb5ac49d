"""Pictures that fit a notebook column: width, text size and clean layout read from the rendered SVG itself."""

from __future__ import annotations

import pytest

import nn
import viz
from autograd import Value
from viz import readme_figure


def chain():
    """Notebook 01's first graph: y = 5(x³ + 7)⁴."""
    x = Value(1.0, label="x")
    u = x**3 + 7
    u.label = "u"
    y = 5 * u**4
    y.label = "y"
    y.backward()
    return y


def f4():
    """Notebook 01's f(x1..x4) of sums of powers, at (3, -1, 0, 1)."""
    x1, x2, x3, x4 = (Value(v, label=f"x{i + 1}") for i, v in enumerate([3.0, -1.0, 0.0, 1.0]))
    out = (x1 + 10 * x2) ** 2 + 5 * (x3 - x4) ** 2 + (x2 + 2 * x3) ** 4 + 10 * (x1 - x4) ** 4
    out.label = "f"
    out.backward()
    return out


def small_mlp():
    """The issue's MLP(2, [3, 1])."""
    out = nn.MLP(2, [3, 1], seed=0)([0.5, -1.0])
    out.backward()
    return out


def demo_network():
    """The demo's MLP(2, [16, 16, 1]) on one sample: neurons collapse."""
    out = nn.MLP(2, [16, 16, 1], seed=0)([0.5, -1.0])
    out.backward()
    return out


FIGURES = {
    "notebook 01 chain, local derivatives": (chain, {"show_local_grads": True}),
    "notebook 01 f4": (f4, {}),
    "README neuron": (lambda: readme_figure.neuron(), {"show_local_grads": True}),
    "MLP(2, [3, 1]), local derivatives": (small_mlp, {"show_local_grads": True}),
    "demo network": (demo_network, {}),
}


@pytest.mark.parametrize("name", list(FIGURES))
def test_figures_fit_a_notebook_column_with_readable_text_and_no_collisions(name, geometry, problems):
    make, kwargs = FIGURES[name]
    geo = geometry(viz.to_svg(make(), **kwargs))
    assert geo.width_px <= viz.DEFAULT_WIDTH + 1
    assert geo.min_text_px >= 10.0
    assert problems(geo) == []


def test_width_overrides_the_column_and_save_honours_it(tmp_path, geometry):
    root = f4()
    wide = geometry(viz.to_svg(root, width=1400))
    narrow = geometry(viz.save(root, tmp_path / "f.svg", width=500).read_text(encoding="utf-8"))
    assert narrow.width_px <= 501 < wide.width_px <= 1401
    natural = geometry(viz.to_svg(root, width=None, rankdir="LR"))
    assert natural.scale == 1.0 and natural.width_px > 1400  # the old, unscrollable size


def test_a_wide_chain_turns_top_to_bottom_when_that_is_what_fits():
    graph = viz.draw_graph(chain(), show_local_grads=True)
    assert graph.graph_attr["rankdir"] == "TB"
    assert viz.draw_graph(chain(), show_local_grads=True, width=3000).graph_attr["rankdir"] == "LR"


def test_local_derivatives_do_not_blow_up_a_big_network(geometry, problems):
    model = nn.MLP(4, [16, 16, 1], seed=0)
    loss = nn.losses.mse(model([0.1, 0.2, 0.3, 0.4]), 1.0)
    loss.backward()
    plain = geometry(viz.to_svg(loss, width=None))
    with_grads = geometry(viz.to_svg(loss, show_local_grads=True, width=None))
    assert with_grads.width_px * with_grads.height_px <= 2 * plain.width_px * plain.height_px
    assert problems(with_grads) == []


def test_neurons_are_drawn_in_order_top_to_bottom(svg_reader):
    import xml.etree.ElementTree as ET

    svg = viz.to_svg(demo_network())
    ns = "{http://www.w3.org/2000/svg}"
    ys = {}
    for g in ET.fromstring(svg.encode()).iter(f"{ns}g"):
        if g.get("class") == "node neuron":
            texts = ["".join(t.itertext()) for t in g.iter(f"{ns}text")]
            if texts[1] == "[2]":  # a^[2]_i: the first layer's neurons
                ys[int(texts[2])] = float(g.find(f"{ns}text").get("y"))
    assert sorted(ys) == list(range(1, 17))
    assert [ys[i] for i in range(1, 17)] == sorted(ys.values())
