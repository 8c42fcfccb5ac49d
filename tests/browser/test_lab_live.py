"""The live widgets in Chromium, talking to their Python side through an anywidget-like model (the ``live_widget``
fixture): clicking a node shows its δ derivation as MathML with the engine's numbers, each term lighting its edge."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
import viz
from autograd import Value

pytest.importorskip("anywidget")

LAPTOP = (1366, 768)  # the screen the lab must fit


def mathml_numbers(page) -> list[str]:
    return page.eval_on_selector_all(".dg-derivation math mn", "els => els.map(e => e.textContent)")


def test_explore_click_a_node_shows_its_derivation(open_page, live_widget, browser_errors, screenshots) -> None:
    ex = viz.explore(lambda x, w: (x * w + x).tanh(), x=0.5, w=-1.5)
    x_node = next(v for v in ex._out.walk() if v.label == "x")
    page = open_page(*LAPTOP)
    page.goto(live_widget(ex))
    page.wait_for_selector(".dg-graph svg g.node")
    page.click(f".dg-graph svg g.node:has(title:text-is('{viz.node_name(x_node)}'))")
    page.wait_for_selector(".dg-derivation math")
    # the numbers, computed here by hand: out = tanh(x·w + x); δ(add) = 1 − out²; δ(x) = δ(add)·1 + δ(mul)·w
    x, w = 0.5, -1.5
    d_add = 1 - math.tanh(x * w + x) ** 2
    numbers = mathml_numbers(page)
    expected = [viz.format_number(d) for d in (d_add, 1.0, d_add, w)]
    assert sorted(numbers[:-1]) == sorted(expected), numbers
    assert numbers[-1] == viz.format_number(d_add * (1 + w)) == viz.format_number(ex.grads["x"])
    assert page.get_attribute(".dg-derivation math", "alttext").startswith("δ(x) = ")
    # a term under the pointer lights up its edge in the graph
    term = page.locator(".dg-derivation .term").first
    edge = term.get_attribute("data-edge")
    term.hover()
    page.wait_for_selector(f".dg-graph g.edge.{edge}.dg-lit", state="attached")
    assert page.locator(".dg-graph g.node.dg-selected").count() == 1
    page.screenshot(path=str(screenshots / "explore-derivation.png"))
    # a slider moves: the derivation follows the same node with the new numbers
    ex.set(w=2.0)
    page.evaluate("() => window.dgModel.sync()")  # the kernel's new state reaches the page
    page.wait_for_function(
        "text => document.querySelector('.dg-derivation math').getAttribute('alttext').endsWith(text)",
        arg=f"= {viz.format_number(ex.grads['x'])}",
    )
    assert browser_errors == [] and not page.text_content(".dg-error")


def test_lab_click_a_parameter_shows_its_derivation(open_page, live_widget, browser_errors, screenshots) -> None:
    X, y = nn.moons(40, noise=0.1, seed=1)
    model = nn.MLP(2, [3, 1], activation="tanh", seed=3)
    lab = viz.Lab(model, X, y, loss="bce_with_logits", optimizer=nn.Adam(model.parameters(), lr=0.05), batch_size=16)
    lab.step(2)
    w = model.layers[1].neurons[0].w[1]
    node = next(name for name, i in lab.parameter_nodes.items() if lab._params[i] is w)
    page = open_page(*LAPTOP)
    page.goto(live_widget(lab))
    page.wait_for_selector(".dg-graph svg g.node")
    page.click(f".dg-graph svg g.node:has(title:text-is('{node}'))")
    page.wait_for_selector(".dg-derivation math")
    # the probe's δ of w by the scalar engine: the derivation's total
    model.zero_grad()
    nn.losses.get("bce_with_logits")(model([Value(float(v)) for v in X[lab.probe]]), float(y[lab.probe])).backward()
    assert mathml_numbers(page)[-1] == viz.format_number(w.grad)
    assert page.is_visible(".dg-editor")  # a parameter: its editor opens too
    page.screenshot(path=str(screenshots / "lab-derivation.png"))
    page.click(".dg-step")  # a step: the same parameter's derivation, new numbers
    page.wait_for_function("() => window.dgModel.get('steps') === 3")
    model.zero_grad()
    nn.losses.get("bce_with_logits")(model([Value(float(v)) for v in X[lab.probe]]), float(y[lab.probe])).backward()
    page.wait_for_function(
        "text => document.querySelector('.dg-derivation math')?.getAttribute('alttext').endsWith(text)",
        arg=f"= {viz.format_number(w.grad)}",
    )
    assert browser_errors == [] and not page.text_content(".dg-error")


def moons_lab() -> viz.Lab:
    """The moons lab as notebook 09 and the README start it."""
    X, y = nn.moons(100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    return viz.Lab(model, X, y, loss="bce_with_logits", optimizer=nn.Adam(model.parameters(), lr=0.05), seed=0)


def test_lab_click_to_add_a_third_class_and_train_to_90_percent(open_page, live_widget, browser_errors, screenshots):
    lab = moons_lab()
    page = open_page(*LAPTOP)
    page.goto(live_widget(lab))
    page.wait_for_selector(".dg-graph svg g.node")
    page.click(".dg-class[data-class='2']")  # choosing a class switches a click on the data to adding
    assert page.input_value(".dg-click-mode") == "add"
    spots = [(1.75 + 0.05 * (k % 4), 1.2 + 0.06 * (k // 4)) for k in range(10)]
    for k, (x, y) in enumerate(spots):
        x0, x1, y0, y1 = lab.boundary["extent"]  # the plane as drawn now (it widens as points are added)
        box = page.locator("canvas.dg-data").bounding_box()
        page.mouse.click(
            box["x"] + (x - x0) / (x1 - x0) * box["width"], box["y"] + (y1 - y) / (y1 - y0) * box["height"]
        )
        page.wait_for_function("n => window.dgModel.get('points').length === n", arg=101 + k)
    X, labels = lab.data
    assert len(X) == 110 and list(labels[-10:]) == [2] * 10
    assert np.allclose(X[-10:], spots, atol=0.02)  # where the clicks landed, in data coordinates
    assert lab.classes == 3
    lab.step(300)
    page.evaluate("() => window.dgModel.sync()")
    page.wait_for_function("() => window.dgModel.get('steps') === 300")
    status = page.text_content(".dg-status")
    accuracy = float(status.split("accuracy ")[1].rstrip("%")) / 100
    X, labels = lab.data
    assert accuracy >= 0.9 and accuracy == pytest.approx(
        np.mean(nn.predict(lab.model, X).argmax(axis=1) == labels), abs=1e-3
    )
    page.screenshot(path=str(screenshots / "lab-three-classes.png"))
    # remove mode: a click on a point removes it
    page.select_option(".dg-click-mode", "remove")
    x, y = X[0]
    x0, x1, y0, y1 = lab.boundary["extent"]
    box = page.locator("canvas.dg-data").bounding_box()
    page.mouse.click(box["x"] + (x - x0) / (x1 - x0) * box["width"], box["y"] + (y1 - y) / (y1 - y0) * box["height"])
    page.wait_for_function("() => window.dgModel.get('points').length === 109")
    assert browser_errors == [] and not page.text_content(".dg-error")


def test_the_moons_lab_fits_a_laptop_screen(open_page, live_widget, browser_errors, screenshots):
    lab = moons_lab()
    page = open_page(*LAPTOP)
    page.goto(live_widget(lab))
    page.wait_for_selector(".dg-graph svg g.node")
    page.screenshot(path=str(screenshots / "lab-1366x768.png"))
    widget = page.locator(".dg-lab").bounding_box()
    assert widget["width"] <= 1366 and widget["y"] + widget["height"] <= 768, widget
    for part in (".dg-toolbar", "canvas.dg-data", ".dg-curves", ".dg-graph", ".dg-databar"):
        box = page.locator(part).first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1366 and box["y"] + box["height"] <= 768, (part, box)
    assert browser_errors == [] and not page.text_content(".dg-error")


def test_an_explore_slider_moved_to_1_lands_on_1(open_page, live_widget, browser_errors):
    ex = viz.explore(lambda x, w: (x * w).tanh(), x=2.0, w=-3.0)  # w's range was -9..3 in steps of 0.03
    page = open_page(*LAPTOP)
    page.goto(live_widget(ex))
    page.wait_for_selector(".dg-graph svg g.node")
    slider = page.locator("input.dg-leaf-range[data-leaf='w']")
    slider.evaluate(
        "el => { el.value = '1'; el.dispatchEvent(new Event('input')); el.dispatchEvent(new Event('change')); }"
    )
    page.wait_for_function("() => window.dgModel.get('leaves')[1].value === 1")
    assert ex.values["w"] == 1.0 and slider.input_value() == "1"
    assert browser_errors == [] and not page.text_content(".dg-error")


def test_lab_draws_whichever_trait_arrives_last(open_page, live_widget, browser_errors) -> None:
    """Jupyter brings the kernel's changes in several messages and the page may draw between them: a trait that
    arrives alone, after the others were drawn (the probe's caption, the status line), is drawn too."""
    X, y = nn.moons(40, noise=0.1, seed=1)
    model = nn.MLP(2, [3, 1], activation="tanh", seed=3)
    lab = viz.Lab(model, X, y, loss="bce_with_logits", batch_size=16)
    page = open_page(*LAPTOP)
    page.goto(live_widget(lab))
    page.wait_for_selector(".dg-lab .dg-graph svg g.node")
    lab.step()
    lab.probe = 7
    last = ["probe_caption", "steps", "epoch", "loss_value", "accuracy_value"]
    page.evaluate(
        """async (last) => {
          const m = window.dgModel;
          const state = await (await fetch("state")).json();
          const keys = Object.keys(state).filter((k) => !last.includes(k)).concat(last);
          for (const k of keys) {  // one trait per message, a frame drawn after each
            m.apply({ [k]: state[k] });
            await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 20)));
          }
        }""",
        last,
    )
    caption = "text => document.querySelector('.dg-lab .dg-caption').textContent === text"
    page.wait_for_function(caption, arg=lab.probe_caption)
    accuracy = f" · accuracy {100 * lab.accuracy_value:.1f}%"
    status = f"step 1 · epoch 0 · loss {lab.loss_value:.4f}{accuracy}"
    page.wait_for_function("text => document.querySelector('.dg-lab .dg-status').textContent === text", arg=status)
    assert browser_errors == [] and not page.text_content(".dg-error")
