"""``python -m viz.demo`` draws a trained network: the demo sits above nn and viz."""

from __future__ import annotations

import nn
from viz import demo


def test_demo_draws_the_neuron_the_network_and_the_boundary(tmp_path, svg_reader):
    X, y = nn.moons(20, noise=0.1, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    paths = demo.draw(model, X, 2 * y - 1, tmp_path)
    assert [p.name for p in paths] == ["neuron.svg", "network.svg", "decision_boundary.png"]
    network = svg_reader(paths[1].read_text(encoding="utf-8"))
    assert sum(c.title.startswith("cluster_neuron") for c in network["cluster"]) == 4 + 1
    assert all(p.grad == 0.0 for p in model.parameters())  # the demo leaves the model's gradients cleared


def test_nn_no_longer_imports_viz():
    import ast
    from pathlib import Path

    for path in Path(nn.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert "viz" not in imported, path
