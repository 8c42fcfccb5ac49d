"""backward_steps' click-to-derive in headless Chromium: in the slider widget (StepsView, driven like anywidget)
and in a saved page (with Graphviz's ``dot`` and without), a click on a value shows its δ derivation as it stands at the
frame shown, numbers equal to the engine's: for ``out = a*b + a`` the term through ``out`` arrives first (δ so far
1), the term through ``a*b`` a frame later, and then δ(a) is the engine's ``a.grad``."""

from __future__ import annotations

import pytest

import viz
from autograd import Value

PANEL = ".dg-steps .dg-derivation"
# what the panel shows: its MathML's numbers (each <mn>, and <mi>?</mi> for a δ still to come), the classes of its
# terms (pending or not) and the plain text that goes with it
READ_PANEL = """sel => {
  const panel = document.querySelector(sel);
  if (!panel || panel.hidden) return null;
  const math = panel.querySelector('math');
  return {
    node: panel.dataset.node, text: panel.title, alt: math.getAttribute('alttext'),
    numbers: Array.from(math.querySelectorAll('mn, mi')).map(e => e.textContent).filter(t => /^[-\\d.?]/.test(t)),
    pending: math.querySelectorAll('.term.pending').length,
    terms: math.querySelectorAll('.term').length,
    width: panel.getBoundingClientRect().width,
  };
}"""


@pytest.fixture
def read_twice():
    """``out = a*b + a``: ``a`` is read by ``a*b`` and by ``out``; the steps, and the engine's δ of ``a``."""
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    out = c + a
    out.label = "out"
    steps = viz.backward_steps(out)
    out.backward()  # the engine's δ, the reference (the steps left .grad alone)
    return steps, a, b, c


def f(x: float) -> str:
    return viz.format_number(x)


def check_derivation_frame_by_frame(page, steps, a, b, c, screenshots, name: str) -> None:
    """Click ``a`` at the first frame; step on: the panel follows the frame shown, term by term."""
    page.set_default_timeout(60_000)  # the suite runs on 2 shared cores
    page.wait_for_selector(".dg-steps .dg-graph svg g.node", timeout=60_000)
    order = [frame.node for frame in steps]
    assert order[0].label == "out" and order.index(c) == 1 and order.index(a) > 1  # backward reaches c second
    page.locator(".dg-steps .dg-graph g.node", has=page.locator(f"title:text-is('{viz.node_name(a)}')")).click()
    page.wait_for_function(f"() => ({READ_PANEL})({PANEL!r}) !== null")
    shown = page.evaluate(READ_PANEL, PANEL)
    # frame 1: only out = c + a has passed δ on: δ(a) so far = δ(out)·∂out/∂a = 1·1; the term through c is pending
    assert shown["node"] == viz.node_name(a)
    assert shown["text"] == steps.derivation(a, 0).text() == shown["alt"]
    assert shown["text"].endswith("so far (1 of 2 terms arrived)")
    assert (shown["terms"], shown["pending"]) == (4, 2)  # each term twice: as symbols and as numbers
    assert shown["numbers"] == [f(1.0), f(1.0), "?", f(b.data), f(1.0)]  # 1·1 + ?·b = 1 so far
    page.locator(".dg-steps").screenshot(path=str(screenshots / f"{name}_partial.png"))
    # frame 2: c is done and its term δ(c)·∂c/∂a = 1·b has arrived: the whole sum, the engine's δ(a)
    page.click(".dg-steps button.dg-step")
    page.wait_for_function("t => document.querySelector('.dg-steps .dg-counter').textContent === t", arg="2 / 4")
    page.wait_for_function(f"() => ({READ_PANEL})({PANEL!r}).pending === 0")
    shown = page.evaluate(READ_PANEL, PANEL)
    assert shown["text"] == viz.derivation(a, steps[0].node).text() == steps.derivation(a, 1).text()
    assert shown["numbers"] == [f(1.0), f(1.0), f(1.0), f(b.data), f(a.grad)]
    assert a.grad == 1.0 + b.data and steps.derivation(a).delta == a.grad
    # hovering a term lights up the edge it travels along
    page.hover(f"{PANEL} .term[data-edge='{viz.edge_name(c, 0)}']")
    lit = page.eval_on_selector_all(".dg-steps .dg-graph g.edge.dg-lit", "gs => gs.length")
    assert lit >= 1
    page.locator(".dg-steps").screenshot(path=str(screenshots / f"{name}_complete.png"))
    # back to frame 1: the partial sum again; a click on another node shows that node's derivation
    page.click(".dg-steps button.dg-back")
    page.wait_for_function(f"() => ({READ_PANEL})({PANEL!r}).pending === 2")
    page.locator(".dg-steps .dg-graph g.node", has=page.locator(f"title:text-is('{viz.node_name(b)}')")).click()
    page.wait_for_function(f"n => ({READ_PANEL})({PANEL!r}).node === n", arg=viz.node_name(b))
    shown = page.evaluate(READ_PANEL, PANEL)
    assert shown["text"] == steps.derivation(b, 0).text()  # nothing arrived yet: δ(c) is still to come
    assert shown["numbers"] == ["?", f(a.data), f(0.0)]


def test_steps_widget_click_shows_the_derivation_at_each_frame(
    read_twice, monkeypatch, live_widget, open_page, browser_errors, screenshots
):
    from viz.widget import StepsView

    steps, a, b, c = read_twice
    shown: list = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    steps._ipython_display_()  # what Jupyter shows for `steps` (dot is installed here: the same widget)
    (view,) = shown
    assert isinstance(view, StepsView)
    page = open_page(1200, 900)
    page.goto(live_widget(view))
    check_derivation_frame_by_frame(page, steps, a, b, c, screenshots, "steps_widget_derive")
    assert browser_errors == []


@pytest.mark.parametrize("dot", [True, False], ids=["dot", "no-dot"])
def test_saved_steps_page_click_shows_the_derivation(
    dot, read_twice, monkeypatch, page, serve, browser_errors, screenshots, tmp_path
):
    """Saved with dot (its SVGs in the page) and without (DOT laid out by Graphviz-WASM): the same answers."""
    steps, a, b, c = read_twice
    with monkeypatch.context() as machine:
        if not dot:  # saved on a machine without Graphviz: the page lays the frames out
            machine.setenv("PATH", str(tmp_path))
        page_text = steps.save_html(tmp_path / "steps.html").read_text(encoding="utf-8")
    assert ('id="deltagrad-viz"></script>' in page_text) is dot  # dot drew every frame: no layout engine inside
    page.goto(serve(tmp_path) + "steps.html")  # a static server: the page asks nothing of Python
    check_derivation_frame_by_frame(page, steps, a, b, c, screenshots, f"steps_page_derive_{'dot' if dot else 'wasm'}")
    assert browser_errors == []


EXPLORE_PANEL = "t => document.querySelector('.dg-explore .dg-derivation')?.title === t"


def test_explore_frames_show_the_terms_arrived_so_far(
    live_widget, open_page, serve, browser_errors, screenshots, tmp_path
):
    """explore's Step backward shows backward_steps' frames: a selected node's derivation follows them, live and on
    the page save_html writes (which answers a click from the recorded forms, with no kernel)."""
    ex = viz.explore(lambda a, b: a * b + a, a=2.0, b=-3.0)
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = a * b + a
    steps = viz.backward_steps(out, show_local_grads=True)  # the frames explore shows, rebuilt here
    out.backward()
    ex.save_html(tmp_path / "explore.html")
    for name, url in (("live", live_widget(ex)), ("saved", serve(tmp_path) + "explore.html")):
        page = open_page(1200, 900)
        page.goto(url)
        page.wait_for_selector(".dg-explore .dg-graph svg g.node", timeout=60_000)
        page.locator(".dg-explore .dg-graph g.node", has_text="data 2.0000").first.click()
        page.wait_for_function(EXPLORE_PANEL, arg=viz.derivation(a, out).text())  # the whole graph: complete
        page.click(".dg-explore button.dg-step")  # frame 1: out's term has arrived, mul's is pending
        page.wait_for_function(EXPLORE_PANEL, arg=steps.derivation(a, 0).text())
        assert steps.derivation(a, 0).text().endswith("so far (1 of 2 terms arrived)")
        page.locator(".dg-explore").screenshot(path=str(screenshots / f"explore_{name}_derive_partial.png"))
        page.click(".dg-explore button.dg-step")  # frame 2: both, δ(a) = 1 + b, the engine's a.grad
        page.wait_for_function(EXPLORE_PANEL, arg=steps.derivation(a, 1).text())
        assert steps.derivation(a, 1).delta == a.grad == ex.grads["a"]
    assert browser_errors == []
