"""MNIST with the compiled batch mode, against a hand-written numpy backprop (issue 7's bars).

Measured in one run (conventions of :mod:`benchmarks._harness`):

1. one epoch of an MLP(784, [64, 10]) (ReLU, softmax cross-entropy, SGD with momentum) over 60,000 samples with
   ``nn.fit(..., compiled=True)``, tracing included. Bar: under 60 s. Without the MNIST files the data are synthetic,
   of MNIST's shape: ten random prototype images in [0, 1] plus pixel noise, so that training visibly learns;
2. one training step of the same network on the same batch: compiled (a step of :class:`nn.CompiledTrainer`, as
   ``nn.fit(compiled=True)`` runs it: traced forward and backward, then ``nn.SGD.update`` on the parameters held
   as arrays) against the lectures' matrix backprop written in numpy (Z = XW + b, δZ = Ŷ − Y, δW = Xᵀ·δZ,
   W ← W − α·δW), after checking that both give the same gradients, at the training batch size and larger ones.
   Bar: within 5x. Also printed: the once-per-epoch cost of writing the 50,890 parameters and gradients back into
   their Values (``sync``), which ``fit`` pays after every epoch, not every step. These step times are wall-clock,
   the two sides interleaved, without a forced ``gc.collect()`` (neither side makes reference cycles): numpy runs
   its matrix products on both cores, and CPU time would count its BLAS threads' spin-waiting as work;
3. digits 8×8 (scikit-learn's, offline), MLP(64, [32, 10]) trained compiled. Bar: ≥ 96% test accuracy in < 30 s.

With the real MNIST IDX files (``--mnist DIR`` or the environment variable ``DELTAGRAD_MNIST=DIR``), section 1 trains
``--epochs`` epochs (default 10) on the 60,000 training images and reports the test accuracy. Bar: ≥ 97%.

Run: ``python -m benchmarks mnist`` or ``python -m benchmarks.bench_mnist [--mnist DIR] [--epochs N]``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import nn

from . import bench_digits
from ._harness import environment, median, ratio, settle, table, time_calls, verdict

SEED = 0
BATCH_SIZE = 256
LEARNING_RATE = 0.05
MOMENTUM = 0.9
N_TRAIN, N_TEST, N_FEATURES, N_CLASSES = 60_000, 10_000, 784, 10
STEP_REPEATS = 20
STEP_BATCHES = (BATCH_SIZE, 1024, 4096)


def synthetic_mnist(n_train: int, n_test: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST-shaped ``X_train, X_test, y_train, y_test``: one of ten random prototype images each, plus noise."""
    rng = np.random.default_rng(SEED)
    prototypes = rng.random((N_CLASSES, N_FEATURES))
    y = rng.integers(0, N_CLASSES, n_train + n_test)
    X = 0.2 * prototypes[y] + 0.8 * rng.random((len(y), N_FEATURES))
    return X[:n_train], X[n_train:], y[:n_train], y[n_train:]


def mnist_model() -> nn.MLP:
    return nn.MLP(N_FEATURES, [64, N_CLASSES], activation="relu", init="he", seed=SEED)


# ---------------------------------------------------------------------------- 1. an epoch
def train_epochs(X: np.ndarray, y: np.ndarray, epochs: int) -> tuple[nn.MLP, float, float]:
    """(model, seconds, last epoch's training accuracy) for ``epochs`` compiled epochs."""
    model = mnist_model()
    optimizer = nn.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    start = time.perf_counter()
    history = nn.fit(
        model,
        X,
        y,
        loss="cross_entropy",
        optimizer=optimizer,
        epochs=epochs,
        batch_size=BATCH_SIZE,
        seed=SEED,
        progress=False,
        compiled=True,
    )
    return model, time.perf_counter() - start, history.accuracy[-1]


# ---------------------------------------------------------------------------- 2. one step vs numpy
class NumpyMLP:
    """The same 784-64-10 network as matrices, trained by the lectures' backprop (rows are samples)."""

    def __init__(self, model: nn.MLP) -> None:
        (W1, b1), (W2, b2) = [
            (np.array([[w.data for w in n.w] for n in layer.neurons]).T, np.array([n.b.data for n in layer.neurons]))
            for layer in model.layers
        ]
        self.params = [W1, b1, W2, b2]

    def gradients(self, X: np.ndarray, Y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        """Mean softmax cross-entropy J and [δW1, δb1, δW2, δb2]: δZ2 = (Ŷ − Y)/m, δW = Xᵀ·δZ, δZ1 = δA1 ⊙ [Z1 > 0]."""
        W1, b1, W2, b2 = self.params
        Z1 = X @ W1 + b1
        A1 = np.maximum(Z1, 0.0)
        Z2 = A1 @ W2 + b2
        shifted = Z2 - Z2.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        m = len(X)
        J = -float((Y * log_probs).sum()) / m
        dZ2 = (np.exp(log_probs) - Y) / m
        dZ1 = (dZ2 @ W2.T) * (Z1 > 0.0)
        return J, [X.T @ dZ1, dZ1.sum(axis=0), A1.T @ dZ2, dZ2.sum(axis=0)]

    def step(self, X: np.ndarray, Y: np.ndarray) -> None:
        """One gradient-descent step, the slides' update W ← W − α·δW."""
        _, grads = self.gradients(X, Y)
        for p, g in zip(self.params, grads):
            p -= LEARNING_RATE * g


class CompiledStep:
    """The compiled counterpart: :class:`nn.CompiledTrainer`, what ``nn.fit(compiled=True)`` runs per mini-batch."""

    def __init__(self, model: nn.MLP) -> None:
        self.model = model
        example = (np.zeros((1, N_FEATURES)), np.zeros(1, dtype=int))
        self.trainer = nn.CompiledTrainer(
            model, "cross_entropy", nn.SGD(model.parameters(), lr=LEARNING_RATE), *example
        )
        self.graph = self.trainer.graph
        self.values = np.array([p.data for p in self.graph.parameters])

    def gradients(self, XY: np.ndarray) -> np.ndarray:
        """The mean loss's gradient for every parameter, as one array."""
        self.graph.forward(XY, self.values)
        seed = np.zeros((len(XY), N_CLASSES + 1))
        seed[:, -1] = 1.0 / len(XY)
        return self.graph.parameter_gradients(seed)

    def step(self, X: np.ndarray, y: np.ndarray) -> None:
        self.trainer.step(X, y)


def grads_as_matrices(model: nn.MLP) -> list[np.ndarray]:
    return [
        array
        for layer in model.layers
        for array in (
            np.array([[w.grad for w in n.w] for n in layer.neurons]).T,
            np.array([n.b.grad for n in layer.neurons]),
        )
    ]


def step_times(X: np.ndarray, y: np.ndarray, batch_size: int) -> dict[str, float]:
    """Median seconds of a compiled and a numpy step on one batch, the same network; checks equal gradients first."""
    Xb, yb = X[:batch_size], y[:batch_size]
    Yb = nn.one_hot(yb, N_CLASSES)
    XY = np.hstack([Xb, Yb])
    compiled, reference = CompiledStep(mnist_model()), NumpyMLP(mnist_model())
    compiled.step(Xb, yb)
    compiled.trainer.sync()  # the Parameters now hold this batch's gradients (at the initial weights)
    _, expected = reference.gradients(Xb, Yb)
    gap = max(float(np.abs(a - b).max()) for a, b in zip(grads_as_matrices(compiled.model), expected))
    if gap > 1e-9:
        raise AssertionError(f"compiled and numpy gradients differ by {gap:.3g}")
    settle()
    wall = {"timer": time.perf_counter, "collect": False}  # numpy's BLAS threads: see the module docstring
    figures = {
        "gradient gap": gap,
        "batch of 1": median(time_calls(lambda: compiled.step(Xb[:1], yb[:1]), repeats=9, **wall)),
        "sync": median(time_calls(lambda: (compiled.step(Xb[:1], yb[:1]), compiled.trainer.sync()), repeats=9, **wall)),
    }
    pairs = [
        ("gradients", lambda: compiled.gradients(XY), lambda: reference.gradients(Xb, Yb)),
        ("training step", lambda: compiled.step(Xb, yb), lambda: reference.step(Xb, Yb)),
    ]
    for name, run_compiled, run_numpy in pairs:
        compiled_times, numpy_times = [], []
        for _ in range(STEP_REPEATS):  # interleaved, so a busy moment of the machine hits both alike
            compiled_times += time_calls(run_compiled, repeats=1, **wall)
            numpy_times += time_calls(run_numpy, repeats=1, **wall)
        figures[f"{name} compiled"] = median(compiled_times)
        figures[f"{name} numpy"] = median(numpy_times)
    return figures


# ---------------------------------------------------------------------------- 3. digits
DIGITS_EPOCHS, DIGITS_LR = 40, 3e-3  # the network, split, batch and seed of bench_digits


# ---------------------------------------------------------------------------- report
def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_mnist", description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", default=os.environ.get("DELTAGRAD_MNIST"), help="folder with the MNIST IDX files")
    parser.add_argument("--epochs", type=int, default=10, help="epochs on real MNIST (synthetic data: always 1)")
    args = parser.parse_args(argv)
    print(environment())
    if args.mnist:
        X, X_test, y, y_test = nn.data.mnist(args.mnist)
        source, epochs = f"MNIST from {args.mnist}", args.epochs
    else:
        X, X_test, y, y_test = synthetic_mnist(N_TRAIN, N_TEST)
        source, epochs = "synthetic MNIST-shaped data (no --mnist DIR given)", 1
    settle()
    model, seconds, train_accuracy = train_epochs(X, y, epochs)
    test_accuracy = nn.accuracy(model, X_test, y_test, compiled=True)
    per_epoch = seconds / max(epochs, 1)
    print(f"\n1. MLP(784, [64, 10]) compiled, {source}: {epochs} epoch(s) of {len(y)} samples, batch {BATCH_SIZE}")
    accuracy_bar = [">= 97%", verdict(test_accuracy >= 0.97)] if args.mnist else ["(real MNIST only)", ""]
    print(
        table(
            ["figure", "value", "bar", ""],
            [
                ["seconds per epoch (tracing included)", f"{per_epoch:.1f}", "< 60", verdict(per_epoch < 60)],
                ["training accuracy (last epoch)", f"{train_accuracy:.2%}", "", ""],
                ["test accuracy", f"{test_accuracy:.2%}", *accuracy_bar],
            ],
        )
    )

    print("\n2. one step of the same network on the same batch, compiled vs numpy matrix backprop (median ms)")
    rows, results = [], {"seconds_per_epoch": per_epoch, "test_accuracy": test_accuracy}
    for batch_size in STEP_BATCHES:
        t = step_times(X, y, batch_size)
        for name in ("gradients", "training step"):
            r = t[f"{name} compiled"] / t[f"{name} numpy"]
            results[f"{name} ratio at {batch_size}"] = r
            rows.append(
                [
                    f"{name}, batch {batch_size}" + (" (training batch)" if batch_size == BATCH_SIZE else ""),
                    f"{t[f'{name} compiled'] * 1e3:.2f}",
                    f"{t[f'{name} numpy'] * 1e3:.2f}",
                    ratio(r),
                    "<= 5x" if name == "training step" else "",
                    verdict(r <= 5) if name == "training step" else "",
                ]
            )
        rows.append([f"  (gradients agree to {t['gradient gap']:.1e})", "", "", "", "", ""])
    print(table(["", "compiled", "numpy", "compiled / numpy", "bar", ""], rows))
    print(
        f"a compiled step on a batch of 1: {t['batch of 1'] * 1e3:.2f} ms; with the once-per-epoch write-back of the "
        f"50,890 Parameter Values (sync): {t['sync'] * 1e3:.2f} ms"
    )

    digits = bench_digits.train(compiled=True, epochs=DIGITS_EPOCHS, learning_rate=DIGITS_LR)
    digits_seconds, digits_accuracy = digits["seconds"], digits["test_accuracy"]
    batch = bench_digits.BATCH_SIZE
    print(f"\n3. digits 8×8, MLP(64, [32, 10]) compiled, {DIGITS_EPOCHS} epochs of Adam, batch {batch}")
    print(
        table(
            ["figure", "value", "bar", ""],
            [
                ["seconds", f"{digits_seconds:.1f}", "< 30", verdict(digits_seconds < 30)],
                ["test accuracy", f"{digits_accuracy:.2%}", ">= 96%", verdict(digits_accuracy >= 0.96)],
            ],
        )
    )
    results.update({"digits_seconds": digits_seconds, "digits_accuracy": digits_accuracy})
    return results


if __name__ == "__main__":
    main()
