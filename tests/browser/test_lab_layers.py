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
