"""The scalar path runs where numpy is missing (a browser's Python, Pyodide's core), with the same numbers.

Each test runs a script in a fresh interpreter whose import system refuses numpy, as a Python without it would.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import nn

ROOT = Path(__file__).resolve().parents[1]

# A meta-path finder that refuses numpy (and tqdm, which the page does not ship either) to every importer, as a
# Python without them would; it counts the attempts.
BLOCKER = """
import sys
class _Refuse:
    attempts = []
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("numpy", "tqdm"):
            _Refuse.attempts.append(name)
            raise ModuleNotFoundError(f"No module named {name!r} (refused)", name=name)
        return None
sys.meta_path.insert(0, _Refuse())
"""


def run_without_numpy(body: str) -> dict:
    """Run ``body`` (which sets ``result``) with numpy refused; returns ``result`` (JSON)."""
    code = BLOCKER + textwrap.dedent(body) + "\nimport json; print(json.dumps(result))\n"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_nn_scalar_path_trains_without_numpy() -> None:
    result = run_without_numpy(
        """
        import math, autograd, nn
        from nn.numpy_support import numpy_or_none
        assert numpy_or_none() is None and "numpy" not in sys.modules  # the block works: nothing has numpy
        a = autograd.Value(0.5, label="a")
        b = (a * a + a.exp()).tanh()
        b.backward()
        second = autograd.grad(autograd.grad(lambda v: (v * v).sin()))(0.5)
        X, y = nn.data.moons(100, noise=0.1, seed=0)
        signs = [2 * label - 1 for label in y]
        model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
        history = nn.fit(model, X, signs, loss="hinge", epochs=60, batch_size=None, seed=0,
                         optimizer=nn.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4))
        result = {
            "types": [type(X).__name__, type(y).__name__, type(nn.predict(model, X)).__name__],
            "loss": history.loss, "accuracy": nn.accuracy(model, X, signs),
            "evaluate": nn.evaluate(model, X, signs, loss="hinge"),
            "datasets": [len(nn.data.xor()[0]), len(nn.data.circles(10, seed=1)[0]), len(nn.data.spiral(9, seed=2)[1])],
            "batches": [len(yb) for _, yb in nn.batches(X, y, batch_size=40, seed=3)],
        }
        errors = {}
        for name, call in {"compiled": lambda: nn.fit(model, X, signs, compiled=True),
                           "mnist": lambda: nn.mnist("nowhere"), "one_hot": lambda: nn.one_hot([0, 1])}.items():
            try:
                call()
            except ImportError as e:
                errors[name] = str(e)
        result["errors"] = errors
        tanh_check = autograd.check_op((math.tanh, lambda x, out: 1 - out * out), "tanh")
        result["autograd"] = [a.grad, second, tanh_check.passed]
        result["numpy_loaded"] = "numpy" in sys.modules
        """
    )
    assert result["types"] == ["list", "list", "list"]
    assert result["loss"][-1] < result["loss"][0] / 3
    assert result["accuracy"] >= 0.95 and result["evaluate"]["accuracy"] == result["accuracy"]
    assert result["datasets"] == [4, 10, 9] and result["batches"] == [40, 40, 20]
    assert sorted(result["errors"]) == ["compiled", "mnist", "one_hot"] and not result["numpy_loaded"]
    x = 0.5
    inner = x * x + math.exp(x)
    assert result["autograd"][0] == pytest.approx((1 - math.tanh(inner) ** 2) * (2 * x + math.exp(x)), rel=1e-12)
    assert result["autograd"][1] == pytest.approx(2 * math.cos(x * x) - 4 * x * x * math.sin(x * x), rel=1e-12)
    assert result["autograd"][2] is True
    assert all("needs numpy" in message for message in result["errors"].values()), result["errors"]


@pytest.mark.parametrize("optimizer", ["SGD", "momentum", "nesterov", "Adam"])
def test_the_list_path_trains_to_the_same_numbers_as_numpy(optimizer) -> None:
    """Same starting weights, data and batches: fit's list path gives numpy's losses and weights exactly."""
    X, y = nn.data.moons(40, noise=0.1, seed=1)
    model = nn.MLP(2, [6, 1], activation="tanh", seed=2)
    options = {
        "SGD": "nn.SGD(model.parameters(), lr=0.2, weight_decay=1e-3)",
        "momentum": "nn.SGD(model.parameters(), lr=0.1, momentum=0.9)",
        "nesterov": "nn.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)",
        "Adam": "nn.Adam(model.parameters(), lr=0.05, weight_decay=1e-3)",
    }[optimizer]
    body = f"""
        import nn
        X, y = {X.tolist()!r}, {y.tolist()!r}
        model = nn.MLP(2, [6, 1], activation="tanh", seed=0)
        model.load_state_dict({model.state_dict()!r})
        optimizer = {options}
        history = nn.fit(model, X, y, loss="bce_with_logits", optimizer=optimizer, epochs=8, batch_size=10,
                         shuffle=False)
        result = {{"loss": history.loss, "accuracy": history.accuracy, "state": model.state_dict(),
                   "optimizer": optimizer.state_dict()}}
        """
    result = run_without_numpy(body)
    optimizer_here = eval(options, {"nn": nn, "model": model})
    history = nn.fit(model, X, y, loss="bce_with_logits", optimizer=optimizer_here, epochs=8, batch_size=10,
                     shuffle=False, progress=False)  # fmt: skip
    assert result["loss"] == history.loss and result["accuracy"] == history.accuracy
    assert result["state"] == model.state_dict()
    assert result["optimizer"] == json.loads(json.dumps(optimizer_here.state_dict()))
    assert np.isfinite(history.loss).all()


def test_viz_scalar_path_and_the_page_hosted_lab_without_numpy() -> None:
    """As in the browser page: no numpy, no anywidget, no Jupyter; the lab's widgets are hosted by the page."""
    result = run_without_numpy(
        """
        sys.modules["anywidget"] = None  # not installed
        sys.platform = "emscripten"  # a browser's Python: the page hosts the widgets (viz.widget.PageHosted)
        import nn, viz
        from autograd import Value
        from nn.numpy_support import numpy_or_none
        from viz.widget import PageHosted
        assert numpy_or_none() is None
        x = Value(2.0, label="x"); w = Value(-3.0, label="w"); b = Value(6.88, label="b")
        a = (x * w + b).tanh(); a.label = "a"
        a.backward()
        result = {"dot": "δ -1.5029" in viz.draw_graph(a, show_local_grads=True).source,
                  "frames": len(viz.backward_steps(a)),
                  "check": viz.check_deltas(a, {"a": 1.0, "x": -1.0}).first_wrong.name}
        explorer = viz.explore(lambda x, w: (x * w).tanh(), x=1.0, w=0.5)
        explorer.handle_message({"action": "set_leaf", "name": "w", "value": -0.5})
        result["explore"] = [round(explorer.output, 6), isinstance(explorer, PageHosted)]
        X, y = nn.data.moons(100, noise=0.1, seed=2)
        labels = [2 * t - 1 for t in y]
        model = nn.MLP(2, [16, 16, 1], activation="relu", seed=2)
        lab = viz.Lab(model, X, labels, loss="hinge", optimizer=nn.Adam(model.parameters(), lr=0.05), resolution=8)
        changed = []
        lab.observe(lambda change: changed.append(change["name"]))
        start = lab.accuracy_value
        lab.handle_message({"action": "step", "n": 40})
        lab.lr = 0.01
        result["lab"] = {"hosted": isinstance(lab, PageHosted), "start": start, "end": lab.accuracy_value,
                         "steps": lab.steps, "optimizer_lr": lab.optimizer.lr, "boundary": len(lab.boundary["values"]),
                         "changed": sorted(set(changed))}
        # the thumbnails, on the scalar engine: each first-layer neuron's ReLU over the plane, by hand here
        thumbs = lab.thumbnails
        x0, x1, y0, y1 = thumbs["extent"]
        n = thumbs["n"]
        points = [(x0 + (x1 - x0) * j / (n - 1), y1 - (y1 - y0) * i / (n - 1)) for i in range(n) for j in range(n)]
        first = [[max(0.0, neuron.w[0].data * a + neuron.w[1].data * b + neuron.b.data) for a, b in points]
                 for neuron in model.layers[0].neurons]
        result["thumbnails"] = {"n": n, "shown": [len(layer["values"]) for layer in thumbs["layers"]],
                                "error": max(abs(v - e) for shown, want in zip(thumbs["layers"][0]["values"], first)
                                             for v, e in zip(shown, want))}
        """
    )
    assert result["dot"] and result["frames"] >= 6 and result["check"] == "x"
    assert result["explore"] == [round(math.tanh(-0.5), 6), True]
    lab = result["lab"]
    assert lab["hosted"] and lab["steps"] == 40 and lab["optimizer_lr"] == 0.01
    assert lab["start"] < 0.9 <= 0.95 <= lab["end"], lab
    assert lab["boundary"] == 64
    assert {"accuracy_value", "boundary", "dot", "history", "lr", "steps", "thumbnails"} <= set(lab["changed"])
    assert result["thumbnails"]["n"] == 4 and result["thumbnails"]["shown"] == [16, 16]
    assert result["thumbnails"]["error"] < 6e-5


def test_the_lab_in_regression_mode_without_numpy() -> None:
    """nn.sine and the lab's regression mode on the scalar engine, as the page runs them: the curve is the model's
    output, the thumbnails its first layer's tanh, a float target can be added."""
    result = run_without_numpy(
        """
        sys.modules["anywidget"] = None  # not installed
        sys.platform = "emscripten"  # a browser's Python: the page hosts the widgets
        import math, nn, viz
        X, y = nn.data.sine(30, noise=0.1, seed=0)
        model = nn.MLP(1, [8, 1], activation="tanh", seed=0)
        lab = viz.Lab(model, X, y, optimizer=nn.Adam(model.parameters(), lr=0.05))
        start = lab.loss_value
        lab.handle_message({"action": "step", "n": 20})
        lab.handle_message({"action": "add_point", "x": [0.5], "label": 1.5})
        curve, thumbs, first = lab.curve, lab.thumbnails, model.layers[0].neurons[0]
        x0, x1 = thumbs["extent"]
        xs = [x0 + (x1 - x0) * i / (thumbs["n"] - 1) for i in range(thumbs["n"])]
        result = {
            "shapes": [len(X), len(X[0]), len(y)], "classes": lab.classes, "accuracy": lab.accuracy_value,
            "points": len(lab.points), "last": lab.points[-1], "losses": [start, lab.loss_value],
            "kind": thumbs["kind"],
            "curve": max(abs(v - model([x]).data) for x, v in zip(curve["x"], curve["y"])),
            "thumbnail": max(abs(v - math.tanh(first.w[0].data * x + first.b.data))
                             for x, v in zip(xs, thumbs["layers"][0]["values"][0])),
        }
        """
    )
    assert result["shapes"] == [30, 1, 30] and result["classes"] == 0 and result["accuracy"] == -1.0
    assert result["points"] == 31 and result["last"] == [0.5, 1.5, 1.5] and result["kind"] == "line"
    assert result["losses"][1] < result["losses"][0]
    assert result["curve"] < 6e-5 and result["thumbnail"] < 6e-5  # sent rounded to 4 decimals


def test_an_optimizer_step_that_would_overflow_raises_and_changes_nothing_without_numpy() -> None:
    """The all-or-nothing step (tests/nn/test_optim_non_finite.py) on the list path."""
    result = run_without_numpy(
        """
        import nn
        from autograd import Value
        from autograd.errors import NonFiniteError
        result = {}
        for name, make, grad in [
            ("sgd", lambda ps: nn.SGD(ps, lr=1e308), 10.0),
            ("momentum", lambda ps: nn.SGD(ps, lr=1e-300, momentum=0.9), 1e308),
            ("adam", lambda ps: nn.Adam(ps, lr=0.1, weight_decay=1.0), 1e308),
        ]:
            w, b = Value(1e308 if name == "adam" else 0.5, label="w"), Value(0.25, label="b")
            optimizer = make([w, b])
            if name == "momentum":
                w.grad = b.grad = grad
                optimizer.step()
            w.grad, b.grad = grad, 1.0
            before = [w.data, b.data, optimizer.state_dict()]
            try:
                optimizer.step()
            except NonFiniteError as e:
                result[name] = [str(e).split(" (its value")[0], before == [w.data, b.data, optimizer.state_dict()]]
        """
    )
    assert result == {
        "sgd": ["SGD.step: the new value of parameter 'w' (#0) would be -inf", True],
        "momentum": ["SGD.step: the new momentum buffer of parameter 'w' (#0) would be inf", True],
        "adam": ["Adam.step: the new first moment m of parameter 'w' (#0) would be inf", True],
    }


def test_the_browser_pages_lessons_run_without_numpy() -> None:
    """Each lesson of the page (viz/site/lessons.md) runs as the page runs it, in a Python without numpy."""
    result = run_without_numpy(
        """
        sys.modules["anywidget"] = None
        sys.platform = "emscripten"
        sys.path.insert(0, "viz/site")
        import json, build, page
        page.start()
        result = {}
        for lesson in build.parse_lessons(open("viz/site/lessons.md", encoding="utf-8").read()):
            ran = json.loads(page.run(lesson["code"], page.new_namespace()))
            result[lesson["id"]] = {"stdout": ran["stdout"], "error": ran["error"],
                                    "shown": [item["kind"] for item in ran["shown"]]}
        steps = "import viz, autograd\\ny = (autograd.Value(2.0) * 3).tanh()\\ny.backward()\\nviz.backward_steps(y)"
        ran = json.loads(page.run(steps, page.new_namespace()))
        result["backward_steps"] = {"error": ran["error"], "shown": [item["kind"] for item in ran["shown"]]}
        """
    )
    assert list(result) == ["neuron", "by-hand", "moons", "check-op", "backward_steps"]
    assert all(not lesson["error"] for lesson in result.values()), result
    assert result["neuron"]["stdout"].startswith("-1.50") and result["neuron"]["shown"] == ["graph"]
    assert result["by-hand"]["shown"] == ["html"] and result["check-op"]["shown"] == ["html"]
    assert result["moons"]["shown"] == ["widget"]
    assert result["backward_steps"]["shown"] == ["widget"]  # the frames' slider (StepsView), no dot needed


def test_softmax_of_huge_ties_without_numpy_gives_the_numpy_free_engines_numbers() -> None:
    """The max-shifted softmax is plain Python: [0.5, 0.5] at ±1e308 ties, gradients as with numpy present."""
    import autograd

    rows = [[1e308, 1e308], [-1e308, -1e308, 2.0], [1e17, 1e17, 0.0], [1e308, 1e308, -1e308]]
    body = f"""
        import autograd
        result = []
        for row in {rows!r}:
            xs = [autograd.Value(x) for x in row]
            probs = autograd.softmax(xs)
            autograd.sum([p * (i + 1) for i, p in enumerate(probs)]).backward()
            result.append([[p.data for p in probs], [x.grad for x in xs]])
        result.append([o.data for o in autograd.log_softmax([1e308, 1e308])])
        """
    result = run_without_numpy(body)
    assert result[0][0] == [0.5, 0.5] and result[-1] == [-math.log(2)] * 2
    for row, (probs, grads) in zip(rows, result):
        xs = [autograd.Value(x) for x in row]
        here = autograd.softmax(xs)
        autograd.sum([p * (i + 1) for i, p in enumerate(here)]).backward()
        assert probs == [p.data for p in here] and grads == [x.grad for x in xs]
