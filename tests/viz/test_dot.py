"""DOT source: built without the dot binary and checked with pydot."""

from __future__ import annotations

import math

import pydot
import pytest

import nn
import viz
from autograd import OPS, Constant, Value, dot, local_grads, no_grad
from nn import Parameter

pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:DeprecationWarning")  # pydot's use of pyparsing


def parse(graph) -> pydot.Dot:
    (parsed,) = pydot.graph_from_dot_data(graph.source)
    return parsed


def all_nodes(g: pydot.Dot) -> list[pydot.Node]:
    out, stack = [], [g]
    while stack:
        sub = stack.pop()
        out.extend(n for n in sub.get_nodes() if n.get_name() not in ("node", "edge", "graph"))
        stack.extend(sub.get_subgraphs())
    return out


def all_edges(g: pydot.Dot) -> list[pydot.Edge]:
    out, stack = [], [g]
    while stack:
        sub = stack.pop()
        out.extend(sub.get_edges())
        stack.extend(sub.get_subgraphs())
    return out


def clusters(g: pydot.Dot) -> dict[str, pydot.Subgraph]:
    out, stack = {}, [g]
    while stack:
        sub = stack.pop()
        for s in sub.get_subgraphs():
            if s.get_name().startswith("cluster"):  # not the anonymous rank=same rows
                out[s.get_name()] = s
            stack.append(s)
    return out


def by_name(g: pydot.Dot) -> dict[str, pydot.Node]:
    return {n.get_name(): n for n in all_nodes(g)}


def test_every_value_and_op_is_a_node_with_edges_input_op_result(neuron):
    neuron.o.backward()
    g = parse(viz.draw_graph(neuron.o, legend=False))
    nodes = by_name(g)
    values = neuron.o.walk()
    computed = [v for v in values if v.inputs]
    assert {viz.node_name(v) for v in values} | {viz.op_node_name(v) for v in computed} == set(nodes)
    edges = {(e.get_source(), e.get_destination()) for e in all_edges(g)}
    expected = {(viz.node_name(x), viz.op_node_name(v)) for v in computed for x in v.inputs}
    expected |= {(viz.op_node_name(v), viz.node_name(v)) for v in computed}
    assert edges == expected
    for v in computed:
        assert nodes[viz.op_node_name(v)].get_label() == f"<{OPS[v.op].symbol}>"
    label = nodes[viz.node_name(neuron.w1)].get_label()
    assert "<B>w1</B>" in label and "data -3.0000" in label and "δ 1.0000" in label


def test_leaf_kinds_are_told_apart_by_shape_or_colour_and_the_legend_lists_them():
    x, w = Value(1.5, label="x"), Parameter(0.5, label="w")
    out = w * x + 2
    nodes = by_name(parse(viz.draw_graph(out)))
    assert not [name for name in nodes if "legend" in name]  # off by default
    kinds = {name: n.get("class").strip('"') for name, n in nodes.items()}
    assert (
        kinds[viz.node_name(x)] == "input"
        and kinds[viz.node_name(w)] == "parameter"
        and kinds[viz.node_name(out)] == "output"
    )
    (const,) = [v for v in out.walk() if isinstance(v, Constant)]
    assert kinds[viz.node_name(const)] == "constant"
    looks = {
        k: (
            nodes[viz.node_name(v)].get("shape"),
            nodes[viz.node_name(v)].get("style"),
            nodes[viz.node_name(v)].get("fillcolor"),
        )
        for k, v in (("x", x), ("w", w), ("c", const))
    }
    assert len(set(looks.values())) == 3
    source = viz.draw_graph(out, legend=True).source  # one row of swatches: the graph's own label
    legend = next(line for line in source.splitlines() if line.strip().startswith("label=<<FONT"))
    assert legend.count("<TR>") == 1
    for kind in ("parameter", "input", "constant", "computed", "output", "op"):
        style = viz.STYLES[kind]
        assert f'BGCOLOR="{style.fillcolor}"' in legend and style.description in legend
    assert "neuron" not in legend  # only the kinds drawn


def local_grad_labels(g: pydot.Dot) -> dict[tuple[str, str], list[str]]:
    """(input node, op node) -> the ∂ labels of the label nodes sitting on the edges between them."""
    nodes, edges = by_name(g), all_edges(g)
    into = {e.get_destination(): e.get_source() for e in edges if e.get_destination().startswith("d")}
    labels: dict[tuple[str, str], list[str]] = {}
    for e in edges:
        if e.get_source().startswith("d"):
            d = e.get_source()
            labels.setdefault((into[d], e.get_destination()), []).append(nodes[d].get_label())
    return labels


def test_local_grads_sit_on_their_edges_and_come_from_the_op_table(neuron):
    neuron.o.backward()
    g = parse(viz.draw_graph(neuron.o, show_local_grads=True))
    labels = local_grad_labels(g)
    for v in neuron.o.walk():
        for x, d in zip(v.inputs, local_grads(v)):
            assert f"<∂={viz.format_number(d)}>" in labels[(viz.node_name(x), viz.op_node_name(v))]
    n = neuron.n
    tanh_edge = labels[(viz.node_name(n), viz.op_node_name(neuron.o))]
    assert tanh_edge == [f"<∂={viz.format_number(1 - math.tanh(n.data) ** 2)}>"]  # the lecture's 0.5000
    assert tanh_edge == ["<∂=0.5000>"]
    assert all(e.get_label() is None for e in all_edges(g))  # no free-floating edge labels


def test_repeated_input_keeps_both_edges_and_their_local_grads():
    a = Value(3.0, label="a")
    y = a * a
    labels = local_grad_labels(parse(viz.draw_graph(y, show_local_grads=True)))
    assert labels[(viz.node_name(a), viz.op_node_name(y))] == ["<∂=3.0000>", "<∂=3.0000>"]


def test_op_parameters_are_shown():
    x = Value(2.0)
    nodes = by_name(parse(viz.draw_graph([x**3, x.leaky_relu(0.2)], legend=False)))
    texts = {n.get_label() for name, n in nodes.items() if name.startswith("o")}
    assert texts == {"<^3>", "<LReLU(0.2)>"}


def test_deltas_override_and_unknown_show_a_question_mark(neuron):
    from viz.dot import Drawing, DrawOptions

    options = DrawOptions("LR", False, True, None, 4, False)
    g = parse(Drawing([neuron.o], options, deltas={neuron.o: 1.0}).build())
    nodes = by_name(g)
    assert "δ 1.0000" in nodes[viz.node_name(neuron.o)].get_label()
    assert "δ ?" in nodes[viz.node_name(neuron.n)].get_label()


@pytest.mark.parametrize(
    "text",
    ['say "hi"', "a<b>c", "{x|y}", "back\\slash", "two\nlines", "δ ŷ ∂", "&amp;", "tab\there", "\x00\x1b\x7f", "]["],
)
def test_labels_with_special_characters_stay_one_pydot_node(text):
    import html
    import re

    v = Value(1.0, label=text)
    g = parse(viz.draw_graph(v, legend=False))
    (node,) = all_nodes(g)
    (shown,) = re.findall(r"<B>(.*?)</B>", node.get_label())
    for raw in ('"', "\\", "\n", "\t", "\x00", "\x1b", "<", ">"):
        assert raw not in shown.replace("<BR/>", "")
    expected = text.replace("\t", " ").replace("\x00", "\\x00").replace("\x1b", "\\x1b").replace("\x7f", "\\x7f")
    assert html.unescape(shown.replace("<BR/>", "\n")).replace("\\\\", "\\") == expected


def test_escape_label_is_reversible_for_printable_text():
    import html

    text = 'a<b> & "q" {|} ŷ'
    assert html.unescape(viz.escape_label(text)) == text
    assert html.unescape(viz.escape_label("back\\slash")) == "back\\\\slash"  # doubled: Graphviz halves it


def test_label_markup_renders_slide_names_with_sup_and_sub():
    assert viz.label_markup("z^[2]_1") == "z<SUP>[2&#93;</SUP><SUB>1</SUB>"
    assert viz.label_markup("x_1") == "x<SUB>1</SUB>"
    assert viz.label_markup("ŷ") == "ŷ"
    assert viz.label_markup("a<b>_1") == "a&lt;b&gt;_1"


def test_format_number():
    assert viz.format_number(0.70710678) == "0.7071"
    assert viz.format_number(-1.5, precision=2) == "-1.50"
    assert viz.format_number(-0.0) == "0.0000"
    assert viz.format_number(2e-9) == "2.000e-09"
    assert viz.format_number(float("inf")) == "inf"
    assert viz.format_number(12345678.0) == "1.235e+07"


def test_network_is_clustered_per_neuron_inside_layers_from_its_module_structure():
    model = nn.MLP(2, [2, 1], seed=0)
    out = model([1.0, -2.0])
    g = parse(viz.draw_graph(out, legend=False))
    cl = clusters(g)
    layers = {k for k in cl if k.startswith("cluster_layer")}
    neurons = {k for k in cl if k.startswith("cluster_neuron")}
    assert layers == {"cluster_layer_layers_0", "cluster_layer_layers_1"}
    assert neurons == {
        "cluster_neuron_layers_0_neurons_0",
        "cluster_neuron_layers_0_neurons_1",
        "cluster_neuron_layers_1_neurons_0",
    }
    layer0 = cl["cluster_layer_layers_0"]
    assert {s.get_name() for s in layer0.get_subgraphs()} == {
        "cluster_neuron_layers_0_neurons_0",
        "cluster_neuron_layers_0_neurons_1",
    }
    assert "W<SUP>[1&#93;</SUP>" in layer0.get("label") and "layer 2" in layer0.get("label")
    # a neuron's cluster holds its 2 weights, its bias, z, a and the two op nodes
    inside = [n.get_name() for n in cl["cluster_neuron_layers_0_neurons_1"].get_nodes()]
    assert len(inside) == 7 and sum(name.startswith("o") for name in inside) == 2
    labels = " ".join(n.get_label() for n in cl["cluster_neuron_layers_0_neurons_1"].get_nodes())
    assert "z<SUP>[2&#93;</SUP><SUB>2</SUB>" in labels and "a<SUP>[2&#93;</SUP><SUB>2</SUB>" in labels
    assert "w<SUP>[1&#93;</SUP><SUB>21</SUB>" in labels and "b<SUP>[1&#93;</SUP><SUB>2</SUB>" in labels
    # inputs stay outside every layer and neuron: one column of their own, in order, with no frame
    column = cl["cluster_inputs"]
    assert column.get("style") == "invis"
    assert [n.get_name() for n in column.get_nodes()] == [viz.node_name(x) for x in sorted(
        (x for x in out.walk() if x.label in ("x1", "x2")), key=lambda x: x.label)]  # fmt: skip
    assert not clusters(parse(viz.draw_graph(out, group="none", legend=False)))


def test_grouping_reads_owners_not_names():
    """Parameters named like a model's but owned by no module are not grouped; renamed ones still are."""
    w = [Parameter(0.5, label="w", name="layers.0.neurons.0.w.0")]
    assert not clusters(parse(viz.draw_graph(dot(w, [1.0]), legend=False)))
    model = nn.MLP(2, [2, 1], seed=0)
    for p in model.parameters():
        p.name = "renamed"
    drawn = clusters(parse(viz.draw_graph(model([1.0, 2.0]), legend=False)))
    assert len([name for name in drawn if name != "cluster_inputs"]) == 2 + 3


def test_layer_numbering_slides_or_index():
    model = nn.MLP(2, [2, 1], seed=0)
    out = model([1.0, -2.0])
    slides = clusters(parse(viz.draw_graph(out, legend=False)))
    index = clusters(parse(viz.draw_graph(out, legend=False, layer_numbering="index")))
    assert "layer 2: W" in slides["cluster_layer_layers_0"].get("label")
    assert index["cluster_layer_layers_0"].get("label") == "<layer 0>"
    assert index["cluster_layer_layers_1"].get("label") == "<layer 1>"
    assert slides["cluster_neuron_layers_0_neurons_1"].get("label") == "<neuron 2>"
    assert index["cluster_neuron_layers_0_neurons_1"].get("label") == "<neuron 1>"


def test_deep_chains_are_drawn_without_recursion():
    x = Value(0.5, label="x")
    y = x
    for _ in range(3000):  # deeper than Python's default recursion limit
        y = y * 1.0001
    with pytest.warns(viz.NarrowWidthWarning, match="too big to try several layouts or to measure one"):
        g = viz.draw_graph(y, max_nodes=None, legend=False)  # drawn at once: no dot run for 18,000 DOT lines
    assert g.source.count("->") == 3 * 3000
    assert g.graph_attr["rankdir"] == "TB"  # a chain: thousands of levels, one value on each


def test_graph_made_under_no_grad_is_one_node():
    x = Value(2.0)
    with no_grad():
        y = x * 3
    nodes = by_name(parse(viz.draw_graph(y, legend=False)))
    assert list(nodes) == [viz.node_name(y)]


def test_dot_node_and_bias_edges():
    w = [Value(1.0), Value(2.0)]
    z = dot(w, [3.0, 4.0], bias=Value(0.5))
    edges = [e for e in all_edges(parse(viz.draw_graph(z, legend=False))) if e.get_destination() == viz.op_node_name(z)]
    assert len(edges) == 5


def test_rankdir_tb_stacks_rows():
    v = Value(1.0, label="v")
    assert 'ROWS="*"' in viz.draw_graph(v, rankdir="TB").source
    assert 'COLUMNS="*"' in viz.draw_graph(v, rankdir="LR").source


def test_a_neurons_dot_product_has_a_visible_glyph():
    model = nn.MLP(2, [1], seed=0)
    out = model([1.0, 2.0])
    nodes = by_name(parse(viz.draw_graph(out)))
    assert nodes[viz.op_node_name(out)].get_label() == "<Σ wx + b>"
    assert by_name(parse(viz.draw_graph(dot([1.0], [Value(2.0)]))))  # no bias: "Σ wx"
    z = dot([1.0], [Value(2.0)])
    assert by_name(parse(viz.draw_graph(z)))[viz.op_node_name(z)].get_label() == "<Σ wx>"


@pytest.mark.parametrize("length", [1000, 100_000])
def test_over_long_labels_are_cut_with_an_ellipsis_and_kept_in_the_tooltip(length, svg_reader):
    text = "<&" * (length // 2)  # escaping makes it longer still
    v = Value(1.0) * 2
    v.label = text
    graph = viz.draw_graph(v)
    node = by_name(parse(graph))[viz.node_name(v)]
    shown = node.get_label().split("<B>")[1].split("</B>")[0]
    assert shown == viz.escape_label(text[: viz.text.MAX_LABEL_CHARS - 1] + "…")
    tooltip = node.get("tooltip").strip('"')
    whole = viz.escape_label(text)
    assert tooltip == whole if length < 2000 else whole.startswith(tooltip[:-1]) and tooltip.endswith("…")
    svg = viz.to_svg(graph)  # Graphviz accepts it: no raw CalledProcessError or BrokenPipeError
    (item,) = [n for n in svg_reader(svg)["node"] if n.title == viz.node_name(v)]
    assert item.texts[0] == text[: viz.text.MAX_LABEL_CHARS - 1] + "…"


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"rankdir": "XY"}, ValueError),
        ({"precision": -1}, ValueError),
        ({"max_nodes": 0}, ValueError),
        ({"group": "layers"}, ValueError),
        ({"layer_numbering": "course"}, ValueError),
        ({"width": 0}, ValueError),
        ({"rankdir": "auto", "width": "wide"}, ValueError),
    ],
)
def test_bad_options_raise(kwargs, error):
    with pytest.raises(error, match="draw_graph"):
        viz.draw_graph(Value(1.0), **kwargs)


@pytest.mark.parametrize("root", [1.0, "x", [], [Value(1.0), 2.0]])
def test_bad_root_raises_type_error(root):
    with pytest.raises(TypeError, match="draw_graph"):
        viz.draw_graph(root)


def test_undefined_local_derivative_is_labelled_not_raised():
    base, exponent = Value(-2.0, label="a"), Value(2.0, label="b")
    source = viz.draw_graph(base**exponent, show_local_grads=True, legend=False).source
    assert source.count("∂=undefined") == 2  # ∂(a^b)/∂b needs log(a), undefined for a < 0


def test_a_symbol_assigned_to_op_is_what_the_pictures_draw():
    """micrograd's habit, ``out._op = "ReLU"``, on nodes of the op table: draw_graph and backward_steps show it;
    the op (and so every derivative) stays the table's."""
    x = Value(0.5, label="x")
    square = x**2
    square._op = "²"
    doubled = square * 2.0
    doubled._op = "double"
    out = (doubled + x).tanh()
    assert (square.op, doubled.op, square._op, doubled._op) == ("powc", "mul", "²", "double")
    for source in (viz.draw_graph(out, legend=False).source, viz.backward_steps(out)[0].graph.source):
        nodes = by_name(pydot.graph_from_dot_data(source)[0])
        drawn = {v: nodes[viz.op_node_name(v)].get_label() for v in (square, doubled, out, out.inputs[0])}
        assert drawn == {square: "<²>", doubled: "<double>", out: "<tanh>", out.inputs[0]: "<+>"}
    out.backward()
    assert x.grad == pytest.approx((1 - math.tanh(1.0) ** 2) * (4 * 0.5 + 1), rel=1e-14)  # d tanh(2x² + x)/dx
