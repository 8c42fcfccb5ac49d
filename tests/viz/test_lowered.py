"""viz.draw_graph of a compiled graph: one node per lowered step, with its matrix formula and shapes."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

import autograd
import nn
import viz
from viz.styles import STYLES


@pytest.fixture(scope="module")
def trainer(trained_784_64_10: Callable[[int], Any]) -> nn.CompiledTrainer:
    """What fit(..., compiled=True) runs for a 784-64-10 network and cross-entropy, after one batch of 32."""
    return trained_784_64_10(32)


def test_one_node_per_lowered_step_with_its_formula_and_shapes(trainer: nn.CompiledTrainer, svg_reader: Any) -> None:
    graph = viz.draw_graph(trainer)
    items = svg_reader(graph.svg())
    texts = {item.title: item.text for item in items["node"]}
    steps = trainer.graph.steps()
    assert sorted(t for t in texts if t.startswith("step") and t[4:].isdigit()) == [f"step{i}" for i in range(4)]
    assert "Z₁ = X·W₁ + b₁ 32×64 replaces 64 dot nodes" in texts["step0"]
    assert "A₁ = relu(Z₁) 32×64 replaces 64 relu nodes" in texts["step1"]
    assert "Z₂ = A₁·W₂ + b₂ 32×10 replaces 10 dot nodes" in texts["step2"]
    assert texts["step0W"] == "W₁ 784×64" and texts["step2W"] == "W₂ 64×10"
    assert texts["input0"] == "X 32×784" and texts["input1"] == "Y 32×10"
    edges = {item.title for item in items["edge"]}
    assert {"input0->step0", "step0W->step0", "step0->step1", "step1->step2", "step2->step3", "input1->step3"} <= edges
    assert len(steps) == 4 and sum(step.nodes for step in steps) == trainer.graph.n_nodes
    # the backward formulas are the op nodes' tooltips
    assert "δW₁ = Xᵀ·δZ₁" in graph.source and "δA₁ = δZ₂·W₂ᵀ" in graph.source


def test_the_scalar_pictures_colours(trainer: nn.CompiledTrainer) -> None:
    source = viz.draw_graph(trainer).source
    node = lambda name: re.search(rf"^\s*{name} \[(.*)\]$", source, re.M).group(1)  # type: ignore[union-attr]
    assert f'fillcolor="{STYLES["input"].fillcolor}"' in node("input0")
    assert f'fillcolor="{STYLES["parameter"].fillcolor}"' in node("step0W")
    assert f'fillcolor="{STYLES["op"].fillcolor}"' in node("step1")
    assert f'fillcolor="{STYLES["output"].fillcolor}"' in node("step3")  # the loss is an output of the graph


def test_it_fits_the_notebook_column(trainer: nn.CompiledTrainer) -> None:
    svg = viz.draw_graph(trainer.graph).svg()
    width = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))  # type: ignore[union-attr]
    assert width * 96 / 72 <= 900.5


def test_constants_and_gathered_operands_are_drawn(svg_reader: Any) -> None:
    w = autograd.Value(0.5, label="w")
    graph = autograd.compile(lambda x: [(x[0] * w + 2.0).tanh(), autograd.logsumexp([x[0], x[1]])], 2)
    drawing = viz.draw_graph(graph, width=None)
    source, texts = drawing.source, " ".join(item.text for item in svg_reader(drawing.svg())["node"])
    assert "V₁ = mul(X[:, 0], θ)" in texts and "logsumexp_rows(X)" in texts
    assert f'fillcolor="{STYLES["constant"].fillcolor}"' in source  # the 2.0
    assert "\tsize=" not in source  # width=None: natural size
