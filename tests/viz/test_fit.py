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


def issue_network_loss():
    """The issue's MLP(4, [16, 16, 1]) loss graph (neurons collapse: more than max_nodes nodes)."""
    model = nn.MLP(4, [16, 16, 1], seed=0)
    loss = nn.losses.mse(model([0.1, 0.2, 0.3, 0.4]), 1.0)
    loss.backward()
    return loss


def mlp_loss(sizes, nin=3):
    model = nn.MLP(nin, sizes, seed=1)
    loss = nn.losses.mse(model([0.1 * (i + 1) for i in range(nin)]), 1.0)
    loss.backward()
    return loss


FIGURES = {
    "notebook 01 chain, local derivatives": (chain, {"show_local_grads": True}),
    "notebook 01 f4": (f4, {}),
    "README neuron": (lambda: readme_figure.neuron(), {"show_local_grads": True}),
    "MLP(2, [3, 1]), local derivatives": (small_mlp, {"show_local_grads": True}),
    "demo network": (demo_network, {}),
    "issue's MLP(4, [16, 16, 1]) loss": (issue_network_loss, {}),
    "issue's MLP(4, [16, 16, 1]) loss, local derivatives": (issue_network_loss, {"show_local_grads": True}),
    "MLP(2, [3, 1]) loss, local derivatives (2 rows)": (lambda: mlp_loss([3, 1], nin=2), {"show_local_grads": True}),
    "MLP(3, [3, 3, 1]) loss, local derivatives (4 rows)": (lambda: mlp_loss([3, 3, 1]), {"show_local_grads": True}),
}


@pytest.mark.parametrize("name", list(FIGURES))
def test_figures_fit_a_notebook_column_with_readable_text_and_no_collisions(name, geometry, problems):
    import warnings

    make, kwargs = FIGURES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error", viz.NarrowWidthWarning)  # the chooser knows they fit
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


def notebook02_loss():
    """Notebook 02's loss J of the slides' 1-2-1 sigmoid network (its loss graph is drawn top down)."""
    net = nn.MLP(1, [2, 1], activation="sigmoid", output_activation="sigmoid")
    net.load_state_dict(
        {
            "layers.0.neurons.0.w.0": 0.3,
            "layers.0.neurons.0.b": 0.1,
            "layers.0.neurons.1.w.0": 0.4,
            "layers.0.neurons.1.b": 0.2,
            "layers.1.neurons.0.w.0": 1.0,
            "layers.1.neurons.0.w.1": -3.0,
            "layers.1.neurons.0.b": 0.2,
        }
    )
    loss = nn.losses.mse(net([1.0]), 1.0)
    loss.label = "J"
    loss.backward()
    return loss


ORDERED = {
    "notebook 02 loss, local derivatives": (notebook02_loss, {"show_local_grads": True, "precision": 3}),
    "notebook 02 loss": (notebook02_loss, {}),
    "MLP(2, [3, 1]), local derivatives": (small_mlp, {"show_local_grads": True}),
    "MLP(3, [4, 4, 1]) loss": (lambda: mlp_loss([4, 4, 1]), {}),
    "MLP(3, [3, 3, 1]) loss, local derivatives": (lambda: mlp_loss([3, 3, 1]), {"show_local_grads": True}),
    "demo network, collapsed neurons": (demo_network, {}),
}


def _centre(box):
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _within(inner, outer):
    return outer[0] <= inner[0] and inner[2] <= outer[2] and outer[1] <= inner[1] and inner[3] <= outer[3]


def neurons_by_layer(svg, geometry):
    """{layer number: [(neuron number, centre)]} read from the SVG, layers numbered as their titles say.

    A neuron is a cluster titled "neuron k" inside a layer cluster titled "layer l: ...", or a collapsed
    neuron's node titled a^[l]_k.
    """
    import re
    import xml.etree.ElementTree as ET

    geo = geometry(svg)
    titles = {}
    for _, _, _, owner in geo.texts:
        titles[owner] = " ".join(t for t, _, _, o in geo.texts if o == owner)
    layers = {}
    for name, box in geo.clusters.items():
        match = re.match(r"layer (\d+)", titles.get(name, ""))
        if match:
            layers[int(match[1])] = box
    members, parameters, inputs = {}, {}, []
    for name, box in geo.clusters.items():
        match = re.fullmatch(r"neuron (\d+)", titles.get(name, ""))
        if match:
            (layer,) = [k for k, outer in layers.items() if _within(box, outer)]
            members.setdefault(layer, []).append((int(match[1]), _centre(box)))
    ns = "{http://www.w3.org/2000/svg}"
    for g in ET.fromstring(svg.encode()).iter(f"{ns}g"):
        if g.get("class") == "node parameter":  # w^[l]_ij or b^[l]_i, in its neuron's cluster
            texts = g.findall(f".//{ns}text")
            name, _, index = ("".join(t.itertext()) for t in texts[:3])
            x, y = float(texts[0].get("x")), float(texts[0].get("y"))
            neurons = {k: box for k, box in geo.clusters.items() if k.startswith("cluster_neuron")}
            (cluster,) = [k for k, box in neurons.items() if box[0] <= x <= box[2] and box[1] <= y <= box[3]]
            parameters.setdefault(cluster, []).append(((name == "b", index), (x, y)))
        if g.get("class") == "node input":  # the network's inputs x1..xn
            texts = g.findall(f".//{ns}text")
            match = re.fullmatch(r"x(\d+)", "".join(texts[0].itertext()))
            if match:
                inputs.append((int(match[1]), (float(texts[0].get("x")), float(texts[0].get("y")))))
        if g.get("class") == "node neuron":
            texts = g.findall(f".//{ns}text")
            a, layer, neuron = ("".join(t.itertext()) for t in texts[:3])
            assert a in ("a", "z")  # z: a linear output neuron
            x, y = float(texts[0].get("x")), float(texts[0].get("y"))
            members.setdefault(int(layer.strip("[]")), []).append((int(neuron), (x, y)))
    if len(inputs) > 1:
        parameters[""] = [((False, str(k)), xy) for k, xy in inputs]  # x1..xn: read like a neuron's w1..wn
    return dict(sorted(members.items())), list(parameters.values())


@pytest.mark.parametrize("name", list(ORDERED))
def test_neurons_1_to_n_in_reading_order_and_layers_in_order_in_every_layout_the_chooser_can_pick(name, geometry):
    make, kwargs = ORDERED[name]
    graph = viz.draw_graph(make(), **kwargs)
    assert {rankdir for rankdir, *_ in graph.layouts} == {"LR", "TB"}
    wrapped = 0
    for (rankdir, *_), build in graph.layouts.items():
        drawn = build()
        rows = "rows" in drawn.ordered_clusters  # left to right wrapped into rows, read like text
        wrapped += rows
        members, parameters = neurons_by_layer(viz.to_svg(drawn), geometry)
        assert members, "no neurons found"
        across = rankdir == "TB"  # neurons side by side (left to right) when the layers run top down
        centres, spans = [], []
        for layer, neurons in members.items():
            reading = sorted(neurons, key=lambda n: n[1][0] if across else n[1][1])  # SVG y grows downwards
            assert [k for k, _ in reading] == sorted(k for k, _ in neurons), (rankdir, layer, reading)
            xs, ys = zip(*(c for _, c in neurons))
            centres.append((sum(xs) / len(xs), sum(ys) / len(ys)))
            spans.append((min(ys), max(ys)))
        along = [c[1] if across else c[0] for c in centres]
        for k in range(len(along) - 1):  # the next layer further along, or (wrapped) wholly in a row below
            below = rows and spans[k + 1][0] > spans[k][1]
            assert along[k] < along[k + 1] or below, (rankdir, rows, "layers out of order", along, spans)
        for params in parameters:  # w_i1 .. w_in, then b_i (and the inputs x1..xn)
            reading = sorted(params, key=lambda n: n[1][0] if across else n[1][1])
            assert [k for k, _ in reading] == sorted(k for k, _ in params), (rankdir, reading)
            if not across:  # one column, not some above the first layer and some below it
                ys = [y for _, (_, y) in reading]
                assert all(b - a < 100 for a, b in zip(ys, ys[1:])), (rankdir, reading)
    assert wrapped, "no layout wraps this network into rows"


def test_every_backward_frame_keeps_the_neurons_in_order(geometry):
    steps = viz.backward_steps(notebook02_loss())
    for frame in (steps[0], steps[len(steps) // 2], steps[-1]):
        members, _ = neurons_by_layer(frame.svg(), geometry)
        across = frame.graph.graph_attr["rankdir"] == "TB"
        for neurons in members.values():
            reading = sorted(neurons, key=lambda n: n[1][0] if across else n[1][1])
            assert [k for k, _ in reading] == sorted(k for k, _ in neurons)


def test_a_big_network_without_grouping_wraps_into_rows_that_fit_with_readable_text(geometry, problems):
    """MLP(4, [16, 16, 1])'s loss with group="none": too wide in every direction, so its ranks fold into rows."""
    import xml.etree.ElementTree as ET

    model = nn.MLP(4, [16, 16, 1], seed=0)
    loss = nn.losses.mse(model([0.1, 0.2, 0.3, 0.4]), 1.0)
    loss.backward()
    svg = viz.to_svg(loss, group="none")
    geo = geometry(svg)
    assert geo.width_px <= viz.DEFAULT_WIDTH + 1 and geo.min_text_px >= 10.0
    assert problems(geo) == []
    ns = "{http://www.w3.org/2000/svg}"
    boxes: dict[str, list[tuple[bool, float]]] = {}  # a value's text -> (drawn again?, y) of each box showing it
    for g in ET.fromstring(svg.encode()).iter(f"{ns}g"):
        if g.get("class", "").startswith("node") and "op" not in g.get("class", ""):
            texts = g.findall(f".//{ns}text")
            key = " ".join("".join(t.itertext()) for t in texts)
            boxes.setdefault(key, []).append(("continued" in g.get("class"), float(texts[0].get("y"))))
    continued = {key: ys for key, ys in boxes.items() if any(again for again, _ in ys)}
    assert continued, "no value starts a second row"
    for key, ys in continued.items():  # each value carried into the next row is drawn again below its original
        (original,) = [y for again, y in ys if not again]
        assert all(y > original for again, y in ys if again), key


def test_a_width_nothing_fits_warns_with_the_width_that_would(geometry):
    import re

    root = small_mlp()
    with pytest.warns(viz.NarrowWidthWarning, match=r"fits 200 px") as caught:
        viz.draw_graph(root, show_local_grads=True, width=200)
    needed = int(re.search(r"width=(\d+)", str(caught[0].message))[1])
    assert 200 < needed < 2000
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", viz.NarrowWidthWarning)
        geo = geometry(viz.to_svg(root, show_local_grads=True, width=needed))
    assert geo.width_px <= needed + 1 and geo.min_text_px >= 10.0


def test_the_issues_big_network_with_local_derivatives_fits_with_its_loss_folded_under_the_network(geometry, problems):
    """MLP(4, [16, 16, 1])'s loss with ∂ labels is too wide on one row (7.9 px text at 900 px): it wraps, the
    network in the first row (layers left to right, neurons 1..16 top down), the rest of the loss in a row below."""
    import warnings
    import xml.etree.ElementTree as ET

    with warnings.catch_warnings():
        warnings.simplefilter("error", viz.NarrowWidthWarning)
        graph = viz.draw_graph(issue_network_loss(), show_local_grads=True)
    assert graph.graph_attr["rankdir"] == "LR" and len(graph.ordered_clusters["rows"]) == 2
    svg = viz.to_svg(graph)
    geo = geometry(svg)
    assert geo.width_px <= viz.DEFAULT_WIDTH + 1 and geo.min_text_px >= 10.0
    assert problems(geo) == []
    members, _ = neurons_by_layer(svg, geometry)
    assert [len(neurons) for neurons in members.values()] == [16, 16, 1]
    for neurons in members.values():
        assert [k for k, _ in sorted(neurons, key=lambda n: n[1][1])] == sorted(k for k, _ in neurons)
    xs = [[x for _, (x, _) in neurons] for neurons in members.values()]
    assert max(xs[0]) < min(xs[1]) and max(xs[1]) < min(xs[2])  # layers left to right in the first row
    ns = "{http://www.w3.org/2000/svg}"
    ys: dict[str, list[float]] = {}
    for g in ET.fromstring(svg.encode()).iter(f"{ns}g"):
        if g.get("class", "").startswith("node"):
            ys.setdefault(g.get("class"), []).extend(float(t.get("y")) for t in g.iter(f"{ns}text"))
    network = max(ys["node neuron"] + ys["node input"])
    assert min(ys["node output"]) > network  # the loss sits in the row under the network
    assert min(ys["node computed continued"]) > network  # and starts with the value carried into that row


def test_a_graph_too_big_to_try_every_layout_is_laid_out_once_along_its_longer_side_and_warned_about(geometry):
    """Over viz.layout.MEASURE_LIMIT DOT lines one layout is drawn: a network left to right (top down its 16 neurons
    with their parameters side by side showed 0.3 px text at 900 px), measured, and a warning names the width."""
    import re

    loss = issue_network_loss()
    with pytest.warns(viz.NarrowWidthWarning, match="too big to try several layouts") as caught:
        graph = viz.draw_graph(loss, max_nodes=None)
    assert graph.source.count("\n") > viz.layout.MEASURE_LIMIT
    assert graph.graph_attr["rankdir"] == "LR"
    shown = float(re.search(r"shows ([\d.]+) px", str(caught[0].message))[1])
    assert shown == pytest.approx(geometry(viz.to_svg(graph)).min_text_px, abs=0.2)  # scale written to 2 decimals
    needed = int(re.search(r"width=(\d+)", str(caught[0].message))[1])
    geo = geometry(viz.to_svg(viz.layout.fit_to_width(graph, needed)))
    assert geo.width_px <= needed + 1 and geo.min_text_px >= 10.0


@pytest.mark.parametrize("show_local_grads", [False, True])
def test_the_issues_network_on_a_slide_keeps_its_layer_titles_clear_of_edges(
    show_local_grads, tmp_path, geometry, problems
):
    """A 16:9 slide lays the collapsed network out top down, where edges reach each layer from above: every layer
    keeps room of its own for its title, right of its last neuron."""
    loss = issue_network_loss()
    graph = viz.draw_graph(loss, show_local_grads=show_local_grads)
    geo = geometry(viz.save(graph, tmp_path / "slide.svg", slide=True).read_text(encoding="utf-8"))
    assert sum(name.startswith("cluster_layer") for name in geo.cluster_titles) == 2
    assert problems(geo) == []


def shortcut_diamond():
    """Notebook 10's L = 2a + tanh(2a): b = 2a is read twice, so a wrong visiting order shows."""
    a = Value(0.5, label="a")
    b = 2.0 * a
    b.label = "b"
    c = b.tanh()
    c.label = "c"
    L = b + c
    L.label = "L"
    return L, b, c, a


@pytest.mark.parametrize("width", [viz.DEFAULT_WIDTH, 600])
def test_walk_steps_frames_fit_the_width_with_readable_text(width, geometry, problems):
    L, b, c, a = shortcut_diamond()
    steps = viz.walk_steps(L, [L, b, a, c, b, a], width=width)  # depth first: b and a visited twice
    for frame in steps:
        geo = geometry(frame.svg(caption=False))
        assert geo.width_px <= width + 1 and geo.min_text_px >= 10.0, (frame.index, geo.width_px, geo.min_text_px)
        assert problems(geo) == []
    natural = geometry(viz.walk_steps(L, L.walk(), rankdir="LR", width=None)[0].svg(caption=False))
    assert natural.width_px > viz.DEFAULT_WIDTH  # what notebook 10 showed before: it scrolled sideways
