"""The live lab's Python side: after every action the widget's state equals what the engine computes directly.

Each test builds a twin of the lab's model (same seed) and redoes the action with the scalar engine:
mini-batch forward, ``J.backward()``, ``optimizer.step()``, a probe sample's ``L.backward()``.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import re

import numpy as np
import pytest

import nn
import viz
from autograd import Value
from viz import lab as lab_module

LOSS = "bce_with_logits"


def make_model() -> nn.MLP:
    return nn.MLP(2, [4, 1], activation="tanh", seed=3)


@pytest.fixture
def data():
    return nn.moons(40, noise=0.1, seed=1)


@pytest.fixture
def lab(data):
    X, y = data
    model = make_model()
    return viz.Lab(model, X, y, loss=LOSS, optimizer=nn.Adam(model.parameters(), lr=0.05), batch_size=16, seed=7)


def send(widget, **content):
    """What the browser does: a custom message on the widget's comm."""
    widget._handle_custom_msg(content, [])


def probe_reference(model: nn.Module, X, y, i: int) -> tuple[Value, list[float]]:
    """The probe sample's loss and each parameter's ∂L/∂p, by the scalar engine's backward."""
    model.zero_grad()
    L = nn.losses.get(LOSS)(model([float(v) for v in X[i]]), float(y[i]))
    L.backward()
    return L, [p.grad for p in model.parameters()]


def test_step_equals_the_scalar_engines_minibatch_step(lab, data):
    X, y = data
    twin = make_model()
    adam = nn.Adam(twin.parameters(), lr=0.05)
    rng = np.random.default_rng(7)
    batches = list(nn.batches(X, y, 16, shuffle=True, seed=rng))
    for Xb, yb in batches[:2]:
        before = [p.data for p in twin.parameters()]
        adam.zero_grad()
        J = nn.mean_loss(nn.losses.get(LOSS), [twin(x) for x in Xb], yb.astype(float).tolist())
        J.backward()
        adam.step()
        lab.step()
    rows = lab.parameters
    for row, p, b, m, v in zip(rows, twin.parameters(), before, adam.m, adam.v):
        assert row["value"] == pytest.approx(p.data, abs=1e-12)
        assert row["grad"] == pytest.approx(p.grad, abs=1e-12)  # the last mini-batch's gradient
        assert row["update"] == pytest.approx(p.data - b, abs=1e-12)
        assert (row["m"], row["v"]) == pytest.approx((m, v), abs=1e-12)
    assert lab.optimizer_columns == ["m", "v"]
    assert lab.steps == 2 and lab.epoch == 0
    scores = nn.evaluate(twin, X, y, LOSS)
    assert lab.loss_value == pytest.approx(scores["loss"], abs=1e-12)
    assert lab.accuracy_value == pytest.approx(scores["accuracy"])
    assert lab.history["step"] == [0, 1, 2] and lab.history["loss"][-1] == lab.loss_value
    lab.step(2)  # 40 samples in batches of 16: the third batch ends epoch 0, the fourth starts epoch 1
    assert lab.epoch == 1


def test_probe_graph_shows_the_engines_data_and_delta(lab, data):
    X, y = data
    lab.step()
    twin = make_model()
    twin.load_state_dict(lab.model.state_dict())
    L, grads = probe_reference(twin, X, y, lab.probe)
    assert lab.probe_loss == pytest.approx(L.data, abs=1e-12)
    for p, g in zip(lab.model.parameters(), grads):
        assert lab.node_deltas[viz.node_name(p)] == pytest.approx(g, abs=1e-12)
        assert lab.parameter_nodes[viz.node_name(p)] == lab.optimizer.params.index(p)
    assert f"data {viz.format_number(L.data)}" in lab.dot
    first = lab.model.parameters()[0]
    assert f"δ {viz.format_number(grads[0])}" in lab.dot and f"data {viz.format_number(first.data)}" in lab.dot
    # the model's own gradients (the last mini-batch's, used by the optimiser) are left alone
    assert [row["grad"] for row in lab.parameters] == [p.grad for p in lab.model.parameters()]


def test_editing_a_weight_recomputes_every_panel(lab, data):
    X, y = data
    lab.step()
    params_before = [row["value"] for row in lab.parameters]
    send(lab, action="set_parameter", index=2, value=1.75)
    assert lab.error == ""
    assert lab.optimizer.params[2].data == 1.75
    twin = make_model()
    twin.load_state_dict(lab.model.state_dict())
    L, grads = probe_reference(twin, X, y, lab.probe)
    assert lab.probe_loss == pytest.approx(L.data, abs=1e-12)
    assert lab.node_deltas[viz.node_name(lab.optimizer.params[2])] == pytest.approx(grads[2], abs=1e-12)
    assert lab.parameters[2]["value"] == 1.75
    assert [r["value"] for r in lab.parameters][:2] == params_before[:2]
    assert lab.loss_value == pytest.approx(nn.evaluate(twin, X, y, LOSS)["loss"], abs=1e-12)
    assert lab.history["step"] == [0, 1]  # an edit changes the latest point, it is not a step
    assert lab.history["loss"][-1] == lab.loss_value
    # by name, and a bad value is reported without changing anything
    name = lab.parameters[0]["name"]
    lab.set_parameter(name, -0.5)
    assert lab.optimizer.params[0].data == -0.5
    send(lab, action="set_parameter", index=0, value=math.inf)
    assert "finite" in lab.error and lab.optimizer.params[0].data == -0.5
    with pytest.raises(ValueError, match="no parameter named"):
        lab.set_parameter("nope", 1.0)
    with pytest.raises(ValueError, match="index must be"):
        lab.set_parameter(99, 1.0)


def test_picking_a_probe_redraws_its_graph(lab, data):
    X, y = data
    lab.probe = 11
    twin = make_model()
    L, grads = probe_reference(twin, X, y, 11)
    assert lab.probe_loss == pytest.approx(L.data, abs=1e-12)
    assert lab.probe_caption.startswith("sample 11:")
    assert lab.node_deltas[viz.node_name(lab.optimizer.params[0])] == pytest.approx(grads[0], abs=1e-12)
    with pytest.raises(Exception, match="probe must be a sample index"):
        lab.probe = 40


def test_boundary_and_zero_lines_follow_the_model(lab, data):
    X, y = data
    lab.step(3)
    b = lab.boundary
    n, (x0, x1, y0, y1) = b["n"], b["extent"]
    assert b["kind"] == "score" and len(b["values"]) == n * n
    assert x0 < X[:, 0].min() and x1 > X[:, 0].max() and y0 < X[:, 1].min() and y1 > X[:, 1].max()
    rows = [(0, 0), (n - 1, n - 1), (n // 2, 3)]
    grid = np.array([[x0 + (x1 - x0) * j / (n - 1), y1 - (y1 - y0) * i / (n - 1)] for i, j in rows])
    expected = nn.predict(lab.model, grid)  # logits: the threshold is 0
    assert [b["values"][i * n + j] for i, j in rows] == pytest.approx(expected, abs=1e-4)
    first = lab.model.layers[0].neurons
    assert lab.zero_lines == [[n.w[0].data, n.w[1].data, n.b.data] for n in first]


def test_lr_and_reset(lab):
    start = [p.data for p in lab.optimizer.params]
    lab.lr = 0.2
    assert lab.optimizer.lr == 0.2
    with pytest.raises(Exception, match="lr must be >= 0"):
        lab.lr = -1.0
    lab.step(2)
    assert [p.data for p in lab.optimizer.params] != start
    send(lab, action="reset")
    assert [p.data for p in lab.optimizer.params] == start
    assert lab.steps == 0 and lab.history["step"] == [0] and lab.optimizer.t == 0
    assert lab.lr == 0.05 and all(row["update"] == 0.0 for row in lab.parameters)


def test_lab_checks_its_arguments(data):
    X, y = data
    with pytest.raises(ValueError, match="one label per row"):
        viz.Lab(make_model(), X, y[:-1])
    with pytest.raises(ValueError, match="batch_size"):
        viz.Lab(make_model(), X, y, batch_size=0)
    with pytest.raises(ValueError, match="unknown name"):
        viz.Lab(make_model(), X, y, loss="nope")


def test_explore_equals_forward_and_backward():
    ex = viz.explore(lambda x, w, b: (x * w + b).tanh(), x=2.0, w=-3.0, b=6.88)
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.88, label="b")
    out = (x * w + b).tanh()
    out.backward()
    assert ex.output == out.data
    assert ex.grads == {"x": x.grad, "w": w.grad, "b": b.grad}
    steps = viz.backward_steps(out, show_local_grads=True)
    assert [f["caption"] for f in ex.frames] == [f.caption for f in steps]
    assert f"δ {viz.format_number(w.grad)}" in ex.dot
    send(ex, action="set_leaf", name="w", value=-1.0)
    w2 = Value(-1.0)
    out2 = (Value(2.0) * w2 + Value(6.88)).tanh()
    out2.backward()
    assert ex.output == out2.data and ex.grads["w"] == w2.grad
    assert ex.values["w"] == -1.0 and ex.frame == -1
    ex.set(x=50.0)  # outside the slider: the range widens
    assert ex.leaves[0]["max"] >= 50.0


def test_explore_reports_bad_input():
    with pytest.raises(TypeError, match="does not accept the leaves"):
        viz.explore(lambda x: x * 2, y=1.0)
    with pytest.raises(TypeError, match="must return a Value"):
        viz.explore(lambda x: 3.0, x=1.0)
    with pytest.raises(ValueError, match="finite"):
        viz.explore(lambda x: x * 2, x=math.nan)
    ex = viz.explore(lambda x: x.log(), x=(1.0, 0.5, 2.0))
    assert ex.leaves[0]["min"] == 0.5
    send(ex, action="set_leaf", name="x", value=-1.0)  # log of a negative number: shown, not raised
    assert "log" in ex.error and ex.values["x"] == -1.0
    with pytest.raises(ValueError, match="no leaf named"):
        ex.set(z=1.0)


def test_every_widget_shares_one_graphviz_wasm_model(lab):
    ex = viz.explore(lambda x: x * x, x=1.0)
    assert ex.renderer is lab.renderer
    source = gzip.decompress(base64.b64decode(lab.renderer.source_gzip_base64))
    assert source == (lab_module.STATIC / "viz.js").read_bytes()
    assert "renderer" not in ex._snapshot()


def test_vendored_graphviz_is_the_npm_build_with_its_licence():
    head = (lab_module.STATIC / "viz.js").read_bytes()[:200].decode("utf-8")
    version = re.match(r"/\*!\nViz\.js (\S+)\n", head)
    assert version is not None
    licence = (lab_module.STATIC / "LICENSE-viz-js.txt").read_text(encoding="utf-8")
    assert licence.startswith(f"viz/static/viz.js is @viz-js/viz {version.group(1)} from npm")
    assert "Permission is hereby granted, free of charge" in licence and "Graphviz" in licence


def read_record(page: str) -> dict:
    match = re.search(r'id="deltagrad-record">([^<]+)<', page)
    assert match is not None
    return json.loads(gzip.decompress(base64.b64decode(match.group(1))))


def test_save_html_records_the_frames(lab, tmp_path):
    lab.step(3)
    lab.set_parameter(0, 0.25)
    path = lab.save_html(tmp_path / "lab.html")
    page = path.read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page.replace("https://www.graphviz.org", "")
    record = read_record(page)
    frames = record["frames"]
    assert record["view"] == "lab" and len(frames) == 5  # the start, three steps, one edit
    assert frames[0]["steps"] == 0 and frames[3]["steps"] == 3 and "steps" not in frames[4]  # stored as changes
    assert frames[-1]["parameters"][0]["value"] == 0.25
    assert "points" not in frames[1]  # unchanged since the first frame
    assert record["backward"] and record["backward"][0]["caption"].startswith("step 1: δ(L)")
    assert oct(path.stat().st_mode & 0o777) == "0o644"


def test_explore_save_html_holds_the_backward_frames(tmp_path):
    ex = viz.explore(lambda x, w: (x * w).tanh(), x=1.0, w=0.5)
    record = read_record(ex.save_html(tmp_path / "explore.html").read_text(encoding="utf-8"))
    (frame,) = record["frames"]
    assert [f["caption"] for f in frame["frames"]] == [f["caption"] for f in ex.frames] and len(ex.frames) == 4


def test_draw_graph_displays_without_dot_as_a_wasm_widget(monkeypatch):
    graph = viz.draw_graph(Value(2.0, label="x") * 3)
    assert "image/svg+xml" in graph._repr_mimebundle_()  # with dot: static SVG, as before
    monkeypatch.setenv("PATH", "")
    data, _ = graph._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data and "image/svg+xml" not in data
