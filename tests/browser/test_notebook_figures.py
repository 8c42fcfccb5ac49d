"""Notebooks 01 and 02, executed and exported to HTML, in headless Chromium at 1200 px: the graphs fit the column.

The issue this answers: the graph of notebook 01 put its root node off-screen, and in notebook 02's still
frames the highlighted node (the point of the frame) was off-screen too. Screenshots go to build/screenshots/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
nbconvert = pytest.importorskip("nbconvert")

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

# nbconvert shows image/svg+xml outputs as <img src="data:image/svg+xml;base64,...">: each is replaced by the same
# SVG inline, at the size the browser drew the image, so that its nodes can be measured.
_INLINE = """() => document.querySelectorAll('img[src^="data:image/svg+xml"]').forEach(img => {
  const text = new TextDecoder().decode(Uint8Array.from(atob(img.src.split(',')[1]), c => c.charCodeAt(0)));
  const svg = new DOMParser().parseFromString(text, 'image/svg+xml').documentElement;
  const r = img.getBoundingClientRect();
  svg.setAttribute('width', r.width + 'px'); svg.setAttribute('height', r.height + 'px');
  img.replaceWith(document.importNode(svg, true));
})"""
# For every SVG in an output: the output area's box, the SVG's box, and the boxes of the nodes that matter
# (the root, drawn as class "output", and a backward frame's highlighted node).
_MEASURE = """() => Array.from(document.querySelectorAll('.jp-OutputArea-output svg, .output_subarea svg')).map(svg => {
  const area = svg.closest('.jp-OutputArea-output, .output_subarea');
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  return {
    area: box(area), svg: box(svg), scrolls: area.scrollWidth > area.clientWidth + 1,
    roots: Array.from(svg.querySelectorAll('g.node.output')).map(box),
    highlighted: Array.from(svg.querySelectorAll('g.node.highlight')).map(box),
    minText: Math.min(...Array.from(svg.querySelectorAll('text')).map(
      t => parseFloat(t.getAttribute('font-size')) * t.getScreenCTM().a)),
  };
})"""


def _export(name: str, folder: Path) -> Path:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbclient.NotebookClient(notebook, timeout=900, resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    body, _ = nbconvert.HTMLExporter(template_name="lab").from_notebook_node(notebook)
    path = folder / name.replace(".ipynb", ".html")
    path.write_text(body, encoding="utf-8")
    return path


def _inside(inner: list[float], outer: list[float]) -> bool:
    return outer[0] - 1 <= inner[0] and inner[2] <= outer[2] + 1


def _figures(page: Any, url: str, shot: Path) -> list[dict[str, Any]]:
    page.goto(url, wait_until="domcontentloaded", timeout=60_000)
    page.screenshot(path=str(shot), full_page=True)
    page.evaluate(_INLINE)
    return page.evaluate(_MEASURE)


@pytest.mark.parametrize("name", ["01_value_and_chain_rule.ipynb", "02_backprop_by_hand.ipynb"])
def test_graphs_fit_the_notebook_column_at_1200_px(name, page, serve, screenshots, tmp_path):
    html = _export(name, tmp_path)
    figures = _figures(page, serve(tmp_path) + html.name, screenshots / html.name.replace(".html", ".png"))
    assert figures, "no SVG output found in the exported notebook"
    viewport = page.viewport_size["width"]
    for figure in figures:
        column = figure["area"]
        assert column[2] <= viewport
        assert not figure["scrolls"] and _inside(figure["svg"], column)  # no sideways scrolling
        assert figure["minText"] >= 10.0 - 0.05  # CSS px, as drawn
        for root in figure["roots"]:
            assert _inside(root, column)
        for node in figure["highlighted"]:  # a backward frame's node of the moment
            assert _inside(node, column)
    assert sum(len(f["roots"]) for f in figures) >= (3 if name.startswith("01") else 4)
    if name.startswith("02"):
        assert sum(len(f["highlighted"]) for f in figures) >= 3  # the three still frames


def test_step_page_text_is_at_least_12_px_at_1400_px(open_page, serve, screenshots, tmp_path):
    import nn
    import viz

    net = nn.MLP(1, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    loss = nn.losses.mse(net([1.0]), 1.0)
    steps = viz.backward_steps(loss)
    steps.save_html(tmp_path / "steps.html")
    k = next(i for i, frame in enumerate(steps) if "<sup>" in viz.html_markup(frame.caption))
    page = open_page(1400, 900)
    page.goto(serve(tmp_path) + "steps.html", wait_until="load")
    page.wait_for_selector(".dg-steps .dg-graph svg g.node")  # the page replays dot's pictures with lab.js
    page.fill(".dg-steps input.dg-step-range", str(k))
    page.wait_for_function(
        "t => document.querySelector('.dg-steps .dg-counter').textContent === t", arg=f"{k + 1} / {len(steps)}"
    )
    page.wait_for_timeout(200)  # the frame's picture swapped in
    page.screenshot(path=str(screenshots / "steps_page_1400.png"), full_page=True)
    sizes = page.evaluate(
        """() => {
      const svg = document.querySelector('.dg-steps .dg-graph svg');
      const texts = Array.from(svg.querySelectorAll('text'));
      const caption = document.querySelector('.dg-steps .dg-caption');
      return {svg: Math.min(...texts.map(t => parseFloat(t.getAttribute('font-size')) * t.getScreenCTM().a)),
              caption: parseFloat(getComputedStyle(caption).fontSize),
              sup: caption.querySelectorAll('sup').length,
              right: svg.getBoundingClientRect().right};
    }"""
    )
    assert sizes["svg"] >= 12.0 and sizes["caption"] >= 12.0
    assert sizes["sup"] >= 1  # names such as z^[3]_1 written with real superscripts in the captions
    assert sizes["right"] <= 1400
