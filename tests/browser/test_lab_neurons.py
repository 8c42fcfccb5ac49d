"""The lab's hidden-neuron thumbnails in Chromium: one picture per neuron, coloured by the sign of the activation
Python computed at each grid point, following training, and shown large over the data on hover."""

from __future__ import annotations

import pytest

import nn
import viz

pytest.importorskip("anywidget")

# every thumbnail's pixels, [r, g, b] per grid point, in the grid's order (rows from the top)
READ_THUMBNAILS = """() => [...document.querySelectorAll('.dg-thumb-row')].map((row) =>
  [...row.querySelectorAll('canvas.dg-thumb')].map((c) => {
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const pixels = [];
    for (let i = 0; i < data.length; i += 4) pixels.push([data[i], data[i + 1], data[i + 2]]);
    return pixels;
  }))"""


BLUE, ORANGE = (0x2C, 0x7B, 0xB6), (0xE6, 0x86, 0x2E)  # the lab's colours of a > 0 and a < 0 (classes 1 and 0)


def expected_rgb(a: float) -> list[float]:
    """TensorFlow Playground's colouring: white at a = 0, the sign's colour in full at |a| >= 1."""
    t = min(1.0, abs(a))
    return [255 + (c - 255) * t for c in (BLUE if a > 0 else ORANGE)]


def assert_pictures_follow(pictures, thumbnails) -> None:
    """Each picture is its neuron's map: every grid point coloured by the activation Python computed there."""
    assert [len(row) for row in pictures] == [len(layer["values"]) for layer in thumbnails["layers"]]
    for row, layer in zip(pictures, thumbnails["layers"]):
        for pixels, values in zip(row, layer["values"]):
            assert len(pixels) == len(values) == thumbnails["n"] ** 2
            assert len({tuple(p) for p in pixels}) > 1  # not blank
            for rgb, a in zip(pixels, values):
                assert max(abs(c - e) for c, e in zip(rgb, expected_rgb(a))) <= 1.5, (layer["layer"], a, rgb)


def test_thumbnails_show_each_hidden_neuron_and_follow_training(open_page, live_widget, browser_errors, screenshots):
    X, y = nn.moons(60, noise=0.1, seed=0)
    model = nn.MLP(2, [8, 6, 1], activation="tanh", seed=1)
    lab = viz.Lab(model, X, y, loss="bce_with_logits", optimizer=nn.Adam(model.parameters(), lr=0.1), seed=0)
    page = open_page(1366, 768)
    page.goto(live_widget(lab))
    page.wait_for_selector("canvas.dg-thumb")
    assert page.locator(".dg-thumb-row[data-layer='2'] canvas.dg-thumb").count() == 8
    assert page.locator(".dg-thumb-row[data-layer='3'] canvas.dg-thumb").count() == 6
    assert_pictures_follow(page.evaluate(READ_THUMBNAILS), lab.thumbnails)
    # Step from the page: the thumbnails are redrawn from the new weights
    before = lab.thumbnails
    for k in range(1, 21):
        page.click(".dg-step")
        page.wait_for_function("k => window.dgModel.get('steps') === k", arg=k)
    assert lab.thumbnails != before
    first = lab.thumbnails["layers"][0]["values"][0][0]
    page.wait_for_function("v => window.dgModel.get('thumbnails').layers[0].values[0][0] === v", arg=first)
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    assert_pictures_follow(page.evaluate(READ_THUMBNAILS), lab.thumbnails)
    # hovering a thumbnail draws its neuron over the data; leaving it brings the decision boundary back
    data = "() => document.querySelector('canvas.dg-data').toDataURL()"
    boundary = page.evaluate(data)
    page.hover(".dg-thumb-row[data-layer='3'] canvas.dg-thumb >> nth=2")
    page.wait_for_function("url => document.querySelector('canvas.dg-data').toDataURL() !== url", arg=boundary)
    page.screenshot(path=str(screenshots / "lab-thumbnail-hover.png"))
    page.mouse.move(5, 5)
    page.wait_for_function("url => document.querySelector('canvas.dg-data').toDataURL() === url", arg=boundary)
    assert browser_errors == [] and not page.text_content(".dg-error")


def test_a_wide_layer_shows_its_first_16_neurons_and_says_so(open_page, live_widget, browser_errors, screenshots):
    X, y = nn.moons(40, noise=0.1, seed=0)
    model = nn.MLP(2, [40, 3, 1], activation="relu", seed=1)
    lab = viz.Lab(model, X, y, loss="bce_with_logits", seed=0)
    page = open_page(1366, 768)
    page.goto(live_widget(lab))
    page.wait_for_selector("canvas.dg-thumb")
    assert page.locator(".dg-thumb-row[data-layer='2'] canvas.dg-thumb").count() == 16
    assert page.locator(".dg-thumb-row[data-layer='3'] canvas.dg-thumb").count() == 3
    assert "first 16 of 40 neurons" in page.text_content(".dg-thumbs-caption")
    page.screenshot(path=str(screenshots / "lab-thumbnails-wide.png"))
    assert browser_errors == [] and not page.text_content(".dg-error")
