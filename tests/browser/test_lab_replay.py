"""Pages written by save_html, opened in headless Chromium from a static server on 127.0.0.1 (no kernel):
no JavaScript errors, Play advances the recorded frames, and the graph shows the recorded numbers."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET

import pytest

import nn
import viz
from autograd import Value

FRAME_TEXT = (
    "text => Array.from(document.querySelectorAll('.dg-graph g.node text'))"
    ".some(t => t.textContent.replace(/\\u00a0/g, ' ') === text)"
)


@pytest.fixture
def lab_page(tmp_path):
    X, y = nn.moons(60, noise=0.1, seed=2)
    model = nn.MLP(2, [3, 1], activation="tanh", seed=4)
    lab = viz.Lab(model, X, y, loss="bce_with_logits", optimizer=nn.Adam(model.parameters(), lr=0.05), batch_size=20)
    lab.speed = 20.0
    lab.step(6)
    lab.save_html(tmp_path / "lab.html")
    return lab


def test_saved_lab_page_plays_its_recorded_frames(lab_page, page, serve, browser_errors, screenshots, tmp_path):
    frames = lab_page.frames
    page.set_default_timeout(60_000)  # every wait: the suite runs on 2 shared cores
    page.goto(serve(tmp_path) + "lab.html")
    page.wait_for_selector(".dg-lab .dg-graph svg g.node", timeout=30_000)
    assert page.text_content(".dg-lab .dg-status").startswith("step 0 ")
    page.wait_for_function(FRAME_TEXT, arg=f"data {viz.format_number(frames[0]['probe_loss'])}")
    page.click(".dg-lab button.dg-play")
    page.wait_for_function("document.querySelector('.dg-lab .dg-status').textContent.startsWith('step 6 ')")
    page.wait_for_function(FRAME_TEXT, arg=f"data {viz.format_number(frames[-1]['probe_loss'])}")
    page.wait_for_function("document.querySelector('.dg-lab button.dg-play').textContent === '▶ Play'")  # stops
    page.screenshot(path=str(screenshots / "lab_replay_end.png"), full_page=True)
    page.click(".dg-lab button.dg-reset")
    page.wait_for_function("document.querySelector('.dg-lab .dg-status').textContent.startsWith('step 0 ')")
    page.click(".dg-lab button.dg-step-backward")  # the probe's backward pass, node by node
    caption = lab_page._replay()["backward"][0]["caption"]
    page.wait_for_function("text => document.querySelector('.dg-lab .dg-caption').textContent === text", arg=caption)
    assert browser_errors == []


def test_saved_explore_page_plays_backward(page, serve, browser_errors, screenshots, tmp_path):
    ex = viz.explore(lambda x, w, b: (x * w + b).tanh(), x=2.0, w=-3.0, b=6.88)
    ex.save_html(tmp_path / "explore.html")
    page.set_default_timeout(60_000)
    page.goto(serve(tmp_path) + "explore.html")
    page.wait_for_selector(".dg-explore .dg-graph svg g.node", timeout=30_000)
    page.wait_for_function(FRAME_TEXT, arg=f"δ {viz.format_number(ex.grads['w'])}")
    page.click(".dg-explore button.dg-play")
    last = ex.frames[-1]["caption"]
    page.wait_for_function(
        "text => document.querySelector('.dg-explore .dg-caption').textContent === text", arg=last, timeout=20_000
    )
    page.screenshot(path=str(screenshots / "explore_replay_end.png"), full_page=True)
    assert browser_errors == []


NODES = """() => Object.fromEntries(Array.from(document.querySelectorAll('.dg-steps .dg-graph g.node')).map(g => [
  g.querySelector('title').textContent,
  Array.from(g.querySelectorAll('text')).map(t => t.textContent.replace(/\\u00a0/g, ' ')).join('|'),
]))"""


def native_nodes(svg: str) -> dict[str, str]:
    """Each node's title and its texts joined by '|', from an SVG that Graphviz's own ``dot`` rendered."""
    ns = "{http://www.w3.org/2000/svg}"
    nodes = {}
    for g in ET.fromstring(svg.encode("utf-8")).iter(f"{ns}g"):
        if g.get("class", "").split()[:1] == ["node"]:
            texts = ["".join(t.itertext()).replace("\xa0", " ") for t in g.iter(f"{ns}text")]
            nodes[g.find(f"{ns}title").text] = "|".join(texts)
    return nodes


def test_backward_steps_page_saved_without_dot_lays_out_every_frame(
    monkeypatch, page, serve, browser_errors, screenshots, tmp_path
):
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.88, label="b")
    out = (x * w + b).tanh()
    out.label = "o"
    with monkeypatch.context() as no_dot:  # saved on a machine without Graphviz: PATH has no `dot`
        no_dot.setenv("PATH", str(tmp_path))
        steps = viz.backward_steps(out, show_local_grads=True)
        steps.save_html(tmp_path / "steps.html")
    page.set_default_timeout(60_000)
    page.goto(serve(tmp_path) + "steps.html")
    page.wait_for_selector(".dg-steps .dg-graph svg g.node", timeout=30_000)
    n = len(steps)
    for i in (0, 1, n - 1):  # the first, a middle and the last frame, reached with the buttons and the slider
        if i == 1:
            page.click(".dg-steps button.dg-step")
        elif i == n - 1:
            page.fill(".dg-steps input.dg-step-range", str(n - 1))
        page.wait_for_function(
            "t => document.querySelector('.dg-steps .dg-counter').textContent === t", arg=f"{i + 1} / {n}"
        )
        caption = html.unescape(re.sub(r"<[^>]+>", "", viz.html_markup(steps[i].caption)))
        assert page.text_content(".dg-steps .dg-caption") == caption
        # the browser's Graphviz draws what Graphviz's dot draws from the same frame: every node, every text
        expected = native_nodes(steps[i].svg(caption=False))
        box = page.eval_on_selector(".dg-steps .dg-graph svg", "svg => svg.getBoundingClientRect().width")
        assert box > 1000  # natural size, scaled to the page (1200 px): not shrunk to a 900 px column first
        page.wait_for_function(f"() => ({NODES})()[{json.dumps(next(iter(expected)))}] !== undefined")
        page.wait_for_timeout(500)  # a frame whose numbers alone changed is laid out again once they settle
        assert page.evaluate(NODES) == expected
    page.screenshot(path=str(screenshots / "steps_without_dot_last.png"), full_page=True)
    page.click(".dg-steps button.dg-back")
    page.wait_for_function(
        "t => document.querySelector('.dg-steps .dg-counter').textContent === t", arg=f"{n - 1} / {n}"
    )
    assert browser_errors == []
