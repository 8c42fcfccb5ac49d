"""The live lab in a real JupyterLab 4 and Notebook 7: Debian's headless Chromium runs a notebook, clicks Step,
edits a weight, and the rendered SVG's text (data and δ) changes to the engine's numbers, computed by a twin model."""

from __future__ import annotations

import numpy as np

import nn
import viz
from autograd import Value

SETUP = """\
import nn, viz
X, y = nn.moons(60, noise=0.1, seed=2)
model = nn.MLP(2, [3, 1], activation="tanh", seed=4)
lab = viz.Lab(model, X, y, loss="bce_with_logits", optimizer=nn.SGD(model.parameters(), lr=0.5), batch_size=20, seed=5)
lab"""
EXPLORE = """\
ex = viz.explore(lambda x, w, b: (x * w + b).tanh(), x=2.0, w=-3.0, b=6.88)
ex"""
NO_DOT = """\
import os
os.environ["PATH"] = ""  # as on a machine without Graphviz: draw_graph's display falls back to Graphviz-WASM
from autograd import Value
x = Value(2.0, label="x"); out = (x * 3 + x).tanh(); out.backward()
display(viz.backward_steps(out))  # its frames too, with a slider; x is read twice
viz.draw_graph(out)"""
LOSS = nn.losses.binary_cross_entropy_with_logits
FRAME_TEXT = (
    "text => Array.from(document.querySelectorAll('.dg-lab .dg-graph g.node text'))"
    ".some(t => t.textContent.replace(/\\u00a0/g, ' ') === text)"
)
# The open notebook's session holds a connected kernel, idle. The toolbar's execution indicator says 'idle' before
# the page has attached to the kernel at all: a cell run then finds no kernel and JupyterLab / Notebook 7 ask
# "Select Kernel" in a dialog, and the output the test waits for never comes.
KERNEL_READY = """() => {
  const session = window.jupyterapp?.shell.currentWidget?.sessionContext;
  const kernel = session?.session?.kernel;
  return !!kernel && session.isReady && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""
TIMEOUT = 90_000  # ms: kernel start and the first Graphviz-WASM load on a loaded 2-core machine


class Twin:
    """The notebook's model, rebuilt here: what the lab must show, computed by the scalar engine."""

    def __init__(self) -> None:
        self.X, self.y = nn.moons(60, noise=0.1, seed=2)
        self.model = nn.MLP(2, [3, 1], activation="tanh", seed=4)
        self.sgd = nn.SGD(self.model.parameters(), lr=0.5)
        self.rng = np.random.default_rng(5)
        self.batches = iter(())

    def step(self) -> None:
        """One mini-batch, drawn as the lab draws them: a fresh shuffle from the same generator each epoch."""
        batch = next(self.batches, None)
        if batch is None:
            self.batches = nn.batches(self.X, self.y, 20, shuffle=True, seed=self.rng)
            batch = next(self.batches)
        Xb, yb = batch
        self.sgd.zero_grad()
        nn.mean_loss(LOSS, [self.model(x) for x in Xb], yb.astype(float).tolist()).backward()
        self.sgd.step()

    def probe(self, i: int = 0) -> tuple[Value, dict[str, Value]]:
        """The probe sample's loss after backward, and the parameters by label (w^[1]_11 ...)."""
        self.model.zero_grad()
        L = LOSS(self.model([float(v) for v in self.X[i]]), float(self.y[i]))
        L.backward()
        return L, {p.label: p for p in self.model.parameters()}


def graph_nodes(page) -> dict[str, str]:
    """Each drawn value node's text, keyed by its label as the SVG writes it (w^[1]_11 becomes 'w[1]11')."""
    nodes = page.eval_on_selector_all(
        ".dg-lab .dg-graph g.node",
        "gs => gs.map(g => Array.from(g.querySelectorAll('text')).map(t => t.textContent.replace(/\\u00a0/g, ' ')))",
    )
    out = {}
    for texts in nodes:
        data = next((i for i, t in enumerate(texts) if t.startswith("data ")), None)
        if data is not None:
            out["".join(texts[:data])] = " ".join(texts[data:])
    return out


def shown(v: Value) -> str:
    return f"data {viz.format_number(v.data)} δ {viz.format_number(v.grad)}"


def svg_key(label: str) -> str:
    return label.replace("^", "").replace("_", "")


def test_lab_in_jupyter_steps_and_edits_a_weight(jupyter, page, browser_errors, screenshots) -> None:
    """In JupyterLab 4 and in Notebook 7 (anywidget's standard front ends)."""
    try:
        loading_errors = run_lab(page, jupyter, browser_errors, screenshots / jupyter.front)
    except Exception:
        page.screenshot(path=str(screenshots / f"lab_{jupyter.front}_failure.png"), full_page=True)
        print("browser errors:", *browser_errors, sep="\n")
        raise
    # Notebook 7 (7.6) itself throws one error while it loads, before any cell runs ("reading 'schema'", also with a
    # notebook of just 1 + 1): there, only the errors from the moment the cells run count. JupyterLab must have none.
    counted = browser_errors if jupyter.front == "jupyterlab" else browser_errors[loading_errors:]
    assert not [e for e in counted if e.startswith("pageerror")], browser_errors


def run_lab(page, jupyter, browser_errors, screenshots) -> int:
    """The whole scenario; returns how many browser errors there were before the first cell ran."""
    screenshots.mkdir(exist_ok=True)
    page.set_default_timeout(TIMEOUT)  # every wait: the suite runs on 2 shared cores
    page.goto(jupyter.write_notebook("lab.ipynb", [SETUP, EXPLORE, NO_DOT]))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=TIMEOUT)
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=TIMEOUT)
    page.evaluate("() => window.jupyterapp.restored")  # every plugin active: Shift+Enter is bound
    page.wait_for_function(KERNEL_READY, timeout=TIMEOUT)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=TIMEOUT)
    loading_errors = len(browser_errors)
    page.click(".jp-Notebook .jp-Cell .jp-InputArea-editor")
    for widget in (".dg-lab", ".dg-explore", ".dg-graph-view"):  # each output scrolled into view, as a reader does
        page.keyboard.press("Shift+Enter")  # one cell at a time: a key pressed while the page is busy can be lost
        page.wait_for_selector(widget, state="attached", timeout=TIMEOUT)
        page.locator(widget).first.scroll_into_view_if_needed()
        page.wait_for_selector(f"{widget} .dg-graph svg g.node", timeout=TIMEOUT)
    x = Value(2.0, label="x")
    out = (x * 3 + x).tanh()
    steps = viz.backward_steps(out)
    out.backward()
    page.wait_for_selector(".dg-steps .dg-graph svg g.node", timeout=TIMEOUT)  # backward_steps without dot
    page.click(".dg-steps button.dg-step")
    page.wait_for_function("document.querySelector('.dg-steps .dg-counter').textContent === '2 / 5'")
    # a click on x: its derivation at this frame, the term through the sum arrived, the one through x·3 not yet
    page.locator(".dg-steps .dg-graph g.node", has_text="data 2.0000").first.click()
    panel = "t => document.querySelector('.dg-steps .dg-derivation')?.title === t"
    page.wait_for_function(panel, arg=steps.derivation(x, 1).text())
    assert steps.derivation(x, 1).text().endswith("so far (1 of 2 terms arrived)")
    page.locator(".dg-steps").first.screenshot(path=str(screenshots / "steps_without_dot.png"))
    page.click(".dg-steps button.dg-step")
    page.wait_for_function(panel, arg=viz.derivation(x, out).text())  # complete: the engine's δ
    assert steps.derivation(x, 2).delta == x.grad
    drawn = page.eval_on_selector(".dg-graph-view svg", "svg => svg.textContent.replace(/\\u00a0/g, ' ')")
    assert "data 2.0000" in drawn and f"δ {viz.format_number(x.grad)}" in drawn

    twin = Twin()
    L, params = twin.probe()
    nodes = graph_nodes(page)
    assert nodes["L"] == shown(L)
    for label in ("w^[1]_11", "b^[2]_1"):
        assert nodes[svg_key(label)] == shown(params[label])

    page.click(".dg-lab button.dg-step")
    page.wait_for_function("document.querySelector('.dg-lab .dg-status').textContent.startsWith('step 1 ')")
    twin.step()
    L, params = twin.probe()
    page.wait_for_function(FRAME_TEXT, arg=f"data {viz.format_number(L.data)}")
    nodes = graph_nodes(page)
    assert nodes["L"] == shown(L)
    assert nodes[svg_key("b^[2]_1")] == shown(params["b^[2]_1"])
    page.screenshot(path=str(screenshots / "lab_step.png"), full_page=True)

    # click the node of w^[1]_11 and type a new value
    node = page.locator(".dg-lab .dg-graph g.node.dg-editable", has_text="data").filter(
        has=page.locator("text", has_text="11")
    )
    node.first.click()
    page.fill(".dg-lab .dg-edit-value", "0.75")
    page.press(".dg-lab .dg-edit-value", "Enter")
    params["w^[1]_11"].data = 0.75
    L, params = twin.probe()
    page.wait_for_function(FRAME_TEXT, arg=f"data {viz.format_number(L.data)}")
    nodes = graph_nodes(page)
    assert nodes[svg_key("w^[1]_11")] == shown(params["w^[1]_11"])
    assert nodes["L"] == shown(L)
    row = page.locator(".dg-lab .dg-param-row", has_text="layers.0.neurons.0.w.0")
    assert row.locator(".dg-cell").nth(1).text_content() == "0.7500"
    page.screenshot(path=str(screenshots / "lab_edit.png"), full_page=True)

    # click a data point: it becomes the probe, and the graph is its loss graph
    i = int(np.argmax(twin.X[:, 0]))  # the rightmost point, away from the others
    x0, x1, y0, y1 = viz.Lab(twin.model, twin.X, twin.y, loss="bce_with_logits").boundary["extent"]
    box = page.locator(".dg-lab canvas.dg-data").bounding_box()
    px = (twin.X[i, 0] - x0) / (x1 - x0) * box["width"]
    py = (y1 - twin.X[i, 1]) / (y1 - y0) * box["height"]
    page.click(".dg-lab canvas.dg-data", position={"x": px, "y": py})
    page.wait_for_function(
        "text => document.querySelector('.dg-lab .dg-caption').textContent.startsWith(text)", arg=f"sample {i}:"
    )
    L, params = twin.probe(i)
    page.wait_for_function(FRAME_TEXT, arg=f"data {viz.format_number(L.data)}")
    assert graph_nodes(page)[svg_key("b^[2]_1")] == shown(params["b^[2]_1"])

    # Play: the browser asks the kernel for one step after another until Pause
    page.click(".dg-lab button.dg-play")
    page.wait_for_function("+document.querySelector('.dg-lab .dg-status').textContent.split(' ')[1] >= 4")
    page.click(".dg-lab button.dg-play")
    steps = -1
    for _ in range(20):  # a step already asked for may still arrive: wait until the count holds for 1.5 s
        page.wait_for_timeout(1500)
        now = int(page.text_content(".dg-lab .dg-status").split()[1])
        if now == steps:
            break
        steps = now
    for _ in range(steps - 1):
        twin.step()
    L, params = twin.probe(i)
    page.wait_for_function(FRAME_TEXT, arg=f"data {viz.format_number(L.data)}")
    assert graph_nodes(page)[svg_key("w^[1]_11")] == shown(params["w^[1]_11"])
    assert int(page.text_content(".dg-lab .dg-status").split()[1]) == steps  # paused

    # explore: type a leaf's value, then step backward
    page.fill(".dg-explore input.dg-leaf-value[data-leaf='w']", "-2")
    page.press(".dg-explore input.dg-leaf-value[data-leaf='w']", "Enter")
    x, w, b = Value(2.0, label="x"), Value(-2.0, label="w"), Value(6.88, label="b")
    out = (x * w + b).tanh()
    out.backward()
    page.wait_for_function(
        "text => Array.from(document.querySelectorAll('.dg-explore .dg-graph g.node text'))"
        ".some(t => t.textContent.replace(/\\u00a0/g, ' ') === text)",
        arg=f"δ {viz.format_number(w.grad)}",
        timeout=TIMEOUT,
    )
    steps = viz.backward_steps(out, show_local_grads=True)
    page.click(".dg-explore button.dg-step")
    page.click(".dg-explore button.dg-step")
    page.wait_for_function(
        "text => document.querySelector('.dg-explore .dg-caption').textContent === text", arg=steps[1].caption
    )
    page.locator(".dg-explore").screenshot(path=str(screenshots / "explore_backward.png"))
    return loading_errors
