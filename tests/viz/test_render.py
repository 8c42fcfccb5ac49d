"""Rendering with the real `dot` binary: the SVG's nodes, texts, edges and clusters, files, errors."""

from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET

import graphviz
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn
import viz
import viz.text
from autograd import Value, local_grads

SVG = "{http://www.w3.org/2000/svg}"


def _text(element) -> str:
    return "".join(element.itertext()).replace("\xa0", " ")


def value_nodes(items):
    return {n.title: n for n in items["node"] if n.title.startswith("v")}


def test_neuron_svg_has_every_node_with_its_data_and_delta(neuron, svg_reader):
    neuron.o.backward()
    items = svg_reader(viz.to_svg(neuron.o, legend=False))
    values = neuron.o.walk()
    ops = [v for v in values if v.inputs]
    assert len(items["node"]) == len(values) + len(ops) == 10 + 5
    nodes = value_nodes(items)
    tanh_n = math.tanh(neuron.n.data)
    expected = {  # the lecture's numbers, from the formulas
        neuron.o: (tanh_n, 1.0),
        neuron.n: (neuron.n.data, 1 - tanh_n**2),
        neuron.b: (6.8813735870195432, 1 - tanh_n**2),
        neuron.w1: (-3.0, (1 - tanh_n**2) * 2.0),
        neuron.w2: (1.0, (1 - tanh_n**2) * 0.0),
        neuron.x1: (2.0, (1 - tanh_n**2) * -3.0),
        neuron.x2: (0.0, (1 - tanh_n**2) * 1.0),
    }
    for v, (data, delta) in expected.items():
        node = nodes[viz.node_name(v)]
        assert f"data {data:.4f}" in node.texts and f"δ {delta + 0.0:.4f}" in node.texts, node.texts
        assert node.texts[0] == v.label
    assert nodes[viz.node_name(neuron.o)].texts == ["o", "data 0.7071", "δ 1.0000"]
    assert nodes[viz.node_name(neuron.n)].texts == ["n", "data 0.8814", "δ 0.5000"]
    assert {n.texts[0] for n in items["node"] if n.title.startswith("o")} == {"*", "+", "tanh"}
    assert len(items["edge"]) == sum(len(v.inputs) + 1 for v in ops)


def test_edge_labels_in_svg_are_the_local_derivatives(neuron, svg_reader):
    neuron.o.backward()
    items = svg_reader(viz.to_svg(neuron.o, show_local_grads=True, legend=False))
    texts = {n.title: n.texts for n in items["node"]}
    edges = {e.title for e in items["edge"]}
    for v in neuron.o.walk():
        for i, (x, d) in enumerate(zip(v.inputs, local_grads(v))):
            label = viz.derivative_node_name(v, i)  # the label node on the edge x -> op
            assert texts[label] == [f"∂={viz.format_number(d)}"]
            assert {f"{viz.node_name(x)}->{label}", f"{label}->{viz.op_node_name(v)}"} <= edges
    assert texts[viz.derivative_node_name(neuron.o, 0)] == ["∂=0.5000"]


def test_legend_is_one_row_above_the_picture(neuron):
    svg = viz.to_svg(neuron.o, show_local_grads=True, legend=True)
    graph = next(g for g in ET.fromstring(svg.encode()).iter(f"{SVG}g") if g.get("class") == "graph")
    texts = {_text(t): float(t.get("y")) for t in graph.findall(f"{SVG}text")}  # the graph's own label
    for kind in ("parameter", "input", "op", "derivative"):
        assert viz.STYLES[kind].description in texts
    assert len(set(texts.values())) == 1  # one row
    nodes_top = min(float(t.get("y")) for t in graph.iter(f"{SVG}text") if t not in graph.findall(f"{SVG}text"))
    assert max(texts.values()) < nodes_top  # above everything else
    assert "parameter (nn.Parameter)" not in viz.to_svg(neuron.o)  # off by default


def _box(svg: str, title: str) -> tuple[float, float, float, float]:
    """Bounding box of the polygon of the cluster named ``title``."""
    ns = "{http://www.w3.org/2000/svg}"
    for g in ET.fromstring(svg.encode()).iter(f"{ns}g"):
        t = g.find(f"{ns}title")
        if t is not None and t.text == title:
            shape = g.find(f"{ns}polygon") if g.find(f"{ns}polygon") is not None else g.find(f"{ns}path")
            pts = shape.get("points") or shape.get("d")
            nums = [float(x) for x in pts.replace("M", " ").replace("C", " ").replace(",", " ").split()]
            xs, ys = nums[0::2], nums[1::2]
            return min(xs), min(ys), max(xs), max(ys)
    raise KeyError(title)


def _inside(inner, outer) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def test_real_mlp_svg_has_neuron_clusters_inside_layer_clusters(svg_reader):
    model = nn.MLP(2, [3, 2, 1], activation="tanh", seed=0)
    out = model([0.5, -1.0])
    out.backward()
    svg = viz.to_svg(out, legend=False)
    items = svg_reader(svg)
    titles = {c.title for c in items["cluster"]}
    layers = {t for t in titles if t.startswith("cluster_layer")}
    neurons = {t for t in titles if t.startswith("cluster_neuron")}
    assert len(layers) == 3 and len(neurons) == 3 + 2 + 1
    for t in neurons:
        layer = "cluster_layer_" + t.removeprefix("cluster_neuron_").rsplit("_neurons_", 1)[0]
        assert _inside(_box(svg, t), _box(svg, layer))
    layer_text = {c.title: c.text for c in items["cluster"]}
    assert "layer 2: W" in layer_text["cluster_layer_layers_0"] and "[1]" in layer_text["cluster_layer_layers_0"]
    assert layer_text["cluster_neuron_layers_1_neurons_1"] == "neuron 2"
    nodes = value_nodes(items)
    for p in model.parameters():  # every weight drawn with its data and δ
        texts = nodes[viz.node_name(p)].texts
        assert f"data {viz.format_number(p.data)}" in texts and f"δ {viz.format_number(p.grad)}" in texts


def test_real_mlp_collapses_neurons_then_layers(svg_reader):
    model = nn.MLP(2, [3, 2, 1], activation="tanh", seed=0)
    out = model([0.5, -1.0])
    out.backward()
    full = len(svg_reader(viz.to_svg(out, legend=False, width=None))["node"])  # one row: each node drawn once
    items = svg_reader(viz.to_svg(out, max_nodes=full - 1, legend=False))
    summaries = [n for n in items["node"] if "neuron" in n.classes]
    assert len(summaries) == 6 and len(items["node"]) == 6 + 2  # six neurons and the inputs x1, x2
    a = {n.texts[0] + n.texts[1] + n.texts[2]: n for n in summaries}  # label is a, [l], i
    output = a["z[4]1"]
    assert f"data {viz.format_number(out.data)}" in output.texts and "δ 1.0000" in output.texts
    assert len(items["edge"]) == 2 * 3 + 3 * 2 + 2 * 1
    items = svg_reader(viz.to_svg(out, max_nodes=6, legend=False))
    layers = [n for n in items["node"] if "layer" in n.classes]
    assert len(layers) == 3 and len(items["edge"]) == 2 + 1 + 1
    assert any("3 neurons" in n.text for n in layers)


def test_big_mlp_collapses_by_default(svg_reader):
    model = nn.MLP(2, [16, 16, 1], seed=0)
    loss = model([0.5, -0.5]) + model([1.0, 2.0])  # two samples: one summary per neuron per sample
    items = svg_reader(viz.to_svg(loss, legend=False))
    assert sum("neuron" in n.classes for n in items["node"]) == 2 * 33
    assert len(items["node"]) <= viz.DEFAULT_MAX_NODES


def test_save_picks_the_format_from_the_suffix(neuron, tmp_path, svg_reader):
    neuron.o.backward()
    graph = viz.draw_graph(neuron.o)
    svg = viz.save(graph, tmp_path / "g.svg")
    assert value_nodes(svg_reader(svg.read_text(encoding="utf-8")))
    assert viz.save(graph, tmp_path / "g.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert viz.save(neuron.o, tmp_path / "sub" / "g.pdf", rankdir="TB").read_bytes().startswith(b"%PDF")
    assert viz.save(graph, tmp_path / "g.dot").read_text(encoding="utf-8") == graph.source
    assert graph.save_as(tmp_path / "method.svg").exists()
    assert graph.render(outfile=tmp_path / "by_graphviz.svg", cleanup=True).endswith("by_graphviz.svg")
    with pytest.raises(ValueError, match="suffix"):
        viz.save(graph, tmp_path / "noformat")
    with pytest.raises(ValueError, match="unknown format"):
        viz.save(graph, tmp_path / "g.docx")
    with pytest.raises(TypeError, match="apply to a Value"):
        viz.save(graph, tmp_path / "g.svg", rankdir="TB")


def test_displays_as_svg_in_jupyter(neuron):
    bundle = viz.draw_graph(neuron.o)._repr_mimebundle_()
    assert ET.fromstring(bundle["image/svg+xml"].encode()).tag.endswith("svg")


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """A PATH on which the Graphviz binaries cannot be found."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(graphviz.ExecutableNotFound):
        graphviz.Digraph().pipe(format="svg")  # the simulation works: plain graphviz fails too


def test_without_dot_the_source_builds_and_rendering_says_how_to_install(neuron, no_dot, tmp_path):
    graph = viz.draw_graph(neuron.o)
    assert "tanh" in graph.source
    assert viz.save(graph, tmp_path / "g.dot").exists()
    for render in (
        lambda: viz.save(graph, tmp_path / "g.svg"),
        lambda: viz.to_svg(neuron.o),
        graph.svg,
        lambda: graph.render(directory=tmp_path),
        lambda: viz.backward_steps(neuron.o).save_svgs(tmp_path / "frames"),  # save_html works: test_steps
    ):
        with pytest.raises(viz.GraphvizNotFoundError) as info:
            render()
        message = str(info.value)
        assert "apt-get install graphviz" in message and "brew install graphviz" in message
        assert isinstance(info.value, graphviz.ExecutableNotFound)
    assert not (tmp_path / "g.svg").exists()


# Labels a user might type, including the characters DOT, HTML-like labels and XML treat specially.
labels = st.text(
    alphabet=st.one_of(st.sampled_from('"<>{}|\\&;[]#\n\t δŷ∂Σ€'), st.characters(codec="utf-8")),
    min_size=1,
    max_size=30,
)


def _shown(text: str) -> str:
    """What the SVG should show for a label: control characters written as \\xNN, tabs as spaces."""
    out = []
    for c in text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "):
        code = ord(c)
        if c != "\n" and (code < 0x20 or 0x7F <= code <= 0x9F or code in (0xFFFE, 0xFFFF)):
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(c)
    return "".join(out)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(labels, min_size=1, max_size=4))
def test_any_label_renders_to_valid_svg_showing_that_text(names, svg_reader):
    names = [n for n in names if viz.text.math_pieces(n) == [n]]  # slide-style names are typeset instead
    xs = [Value(float(i), label=name) for i, name in enumerate(names)]
    root = Value(0.0, label=names[0] if names else "") if not xs else xs[0]
    for x in xs[1:]:
        root = root + x
        root.label = x.label
    items = svg_reader(viz.to_svg(root, show_local_grads=True))
    nodes = value_nodes(items)
    for x in xs:
        texts = nodes[viz.node_name(x)].texts
        # a multi-line label is drawn as one text element per (non-empty) line; data and δ follow
        data = texts.index(f"data {viz.format_number(x.data)}")
        lines = _shown(x.label).replace("\xa0", " ").split("\n")  # the reader reads nbsp as a space
        assert [t.strip() for t in texts[:data] if t.strip()] == [line.strip() for line in lines if line.strip()]
        assert texts[data + 1 :] == ["δ 0.0000"]


def test_svg_output_is_utf8_with_non_ascii_intact(svg_reader):
    v = Value(1.0, label="ŷ")
    items = svg_reader(viz.to_svg(v))
    assert value_nodes(items)[viz.node_name(v)].texts[0] == "ŷ"


@pytest.mark.skipif(os.name != "posix", reason="PATH simulation written for POSIX")
def test_dot_is_really_on_path_for_these_tests():
    assert graphviz.version() >= (2, 38)
