"""Pages written by save_html, opened in headless Chromium from a static server on 127.0.0.1 (no kernel):
no JavaScript errors, Play advances the recorded frames, and the graph shows the recorded numbers."""

from __future__ import annotations

import pytest

import nn
import viz

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
