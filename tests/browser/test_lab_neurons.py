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


def drawn(page) -> None:
    """Wait until the page has redrawn what the model's last change brought (the lab redraws on the next frame)."""
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


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
    drawn(page)
    assert_pictures_follow(page.evaluate(READ_THUMBNAILS), lab.thumbnails)
    # hovering a thumbnail draws its neuron over the data; leaving it brings the decision boundary back
    data = "() => document.querySelector('canvas.dg-data').toDataURL()"
    boundary = page.evaluate(data)
    page.hover(".dg-thumb-row[data-layer='3'] canvas.dg-thumb >> nth=2")
    page.wait_for_function("url => document.querySelector('canvas.dg-data').toDataURL() !== url", arg=boundary)
    page.screenshot(path=str(screenshots / "lab-thumbnail-hover.png"))
    page.mouse.move(5, 5)
    page.wait_for_function("url => document.querySelector('canvas.dg-data').toDataURL() === url", arg=boundary)
    # a click keeps a neuron over the data after the pointer leaves; a second click takes it away
    thumb = page.locator(".dg-thumb-row[data-layer='2'] canvas.dg-thumb").nth(1)
    thumb.click()
    page.mouse.move(5, 5)
    drawn(page)
    assert page.evaluate(data) != boundary and "dg-pinned" in thumb.get_attribute("class")
    thumb.click()
    page.mouse.move(5, 5)
    page.wait_for_function("url => document.querySelector('canvas.dg-data').toDataURL() === url", arg=boundary)
    assert "dg-pinned" not in thumb.get_attribute("class")
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


def sine_lab() -> viz.Lab:
    """Regression: a 1-16-1 tanh MLP on a noisy sine, with the Lab's default loss (mse)."""
    X, y = nn.sine(50, noise=0.1, seed=0)
    model = nn.MLP(1, [16, 1], activation="tanh", seed=0)
    return viz.Lab(model, X, y, optimizer=nn.Adam(model.parameters(), lr=0.05), seed=0)


def to_page(page, lab: viz.Lab, x: float, y: float) -> tuple[float, float]:
    """Where the data canvas draws the point (x, y), in page pixels."""
    x0, x1, y0, y1 = lab.curve["extent"]
    box = page.locator("canvas.dg-data").bounding_box()
    return box["x"] + (x - x0) / (x1 - x0) * box["width"], box["y"] + (y1 - y) / (y1 - y0) * box["height"]


def test_regression_trains_a_sine_from_play_and_draws_its_curve(open_page, live_widget, browser_errors, screenshots):
    lab = sine_lab()
    page = open_page(1366, 768)
    page.goto(live_widget(lab))
    page.wait_for_selector(".dg-graph svg g.node")
    assert page.text_content(".dg-panel h4") == "data (x, y) and the fitted curve y = model(x)"
    assert "accuracy" not in page.text_content(".dg-status") and page.input_value(".dg-click-mode") == "add"
    assert page.locator(".dg-thumb-row[data-layer='2'] canvas.dg-thumb").count() == 16
    page.click(".dg-step")
    page.wait_for_function("() => window.dgModel.get('steps') === 1")
    page.fill(".dg-speed", "60")
    page.press(".dg-speed", "Enter")
    page.click(".dg-play")
    page.wait_for_function("() => window.dgModel.get('steps') >= 80", timeout=120_000)
    page.click(".dg-play")  # pause
    page.wait_for_function("() => !window.dgModel.get('playing') && !window.dgModel.pending")
    X, y = lab.data
    mse = float(((nn.predict(lab.model, X) - y) ** 2).mean())
    assert mse < 0.02, (lab.steps, mse)
    page.wait_for_function("n => window.dgModel.get('steps') === n", arg=lab.steps)
    drawn(page)
    assert f"loss {lab.loss_value:.4f}" in page.text_content(".dg-status")
    # the fitted curve is drawn in red where Python says the model's output is (where no data point covers it)
    dots = [to_page(page, lab, float(a), float(b)) for a, b in zip(X[:, 0], y)]
    spots = [to_page(page, lab, x, v) for x, v in zip(lab.curve["x"][3:-3:4], lab.curve["y"][3:-3:4])]
    spots = [(sx, sy) for sx, sy in spots if min((sx - dx) ** 2 + (sy - dy) ** 2 for dx, dy in dots) > 8**2]
    red = page.evaluate(
        """(spots) => { const c = document.querySelector('canvas.dg-data'); const r = c.getBoundingClientRect();
        const ctx = c.getContext('2d');
        return spots.map(([x, y]) => {
          const px = Math.round((x - r.left) * c.width / r.width), py = Math.round((y - r.top) * c.height / r.height);
          const data = ctx.getImageData(px - 2, py - 2, 5, 5).data;  // within 2 px: the line is 2.5 px wide
          for (let i = 0; i < data.length; i += 4) {
            if (data[i] > 150 && data[i + 1] < 110 && data[i + 2] < 110) return true;
          }
          return false;
        }); }""",
        spots,
    )
    assert len(red) >= 10 and all(red), red
    thumbs = page.evaluate(
        "() => [...document.querySelectorAll('canvas.dg-thumb')].map((c) => new Set(c.getContext('2d')"
        ".getImageData(0, 0, c.width, c.height).data).size)"
    )
    assert len(thumbs) == 16 and min(thumbs) > 2  # every neuron's curve drawn
    page.hover("canvas.dg-thumb >> nth=3")
    page.wait_for_timeout(100)
    page.screenshot(path=str(screenshots / "lab-regression.png"))
    page.mouse.move(5, 5)
    # a click adds the point (x, y) where it lands; a click on a point removes it
    page.mouse.click(*to_page(page, lab, 2.0, -1.2))
    page.wait_for_function("() => window.dgModel.get('points').length === 51")
    drawn(page)  # the axes may have widened: the next click needs the page's new drawing
    X, y = lab.data
    assert X[-1, 0] == pytest.approx(2.0, abs=0.03) and y[-1] == pytest.approx(-1.2, abs=0.03)
    page.mouse.click(*to_page(page, lab, float(X[-1, 0]), float(y[-1])))
    page.wait_for_function("() => window.dgModel.get('points').length === 50")
    assert len(lab.data[0]) == 50 and -1.2 not in [round(v, 1) for v in lab.data[1][-1:]]
    assert browser_errors == [] and not page.text_content(".dg-error")


def test_a_saved_regression_lab_replays_its_curve_and_thumbnails(page, serve, browser_errors, screenshots, tmp_path):
    lab = sine_lab()
    lab.step(30)
    lab.save_html(tmp_path / "sine.html")
    page.set_default_timeout(60_000)
    page.goto(serve(tmp_path) + "sine.html")
    page.wait_for_selector(".dg-lab .dg-graph svg g.node", timeout=30_000)
    assert page.text_content(".dg-panel h4") == "data (x, y) and the fitted curve y = model(x)"
    assert page.locator("canvas.dg-thumb").count() == 16
    page.click(".dg-lab button.dg-play")  # the recorded frames, to the last
    page.wait_for_function("document.querySelector('.dg-lab .dg-status').textContent.startsWith('step 30 ')")
    drawn(page)
    x0, x1, y0, y1 = lab.curve["extent"]
    curve = zip(lab.curve["x"][3:-3:4], lab.curve["y"][3:-3:4])
    spots = [((x - x0) / (x1 - x0), (y1 - v) / (y1 - y0)) for x, v in curve]
    near_red = page.evaluate(
        """(spots) => { const c = document.querySelector('canvas.dg-data'); const ctx = c.getContext('2d');
        return spots.map(([fx, fy]) => {
          const data = ctx.getImageData(Math.round(fx * c.width) - 2, Math.round(fy * c.height) - 2, 5, 5).data;
          for (let i = 0; i < data.length; i += 4) {
            if (data[i] > 150 && data[i + 1] < 110 && data[i + 2] < 110) return true;
          }
          return false;
        }); }""",
        spots,
    )
    assert sum(near_red) >= 0.8 * len(near_red), near_red  # the last frame's curve (points may cover a few spots)
    page.screenshot(path=str(screenshots / "lab-regression-replay.png"))
    assert browser_errors == []
