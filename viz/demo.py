"""``python -m viz.demo`` (``make demo``): train micrograd's two-moons network and draw it.

Trains MLP(2, [16, 16, 1]) on 100 two-moons points with the hinge loss, L2
weight decay and SGD whose learning rate decays from 1.0 to 0.1 over 100 full-batch
steps, printing the loss every 10 epochs and the final accuracy. Then it writes
into ``build/demo/`` (or the folder given as argument) the graph of one trained
neuron with every node's data and δ, the whole network's graph (DOT source
instead when Graphviz is missing), and the decision boundary (with matplotlib).
It lives in ``viz`` because it uses both ``nn`` and ``viz``; ``nn`` draws nothing.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from nn import MLP, SGD, LambdaLR, accuracy, fit, moons

from .dot import draw_graph
from .graph import GraphvizNotFoundError
from .plots import plot_decision_boundary
from .render import save

EPOCHS = 100
DEFAULT_OUTDIR = Path("build/demo")


def train(seed: int = 0) -> tuple[MLP, np.ndarray, np.ndarray]:
    """MLP(2, [16, 16, 1]) trained on 100 moons with the hinge loss and SGD (lr 1 → 0.1); the model, X, ±1 labels."""
    X, y = moons(100, noise=0.1, seed=seed)
    labels = 2 * y - 1  # the hinge loss wants -1/+1
    model = MLP(2, [16, 16, 1], activation="relu", seed=seed)
    print(model)
    optimizer = SGD(model.parameters(), lr=1.0, weight_decay=1e-4)
    schedule = LambdaLR(optimizer, lambda epoch: 1.0 - 0.9 * epoch / EPOCHS)

    def report(epoch: int, logs: dict[str, float]) -> None:
        if epoch % 10 == 0 or epoch == EPOCHS - 1:
            print(f"epoch {epoch:3d}  loss {logs['loss']:.4f}  accuracy {logs['accuracy']:.0%}  lr {logs['lr']:.3f}")

    start = time.perf_counter()
    fit(
        model,
        X,
        labels,
        loss="hinge",
        optimizer=optimizer,
        scheduler=schedule,
        epochs=EPOCHS,
        callbacks=[report],
        progress=False,
    )
    print(f"trained in {time.perf_counter() - start:.1f} s; final accuracy {accuracy(model, X, labels):.0%}")
    return model, X, labels


def draw(model: MLP, X: np.ndarray, labels: np.ndarray, outdir: Path) -> list[Path]:
    """Write the pictures; skip (saying why) what the environment cannot draw."""
    written = []
    neuron = model.layers[0].neurons[0]
    active = next((x for x in X if neuron(x).data > 0.0), X[0])  # a sample where δ flows through the ReLU
    for name, make in (("neuron.svg", lambda: neuron(active)), ("network.svg", lambda: model(active))):
        model.zero_grad()
        root = make()
        root.backward()
        graph = draw_graph(root, show_local_grads=name == "neuron.svg")
        try:
            written.append(save(graph, outdir / name))
        except GraphvizNotFoundError as e:
            written.append(save(graph, outdir / name.replace(".svg", ".dot")))
            print(f"Graphviz's dot is missing, wrote DOT source instead ({e})")
    model.zero_grad()
    try:
        import matplotlib

        matplotlib.use("Agg")
        ax = plot_decision_boundary(model, X, labels)
        path = outdir / "decision_boundary.png"
        ax.figure.savefig(path, dpi=100, bbox_inches="tight")
        written.append(path)
    except ImportError:
        print("skipping the decision boundary: matplotlib is not installed (pip install deltagrad[plot])")
    return written


def main(argv: list[str] | None = None) -> None:
    """``python -m viz.demo [outdir]``: train, print the progress, write the pictures (default ``build/demo``)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1:
        raise SystemExit("usage: python -m viz.demo [outdir]")
    model, X, labels = train()
    for path in draw(model, X, labels, Path(args[0]) if args else DEFAULT_OUTDIR):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
