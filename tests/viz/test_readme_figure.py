"""The README picture is drawn by the README's first code block and shows the numbers that block prints."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from viz import readme_figure

ROOT = Path(__file__).resolve().parents[2]
STORED = ROOT / "notebooks" / "figures"  # the README's ![...](notebooks/figures/neuron.png) and its SVG twin
NUMBER = re.compile(r"-?\d+\.\d+")


@pytest.fixture(scope="module")
def block() -> readme_figure.ReadmeRun:
    return readme_figure.run_first_block()


def _figure_numbers(svg: str, svg_reader) -> dict[str, list[str]]:
    """Each labelled node's lines of the figure, e.g. {"x1": ["data 2.0000", "δ -1.5000"]}."""
    nodes = svg_reader(svg)["node"]
    return {n.texts[0]: n.texts[1:] for n in nodes if n.title.startswith("v") and not n.texts[0].startswith("data")}


def test_the_figure_is_the_readme_first_blocks_own_graph(block) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.index(block.code) < readme.index("![") < readme.index("notebooks/figures/neuron.png")
    assert block.code.rstrip().splitlines()[-1].startswith("viz.draw_graph(o, show_local_grads=True)")
    assert block.root.label == "o" and readme_figure.neuron().label == "o"
    unnamed = re.compile(r"\b([a-z]+)\d+(_\d+)?\b")  # node names carry creation numbers, which differ run to run
    assert unnamed.sub(r"\1", block.graph.source) == unnamed.sub(r"\1", readme_figure.neuron_figure().source)


def test_every_number_the_first_block_prints_is_in_its_figure(tmp_path, svg_reader, block) -> None:
    printed = NUMBER.findall(block.printed)
    assert len(printed) == 5, block.printed  # o, δx1, δw1, δx2, δw2
    svg_path, png_path = readme_figure.main([str(tmp_path)])
    assert (svg_path.name, png_path.name) == ("neuron.svg", "neuron.png")
    assert png_path.read_bytes().startswith(b"\x89PNG")
    texts = _figure_numbers(svg_path.read_text(encoding="utf-8"), svg_reader)
    # the print line names what it prints: o.data, then x1.grad, w1.grad, x2.grad, w2.grad
    shown = [texts["o"][0], *(texts[name][1] for name in ("x1", "w1", "x2", "w2"))]
    assert shown == [f"data {printed[0]}", *(f"δ {number}" for number in printed[1:])]
    assert texts["n"] == ["data 0.8814", "δ 0.5000"]  # the lecture's numbers: tanh' = 1 - o² = 0.5
    items = svg_reader(svg_path.read_text(encoding="utf-8"))
    edge_labels = [t for n in items["node"] if n.title.startswith("d") for t in n.texts]  # label nodes on edges
    assert "∂=0.5000" in edge_labels


def test_the_stored_figure_is_the_one_the_script_makes_now(tmp_path, svg_reader) -> None:
    """notebooks/figures/neuron.svg and .png hold the same nodes, numbers and size as a fresh run's."""
    svg, png = readme_figure.main([str(tmp_path)])
    stored = svg_reader((STORED / "neuron.svg").read_text(encoding="utf-8"))
    made = svg_reader(svg.read_text(encoding="utf-8"))
    assert sorted(n.texts for n in stored["node"]) == sorted(n.texts for n in made["node"])
    assert _png_size(STORED / "neuron.png") == _png_size(png)


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_runs_as_a_module_with_the_default_directory(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "viz.readme_figure"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "notebooks" / "figures" / "neuron.svg").exists()
    assert (tmp_path / "notebooks" / "figures" / "neuron.png").exists()


def test_a_readme_without_a_drawing_last_line_is_refused(tmp_path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# x\n\n```python\nprint(1)\n```\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"must end with viz.draw_graph\(root, \.\.\.\)"):
        readme_figure.run_first_block(readme)
    with pytest.raises(FileNotFoundError, match="run it from a deltagrad checkout"):
        readme_figure.run_first_block(tmp_path / "missing.md")
