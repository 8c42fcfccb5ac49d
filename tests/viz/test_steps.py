"""backward_steps: frames in backward's order, δ computed without touching .grad, exports."""

from __future__ import annotations

import base64
import gzip
import json
import math
import re
import sys
import xml.etree.ElementTree as ET

import graphviz
import pytest

import nn
import viz
from autograd import Value, dot


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def lecture_network():
    """The lectures' 1-2-1 sigmoid network at x = 1, y = 1 with J = ½(a⁽³⁾ - y)², built by hand."""
    x = Value(1.0, label="x1")
    W1 = [
        nn.Parameter(0.3, label="w^[1]_11", name="layers.0.neurons.0.w.0"),
        nn.Parameter(0.4, label="w^[1]_21", name="layers.0.neurons.1.w.0"),
    ]
    b1 = [
        nn.Parameter(0.1, label="b^[1]_1", name="layers.0.neurons.0.b"),
        nn.Parameter(0.2, label="b^[1]_2", name="layers.0.neurons.1.b"),
    ]
    a2 = []
    for i in range(2):
        z = dot([W1[i]], [x], bias=b1[i])
        z.label = f"z^[2]_{i + 1}"
        a = z.sigmoid()
        a.label = f"a^[2]_{i + 1}"
        a2.append(a)
    W2 = [
        nn.Parameter(1.0, label="w^[2]_11", name="layers.1.neurons.0.w.0"),
        nn.Parameter(-3.0, label="w^[2]_12", name="layers.1.neurons.0.w.1"),
    ]
    b2 = nn.Parameter(0.2, label="b^[2]_1", name="layers.1.neurons.0.b")
    z3 = dot(W2, a2, bias=b2)
    z3.label = "z^[3]_1"
    a3 = z3.sigmoid()
    a3.label = "a^[3]_1"
    J = 0.5 * (a3 - 1.0) ** 2
    J.label = "J"
    return J, W1, b1, W2, b2


def test_frames_follow_backward_order_and_never_touch_grad(neuron):
    steps = viz.backward_steps(neuron.o)
    order = neuron.o.walk()
    assert len(steps) == len(order)
    assert [f.node for f in steps] == order
    assert all(v.grad == 0.0 for v in order)
    neuron.o.backward()
    for frame in steps:
        assert frame.delta == frame.node.grad  # exactly what backward computes


def test_frame_deltas_match_the_hand_derived_delta_recursion():
    J, W1, b1, W2, b2 = lecture_network()
    steps = viz.backward_steps(J)
    deltas = {f.node: f.delta for f in steps}
    # forward and δ by hand: δ⁽³⁾ = (a - y)σ'(z), δ⁽²⁾ = W⁽²⁾ᵀδ⁽³⁾ ∘ σ'(z⁽²⁾), ∂J/∂W = δ aᵀ, ∂J/∂b = δ
    z2 = [0.3 * 1 + 0.1, 0.4 * 1 + 0.2]
    a2 = [sigmoid(z) for z in z2]
    z3 = 1.0 * a2[0] - 3.0 * a2[1] + 0.2
    a3 = sigmoid(z3)
    d3 = (a3 - 1.0) * a3 * (1 - a3)
    d2 = [w * d3 * a * (1 - a) for w, a in zip([1.0, -3.0], a2)]
    assert deltas[W2[0]] == pytest.approx(d3 * a2[0], rel=1e-12)
    assert deltas[W2[1]] == pytest.approx(d3 * a2[1], rel=1e-12)
    assert deltas[b2] == pytest.approx(d3, rel=1e-12)
    for i in range(2):
        assert deltas[W1[i]] == pytest.approx(d2[i] * 1.0, rel=1e-12)
        assert deltas[b1[i]] == pytest.approx(d2[i], rel=1e-12)


def test_each_frame_shows_known_deltas_and_question_marks_for_the_rest(neuron, svg_reader):
    steps = viz.backward_steps(neuron.o)
    n = len(steps)
    for k in (0, 3, n - 1):
        items = svg_reader(steps[k].svg())
        values = {node.title: node for node in items["node"] if node.title.startswith("v")}
        assert len(values) == n
        unknown = [t for t, node in values.items() if "δ ?" in node.texts]
        assert len(unknown) == n - (k + 1)
        for frame in steps[: k + 1]:
            assert f"δ {viz.format_number(frame.delta)}" in values[viz.node_name(frame.node)].texts
        highlighted = [node.title for node in items["node"] if "highlight" in node.classes]
        assert highlighted == [viz.node_name(steps[k].node)]


def test_frames_keep_one_layout_so_the_slider_does_not_jump(neuron):
    steps = viz.backward_steps(neuron.o, show_local_grads=True)
    shapes = [
        re.findall(
            r"<title>(v\d+)</title>\n(?:<g id=\"a_[^\"]*\"><a [^>]*>\n)?"  # a node with a tooltip: in a link
            r"<(?:polygon|path)[^>]*(?:points|d)=\"([^\"]*)\"",
            s,
        )
        for s in steps.svgs()
    ]
    assert len(shapes[0]) == len(steps)
    assert all(s == shapes[0] for s in shapes)


def test_captions_write_out_the_chain_rule(neuron):
    steps = viz.backward_steps(neuron.o)
    assert steps[0].caption.startswith("step 1: δ(o) = 1.0000")
    assert steps[1].caption == "step 2: δ(n) = δ(o)·∂o/∂n = 1.0000·0.5000 = 0.5000"
    x1 = next(f for f in steps if f.node is neuron.x1)
    assert x1.caption.endswith("= 0.5000·(-3.0000) = -1.5000")
    ((consumer, delta, local),) = x1.terms
    assert consumer.op == "mul" and delta == pytest.approx(0.5) and local == -3.0


def test_shared_node_sums_the_contributions_of_all_its_consumers():
    a = Value(2.0, label="a")
    b = a * 3.0
    b.label = "b"
    c = a + b
    c.label = "c"
    frame = next(f for f in viz.backward_steps(c) if f.node is a)
    assert frame.delta == 1.0 + 3.0 and len(frame.terms) == 2
    assert "δ(c)·∂c/∂a + δ(b)·∂b/∂a" in frame.caption


def test_html_export_is_self_contained(neuron, tmp_path):
    """With dot, the page carries dot's SVG of each frame and no layout engine; lab.js replays them."""
    steps = viz.backward_steps(neuron.o)
    path = steps.save_html(tmp_path / "steps.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing fetched from the network
    assert "@import" not in page and not re.search(r"<link[^>]*href=\"(?!data:)", page)
    assert 'id="deltagrad-viz"></script>' in page and len(page) < 150_000  # no Graphviz-WASM: dot drew the frames
    record = replay_record(page)["frames"][0]
    shown = record["steps"]
    assert len(shown) == len(steps) and all(set(step) == {"svg", "caption"} for step in shown)
    assert all(step["svg"].startswith("<svg") and "<!DOCTYPE svg" not in step["svg"] for step in shown)
    assert "δ(n)" in shown[1]["caption"]
    assert set(record["derivations"]) == {viz.node_name(frame.node) for frame in steps}  # a click's answers
    div = steps.to_html(standalone=False)  # a notebook's HTML output: inline SVGs and a small script
    assert div.count("<svg") == len(steps) and div.count('class="frame"') == len(steps)
    assert div.count("<?xml") == 0 and "<!DOCTYPE svg" not in div
    assert '<input type="range"' in div and "<script>" in div
    captions = re.findall(r'<p class="caption">(.*?)</p>', div)
    assert len(captions) == len(steps) and "δ(n)" in captions[1]
    assert "font-size: 16px" in div and "width: 100%" in div  # pictures scale up to the page
    for svg in re.findall(r"<svg.*?</svg>", page, flags=re.S):
        ET.fromstring(svg.encode())
    assert "<script>" in steps._repr_html_() and "<html" not in steps._repr_html_()


def test_svg_sequence_export(neuron, tmp_path):
    steps = viz.backward_steps(neuron.o)
    paths = steps.save_svgs(tmp_path / "frames")
    assert [p.name for p in paths] == [f"step_{i:03d}.svg" for i in range(1, len(steps) + 1)]
    for p in paths:
        assert ET.parse(p).getroot().tag.endswith("svg")


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """A PATH on which Graphviz's programs cannot be found (as on a machine without Graphviz)."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(graphviz.ExecutableNotFound):
        graphviz.Digraph().pipe(format="svg")  # the simulation works: plain graphviz fails too


def replay_record(page: str) -> dict:
    """The recording a page written by :func:`viz.page.replay_page` carries (gzipped JSON, base64)."""
    match = re.search(r'id="deltagrad-record">([^<]+)<', page)
    assert match is not None, "not a replay page"
    return json.loads(gzip.decompress(base64.b64decode(match.group(1))))


def test_without_dot_save_html_writes_a_page_the_browser_lays_out(no_dot, tmp_path):
    J, *_ = lecture_network()
    steps = viz.backward_steps(J, show_local_grads=True)  # frames are DOT source: no dot needed to make them
    with pytest.raises(viz.GraphvizNotFoundError):
        steps.svgs()
    page = steps.save_html(tmp_path / "steps.html", title="J <step by step>").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<title>J &lt;step by step&gt;</title>" in page
    assert "<svg" not in page and 'id="deltagrad-viz"' in page  # Graphviz-WASM inline, nothing rendered here
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing fetched from the network
    record = replay_record(page)
    assert record["view"] == "steps" and len(record["frames"]) == 1 and record["frames"][0]["view"] == "steps"
    shown = record["frames"][0]["steps"]
    for step, frame in zip(shown, steps):  # each frame's DOT, at natural size (the page scales it)
        size = f' size="{frame.graph.graph_attr["size"]}"'
        assert size in frame.graph.source and step["dot"] == frame.graph.source.replace(size, "")
    assert [s["caption"] for s in shown] == [viz.html_markup(f.caption) for f in steps]
    assert any("<sub>" in s["caption"] and "<sup>" in s["caption"] for s in shown)  # slide names, real scripts
    last = steps[-1].graph.source
    assert "δ ?" not in last and "δ ?" in steps[0].graph.source  # every δ known in the last frame only
    with pytest.raises(viz.GraphvizNotFoundError):
        steps.to_html(standalone=False)  # a notebook's <div> inlines SVGs: that needs dot


def test_without_dot_save_svgs_says_what_it_needs(neuron, no_dot, tmp_path):
    steps = viz.backward_steps(neuron.o)
    with pytest.raises(viz.GraphvizNotFoundError) as error:
        steps.save_svgs(tmp_path / "frames")
    message = str(error.value)
    assert "save_svgs" in message and "`dot`" in message and "apt-get install graphviz" in message
    assert ".save_html(path)" in message and "WebAssembly" in message
    assert not (tmp_path / "frames").exists() or not any((tmp_path / "frames").iterdir())


def test_without_dot_a_notebook_shows_the_frames_laid_out_in_the_browser(neuron, no_dot, monkeypatch):
    from viz.widget import StepsView

    shown: list = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    steps = viz.backward_steps(neuron.o)
    steps._ipython_display_()  # what Jupyter calls: the svg slider needs dot, so the browser's Graphviz draws
    (view,) = shown
    assert isinstance(view, StepsView) and view.view == "steps"
    record = replay_record(steps.to_html())["frames"][0]
    assert view.steps == record["steps"]  # the saved page's frames
    assert view.derivations == steps.explanations()  # and what a click on a value shows, as the page has it
    page = {node: [form["html"] for form in entry["forms"]] for node, entry in record["derivations"].items()}
    assert page == {node: [form["html"] for form in entry["forms"]] for node, entry in view.derivations.items()}
    assert len(view.steps) == len(steps) and "δ ?" in view.steps[0]["dot"]
    monkeypatch.setitem(sys.modules, "viz.widget", None)  # no `lab` extra either: the DOT source and the hints
    shown.clear()
    monkeypatch.setattr("IPython.display.display", lambda data, raw=False: shown.append((data, raw)))
    steps._ipython_display_()
    ((data, raw),) = shown
    text = data["text/plain"]
    assert raw and "apt-get install graphviz" in text and "viz.widget" in text and steps[-1].graph.source in text


def test_notebook_slider_widget(neuron):
    widgets = pytest.importorskip("ipywidgets")
    steps = viz.backward_steps(neuron.o)
    box = steps.widget()
    controls, stack = box.children
    play, slider = controls.children
    assert isinstance(stack, widgets.Stack) and len(stack.children) == len(steps)
    assert (slider.min, slider.max) == (0, len(steps) - 1) and isinstance(play, widgets.Play)
    assert "δ(o)" in stack.children[0].value and "<svg" in stack.children[0].value


def test_steps_on_a_real_mlp_end_with_backward_grads():
    model = nn.MLP(2, [3, 1], activation="sigmoid", seed=1)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    steps = viz.backward_steps(loss)
    loss.backward()
    by_node = {f.node: f.delta for f in steps}
    for p in model.parameters():
        assert by_node[p] == p.grad


def test_too_many_nodes_is_refused():
    x = Value(1.0)
    y = x
    for _ in range(viz.steps.MAX_FRAMES):
        y = y + 1.0
    with pytest.raises(ValueError, match="backward_steps"):
        viz.backward_steps(y)


def test_captions_have_real_sub_and_superscripts_in_html():
    net = nn.MLP(1, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    loss = net([1.0])
    steps = viz.backward_steps(loss)
    frame = next(f for f in steps if f.node.label == "z^[3]_1")
    assert "z^[3]_1" in frame.caption  # plain text keeps the slides' ASCII
    captions = " ".join(step["caption"] for step in replay_record(steps.to_html())["frames"][0]["steps"])
    for page in (steps.to_html(standalone=False), captions):
        assert "z<sup>[3]</sup><sub>1</sub>" in page and "z^[3]_1" not in page
    assert "z<sup>[3]</sup><sub>1</sub>" in frame._repr_mimebundle_()["text/html"]


def test_frame_svgs_carry_their_caption_with_real_sub_and_superscripts(tmp_path, geometry):
    J, *_ = lecture_network()
    steps = viz.backward_steps(J, show_local_grads=True)
    k = next(i for i, f in enumerate(steps) if f.node.label == "z^[3]_1")
    paths = steps.save_svgs(tmp_path)
    svg = paths[k].read_text(encoding="utf-8")
    root = ET.fromstring(svg.encode())
    ns = "{http://www.w3.org/2000/svg}"
    graph = next(g for g in root.iter(f"{ns}g") if g.get("class") == "graph")
    caption = [t for t in graph.findall(f"{ns}text")]  # the graph's own label: the caption
    text = "".join("".join(t.itertext()) for t in caption)
    assert text.startswith("step 7: δ(z[3]1) = δ(a[3]1)") and "z^" not in text
    shifts = [(t.get("baseline-shift"), "".join(t.itertext())) for t in caption]
    assert ("super", "[3]") in shifts and ("sub", "1") in shifts
    geo = geometry(svg)
    assert geo.width_px <= viz.DEFAULT_WIDTH + 1 and geo.min_text_px >= 10
    boxes = [box for _, _, box, owner in geo.texts if owner == "graph"]
    nodes = [box for _, _, box, owner in geo.texts if owner != "graph"]
    assert max(b[3] for b in boxes) < min(b[1] for b in nodes)  # above the picture
    sizes = {(ET.parse(p).getroot().get("width"), ET.parse(p).getroot().get("height")) for p in paths}
    assert len(sizes) == 1  # every frame the same size: the sequence does not jump
    assert "step 7" not in steps[k].svg(caption=False)
    div = steps.to_html(standalone=False)
    assert "step 7" not in div.split('<p class="caption">')[k + 1].split("</p>", 1)[1]  # no double caption


def test_a_long_caption_wraps_to_the_picture_width(geometry):
    x = Value(0.5, label="x")
    y = x * x * x * x * x * x
    y.label = "y"
    frame = next(f for f in viz.backward_steps(y) if f.node is x)
    assert len(frame.caption) > 150
    svg = frame.svg()
    geo = geometry(svg)
    lines = {round(box[1]) for _, _, box, owner in geo.texts if owner == "graph"}
    assert len(lines) >= 2
    assert geo.width_px <= viz.DEFAULT_WIDTH + 1 and geo.min_text_px >= 10


def test_html_export_of_a_label_with_a_lone_surrogate(tmp_path):
    """issue 23: a str may hold a lone surrogate (os.fsdecode of a non-UTF-8 file name gives one), UTF-8 cannot:
    save_html writes it as U+FFFD instead of failing."""
    x = Value(2.0, label="x\udcff")
    y = (x * x).tanh()
    path = viz.backward_steps(y).save_html(tmp_path / "steps.html")
    page = path.read_text(encoding="utf-8")
    assert "\udcff" not in page
    record = replay_record(page)["frames"][0]  # the recording, JSON with its escapes: a page's plain ASCII
    assert len(record["steps"]) == 3 and record["steps"][-1]["caption"].startswith("step 3: δ(x")


def test_steps_explain_every_node_at_every_frame():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    out = c + a
    steps = viz.backward_steps(out)
    entry = steps.explanations()[viz.node_name(a)]
    assert entry["arrivals"] == [0, 1]  # the term through out at frame 1, through c at frame 2
    assert [form["text"] for form in entry["forms"]] == [steps.derivation(a, 0).so_far(0).text()] + [
        steps.derivation(a, k).text() for k in (0, 1)
    ]
    assert [form["complete"] for form in entry["forms"]] == [False, False, True]
    assert entry["forms"][-1]["delta"] == 1.0 + b.data
    with pytest.raises(ValueError, match="not a node of this backward pass"):
        steps.derivation(Value(1.0))
    with pytest.raises(ValueError, match="step must be an int"):
        steps.derivation(a, len(steps))
