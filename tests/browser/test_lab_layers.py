"""The lab's health panel and its layer view in Chromium, live (the ``live_widget`` fixture): the panel draws
Python's numbers and follows Step."""

from __future__ import annotations

import pytest

import nn
import viz

pytest.importorskip("anywidget")

LAPTOP = {"width": 1366, "height": 768}


def moons_lab(sizes: list[int]) -> viz.Lab:
    X, y = nn.moons(100, noise=0.1, seed=0)
    model = nn.MLP(2, sizes, seed=0)
    return viz.Lab(model, X, y, loss="bce_with_logits", optimizer=nn.Adam(model.parameters(), lr=0.05), seed=0)


@pytest.fixture
def laptop(browser, browser_errors):
    context = browser.new_context(viewport=LAPTOP)
    page = browser_errors.watch(context.new_page())
    page.set_default_timeout(60_000)
    yield page
    context.close()


def test_the_health_panel_draws_pythons_numbers_and_follows_step(laptop, live_widget, browser_errors, screenshots):
    lab = moons_lab([16, 16, 1])
    page = laptop
    page.goto(live_widget(lab))
    page.wait_for_selector(".dg-health-chart .dg-health-activation")
    means = page.eval_on_selector_all(".dg-health-activation", "els => els.map(e => +e.dataset.mean)")
    assert means == [row["mean"] for row in lab.health]
    dead = page.eval_on_selector_all(".dg-health-dead", "els => els.map(e => +e.dataset.value)")
    assert dead == [row["dead_fraction"] for row in lab.health]
    assert page.locator(".dg-health-ratio").count() == 0 and page.is_visible(".dg-health-none")  # no step yet
    assert page.locator(".dg-health-reference").count() == 1  # the 1e-3 line
    page.click(".dg-step")
    page.wait_for_function("() => window.dgModel.get('steps') === 1")
    page.wait_for_selector(".dg-health-ratio")
    ratios = page.eval_on_selector_all(".dg-health-ratio", "els => els.map(e => +e.dataset.value)")
    assert ratios == [row["update_ratio"] for row in lab.health] and all(r > 0 for r in ratios)
    after = page.eval_on_selector_all(".dg-health-activation", "els => els.map(e => +e.dataset.mean)")
    assert after == [row["mean"] for row in lab.health] and after != means
    box = page.locator(".dg-health").bounding_box()
    assert box["y"] + box["height"] <= LAPTOP["height"] and box["x"] + box["width"] <= LAPTOP["width"]
    page.locator(".dg-health").screenshot(path=str(screenshots / "lab-health.png"))
    assert browser_errors == [] and not page.text_content(".dg-error")


def test_a_big_network_is_drawn_by_layer_and_a_block_expands_on_click(laptop, live_widget, browser_errors, screenshots):
    lab = moons_lab([16, 16, 1])
    lab.step(3)
    page = laptop
    page.goto(live_widget(lab))
    page.wait_for_selector(".dg-graph svg g.node.dg-block")
    names = [b["name"] for b in lab.blocks]
    shown = page.eval_on_selector_all(
        ".dg-graph svg g.node", "els => els.map(e => e.querySelector('title').textContent)"
    )
    assert sorted(shown) == sorted(names)  # input, three layers, loss: nothing else
    assert page.eval_on_selector_all(".dg-graph svg g.edge", "els => els.length") == len(names) - 1
    page.screenshot(path=str(screenshots / "lab-layers-1366x768.png"))
    # the second hidden layer (model.layers[1], block 2) expands to its nodes: 16·16 weights, 16 biases, z, a
    page.click(".dg-graph svg g.node:has(title:text-is('block_2'))")
    page.wait_for_function("() => window.dgModel.get('expanded').includes(2)")
    page.wait_for_selector(".dg-graph svg g.cluster.dg-foldable")
    block = next(b for b in lab.blocks if b["index"] == 2)
    values = page.eval_on_selector_all(
        ".dg-graph svg g.node", "els => els.filter(e => /^v\\d+$/.test(e.querySelector('title').textContent)).length"
    )
    assert values == block["values"] == 16 * 16 + 16 + 16 + 16
    assert lab.expanded == [2]
    page.screenshot(path=str(screenshots / "lab-layer-expanded.png"))
    # a click on one of its nodes shows its derivation, with the engine's δ
    a = lab.model.layers[1].neurons[4]
    node = next(name for name, i in lab.parameter_nodes.items() if lab._params[i] is a.w[2])
    page.click(f".dg-graph svg g.node:has(title:text-is('{node}'))")
    page.wait_for_selector(".dg-derivation math")
    assert page.eval_on_selector_all(".dg-derivation math mn", "els => els.map(e => e.textContent)")[-1] == (
        viz.format_number(lab.node_deltas[node])
    )
    page.keyboard.press("Escape")  # the parameter's editor opened too
    # the frame's button folds it again
    page.click(".dg-fold[data-block='2']")
    page.wait_for_function("() => window.dgModel.get('expanded').length === 0")
    page.wait_for_function("n => document.querySelectorAll('.dg-graph svg g.node').length === n", arg=len(names))
    assert browser_errors == [] and not page.text_content(".dg-error")


CHANGED_ON_STEP = """before => [...document.querySelectorAll('.dg-graph svg g.node')]
  .filter(g => before[g.querySelector('title').textContent] !== g.textContent)
  .map(g => { const r = g.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"""
TEXTS = """() => Object.fromEntries([...document.querySelectorAll('.dg-graph svg g.node')]
  .map(g => [g.querySelector('title').textContent, g.textContent]))"""


@pytest.mark.parametrize("sizes", [[16, 16, 1], [8, 8, 1], [3, 1]], ids=["moons-2-16-16-1", "2-8-8-1", "2-3-1"])
def test_controls_data_and_what_step_changes_fit_a_laptop_screen(
    laptop, live_widget, browser_errors, screenshots, sizes
):
    """The whole widget fits 1366 × 768; drawn by layer (2-8-8-1 and up), so does every node Step changes. A small
    network drawn node by node (2-3-1: 26 values) is natural size in its scroll box: only the box is checked."""
    lab = moons_lab(sizes)
    page = laptop
    page.goto(live_widget(lab))
    page.wait_for_selector(".dg-graph svg g.node")
    before = page.evaluate(TEXTS)
    page.click(".dg-step")
    page.wait_for_function("() => window.dgModel.get('steps') === 1")
    page.wait_for_function(f"before => ({CHANGED_ON_STEP})(before).length > 0", arg=before)
    page.wait_for_timeout(600)  # the layout that follows once the numbers settle
    page.screenshot(path=str(screenshots / f"lab-{'-'.join(map(str, sizes))}-after-step.png"))
    widget = page.locator(".dg-lab").bounding_box()
    assert widget["width"] <= 1366 and widget["y"] + widget["height"] <= 768, widget
    for part in (".dg-toolbar", "canvas.dg-data", ".dg-databar", ".dg-curves", ".dg-health", ".dg-graph"):
        box = page.locator(part).first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1366 and box["y"] + box["height"] <= 768, (part, box)
    graph = page.locator(".dg-graph").bounding_box()
    changed = page.evaluate(f"({CHANGED_ON_STEP})", before)
    assert changed
    if not lab.blocks:
        assert sizes == [3, 1] and browser_errors == []
        return
    for left, top, right, bottom in changed:  # every node whose numbers Step changed is in view, not scrolled away
        assert graph["x"] <= left and right <= graph["x"] + graph["width"] + 1, (left, right, graph)
        assert graph["y"] <= top and bottom <= graph["y"] + graph["height"] + 1, (top, bottom, graph)
    assert browser_errors == [] and not page.text_content(".dg-error")


def test_a_saved_page_replays_the_layer_view(laptop, serve, browser_errors, tmp_path):
    lab = moons_lab([16, 16, 1])
    lab.step(3)
    lab.save_html(tmp_path / "lab.html")
    page = laptop
    page.goto(serve(tmp_path) + "lab.html")
    page.wait_for_selector(".dg-graph svg g.node.dg-block")
    assert page.locator(".dg-graph svg g.node").count() == len(lab.blocks)
    first = page.text_content(".dg-graph svg g.node:has(title:text-is('block_4'))")
    page.click(".dg-step")  # the replay's next recorded frame: the blocks' figures change, the layout stays
    page.wait_for_function(
        "t => [...document.querySelectorAll('.dg-graph svg g.node')].find(g => g.querySelector('title').textContent"
        " === 'block_4').textContent !== t",
        arg=first,
    )
    page.click(".dg-graph svg g.node:has(title:text-is('block_2'))")  # no kernel: a block stays folded
    page.wait_for_timeout(300)
    assert page.locator(".dg-graph svg g.node").count() == len(lab.blocks)
    assert browser_errors == []
