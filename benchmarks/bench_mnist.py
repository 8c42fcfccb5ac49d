"""MNIST-sized networks in the compiled batch mode, against hand-written numpy and PyTorch (issues 7 and 17).

Measured in one run (conventions of :mod:`benchmarks._harness`; times are wall clock, since numpy's and torch's
matrix products run on both cores and CPU time would count their BLAS threads' spin-waiting as work; with
``--threads 1`` every engine is single-threaded, and the times are CPU time, which the load of other processes on
a shared machine does not inflate):

1. one epoch of MLP(784, [h, 10]) for h = 64 and 256 (ReLU, softmax cross-entropy, SGD lr 0.05 with momentum 0.9,
   batch 256, 60,000 samples reshuffled per epoch), by six engines timed interleaved (one epoch of each per round,
   median over rounds): deltagrad compiled (the steps of :class:`nn.CompiledTrainer` that ``nn.fit(compiled=True)``
   runs; the trace and the ``sync`` writing the parameters back into the model are paid once per ``fit`` and
   reported in 3), the lectures'
   matrix backprop written in numpy, and PyTorch 2.13 (``F.linear``, ``F.cross_entropy``, ``torch.optim.SGD``), each
   in float64 and float32. All start from the same weights and see the same batches. Bars: compiled f64 within
   1.5x of numpy f64 and no slower than torch f64; compiled f32 within 1.5x of torch f32;
2. ``nn.predict(model, X, compiled=True)`` on 10,000 rows (trace cached by the first call) against torch f64
   inference under ``no_grad``. Bar: within 2x;
3. building ``nn.MLP(784, [256, 10])`` and tracing it (``autograd.compile``; and the model plus cross-entropy, as
   ``fit`` traces it), in CPU time (single-threaded work), and ``fit``'s closing ``sync``. Bar: under 0.3 s each
   (building and tracing);
4. the gradients of one batch: compiled f64 against the numpy backprop (must agree to 1e-9), and f32 against f64;
5. digits 8×8 (scikit-learn's, offline), MLP(64, [32, 10]) trained compiled. Bar: ≥ 96% test accuracy in < 30 s.

Without the MNIST files the data are synthetic, of MNIST's shape: ten random prototype images in [0, 1] plus pixel
noise, so that training visibly learns. With the real IDX files (``--mnist DIR`` or ``DELTAGRAD_MNIST=DIR``),
MLP(784, [256, 10]) also trains ``--epochs`` epochs (default 10) compiled and reports its test accuracy and
training time. Bar: ≥ 97.5% in under 30 s.

Run: ``python -m benchmarks mnist`` or ``python -m benchmarks.bench_mnist [--mnist DIR] [--epochs N] [--rounds N]
[--threads N]`` (``--threads`` limits numpy's BLAS and torch alike, for a machine busy with other work).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any, TypedDict

import numpy as np

import autograd
import nn

from . import bench_digits
from ._harness import clock, environment, median, ratio, settle, table, time_interleaved, verdict

SEED = 0
BATCH_SIZE = 256
LEARNING_RATE = 0.05
MOMENTUM = 0.9
N_TRAIN, N_TEST, N_FEATURES, N_CLASSES = 60_000, 10_000, 784, 10
HIDDEN = (64, 256)
ROUNDS = 3


class Timing(TypedDict):
    """The keyword arguments of :func:`time_interleaved` that every timing here passes."""

    timer: Callable[[], float]
    collect: bool


# wall clock; CPU time with --threads 1 (module docstring)
TIMING: Timing = {"timer": time.perf_counter, "collect": False}


def synthetic_mnist(n_train: int, n_test: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST-shaped ``X_train, X_test, y_train, y_test``: one of ten random prototype images each, plus noise."""
    rng = np.random.default_rng(SEED)
    prototypes = rng.random((N_CLASSES, N_FEATURES))
    y = rng.integers(0, N_CLASSES, n_train + n_test)
    X = 0.2 * prototypes[y] + 0.8 * rng.random((len(y), N_FEATURES))
    return X[:n_train], X[n_train:], y[:n_train], y[n_train:]


def mnist_model(hidden: int) -> nn.MLP:
    return nn.MLP(N_FEATURES, [hidden, N_CLASSES], activation="relu", init="he", seed=SEED)


def matrices(model: nn.MLP) -> list[np.ndarray]:
    """[W1, b1, W2, b2] of a deltagrad MLP, W of shape (fan_out, fan_in) as torch's ``F.linear`` takes it."""
    return [
        array
        for layer in model.layers
        for array in (
            np.array([[w.data for w in n.w] for n in layer.neurons]),
            np.array([n.b.data for n in layer.neurons]),
        )
    ]


def epoch_orders(n: int) -> Callable[[int], np.ndarray]:
    """``order(engine)``: that engine's next permutation of the samples; every engine sees the same sequence."""
    rngs: dict[int, np.random.Generator] = {}

    def order(engine: int) -> np.ndarray:
        return rngs.setdefault(engine, np.random.default_rng(SEED)).permutation(n)

    return order


# ---------------------------------------------------------------------------- the engines
class NumpyMLP:
    """The 784-h-10 network as matrices, trained by the lectures' backprop (rows are samples)."""

    def __init__(self, model: nn.MLP, dtype: Any) -> None:
        W1, b1, W2, b2 = matrices(model)
        self.params = [a.astype(dtype) for a in (W1.T.copy(), b1, W2.T.copy(), b2)]
        self.velocity = [np.zeros_like(p) for p in self.params]
        self.dtype = dtype

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

    def epoch(self, X: np.ndarray, y: np.ndarray, order: np.ndarray) -> None:
        """SGD with momentum (PyTorch's form: v ← μv + δw, w ← w − αv) over the batches of ``order``."""
        eye = np.eye(N_CLASSES, dtype=self.dtype)
        for start in range(0, len(order), BATCH_SIZE):
            idx = order[start : start + BATCH_SIZE]
            _, grads = self.gradients(X[idx], eye[y[idx]])
            for p, v, g in zip(self.params, self.velocity, grads):
                v *= MOMENTUM
                v += g
                p -= LEARNING_RATE * v


class TorchMLP:
    """The same network in PyTorch: ``F.linear`` layers, ``F.cross_entropy``, ``torch.optim.SGD`` with momentum."""

    def __init__(self, model: nn.MLP, dtype: Any) -> None:
        import torch

        self.torch = torch
        self.F = torch.nn.functional
        self.params = [torch.tensor(a, dtype=dtype, requires_grad=True) for a in matrices(model)]
        self.optimizer = torch.optim.SGD(self.params, lr=LEARNING_RATE, momentum=MOMENTUM)

    def forward(self, x: Any) -> Any:
        W1, b1, W2, b2 = self.params
        return self.F.linear(self.F.relu(self.F.linear(x, W1, b1)), W2, b2)

    def epoch(self, X: Any, y: Any, order: np.ndarray) -> None:
        index = self.torch.from_numpy(order)
        for start in range(0, len(order), BATCH_SIZE):
            idx = index[start : start + BATCH_SIZE]
            loss = self.F.cross_entropy(self.forward(X[idx]), y[idx])
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    def predict(self, X: Any) -> Any:
        with self.torch.no_grad():
            return self.forward(X)


class CompiledMLP:
    """deltagrad compiled: what ``nn.fit(compiled=True)`` runs per epoch (the trainer's steps; ``fit`` writes the
    parameters back into the model once, when training ends: see :func:`build_times`)."""

    def __init__(self, hidden: int, dtype: Any) -> None:
        self.model = mnist_model(hidden)
        self.optimizer = nn.SGD(self.model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
        example = (np.zeros((1, N_FEATURES)), np.zeros(1, dtype=int))
        self.trainer = nn.CompiledTrainer(self.model, "cross_entropy", self.optimizer, *example, dtype=dtype)

    def epoch(self, X: np.ndarray, y: np.ndarray, order: np.ndarray) -> None:
        for start in range(0, len(order), BATCH_SIZE):
            idx = order[start : start + BATCH_SIZE]
            self.trainer.step(X[idx], y[idx], checked=True)  # as fit steps: its dataset is tested once per call


# ---------------------------------------------------------------------------- 1. epochs
ENGINES = ["deltagrad f64", "numpy f64", "torch f64", "deltagrad f32", "numpy f32", "torch f32"]


def epoch_run(
    engine: CompiledMLP | NumpyMLP | TorchMLP, X: Any, y: Any, order: Callable[[int], np.ndarray], i: int
) -> Callable[[], None]:
    """A call without arguments (what :func:`time_interleaved` times): one epoch of ``engine`` on ``X, y``, in
    engine ``i``'s next permutation of the samples (drawn when the call runs)."""
    return lambda: engine.epoch(X, y, order(i))


def epoch_times(X: np.ndarray, y: np.ndarray, hidden: int, rounds: int) -> dict[str, float]:
    """Median wall-clock seconds of one epoch for each engine (interleaved rounds, one warm-up epoch each)."""
    import torch

    data = {np.float64: X, np.float32: X.astype(np.float32)}
    tensors = {np.float64: torch.from_numpy(data[np.float64]), np.float32: torch.from_numpy(data[np.float32])}
    labels = torch.from_numpy(y)
    model = mnist_model(hidden)
    order = epoch_orders(len(y))
    runs: dict[str, Callable[[], None]] = {}
    for i, name in enumerate(ENGINES):
        dtype = np.float64 if name.endswith("64") else np.float32
        if name.startswith("deltagrad"):
            runs[name] = epoch_run(CompiledMLP(hidden, dtype), data[dtype], y, order, i)
        elif name.startswith("numpy"):
            runs[name] = epoch_run(NumpyMLP(model, dtype), data[dtype], y, order, i)
        else:
            torch_dtype = torch.float64 if dtype is np.float64 else torch.float32
            runs[name] = epoch_run(TorchMLP(model, torch_dtype), tensors[dtype], labels, order, i)
    times = time_interleaved(runs, repeats=rounds, **TIMING)
    return {name: median(t) for name, t in times.items()}


# ---------------------------------------------------------------------------- 2. predict
def predict_times(X_test: np.ndarray, hidden: int, rounds: int) -> dict[str, float]:
    import torch

    model = mnist_model(hidden)
    reference = TorchMLP(model, torch.float64)
    x = torch.from_numpy(X_test)
    start = time.perf_counter()
    first = nn.predict(model, X_test, compiled=True)
    first_call = time.perf_counter() - start
    gap = float(np.abs(first - reference.predict(x).numpy()).max())
    if gap > 1e-9:
        raise AssertionError(f"compiled predict and torch differ by {gap:.3g}")
    times = time_interleaved(
        {"deltagrad": lambda: nn.predict(model, X_test, compiled=True), "torch": lambda: reference.predict(x)},
        repeats=max(5, 2 * rounds),
        **TIMING,
    )
    return {"first call": first_call, "gap": gap, **{k: median(v) for k, v in times.items()}}


# ---------------------------------------------------------------------------- 3. construction and tracing
def build_times(hidden: int) -> dict[str, float]:
    """CPU seconds (single-threaded work) of building the model, tracing it, tracing it with its loss, and the
    ``sync`` that ends a compiled ``fit`` (the trained values and gradients written into the Parameters)."""
    start = clock()
    model = mnist_model(hidden)
    built = clock()
    autograd.compile(model, N_FEATURES)
    traced = clock()
    optimizer = nn.SGD(model.parameters(), lr=0.1)
    example = np.zeros((1, N_FEATURES)), np.zeros(1, int)
    before_trainer = clock()
    trainer = nn.CompiledTrainer(model, "cross_entropy", optimizer, *example)
    with_loss = clock()
    trainer.step(*example)
    before_sync = clock()
    trainer.sync()
    synced = clock()
    return {
        "build": built - start,
        "trace": traced - built,
        "trace with loss": with_loss - before_trainer,
        "sync": synced - before_sync,
    }


# ---------------------------------------------------------------------------- 4. gradients agree
def gradient_gaps(X: np.ndarray, y: np.ndarray, hidden: int) -> tuple[float, float]:
    """(max |compiled f64 − numpy f64|, max relative |f32 − f64|) of one batch's parameter gradients."""
    Xb, yb = X[:BATCH_SIZE], y[:BATCH_SIZE]
    reference = NumpyMLP(mnist_model(hidden), np.float64)
    _, (dW1, db1, dW2, db2) = reference.gradients(Xb, nn.one_hot(yb, N_CLASSES))
    expected = np.concatenate([np.column_stack([dW, db]).ravel() for dW, db in ((dW1.T, db1), (dW2.T, db2))])
    found = {}
    for dtype in (np.float64, np.float32):
        compiled = CompiledMLP(hidden, dtype)
        graph = compiled.trainer.graph
        graph.forward((Xb, nn.one_hot(yb, N_CLASSES)))
        seed = np.zeros((len(yb), N_CLASSES + 1))
        seed[:, -1] = 1.0 / len(yb)
        found[dtype] = graph.parameter_gradients(seed).astype(np.float64)
    gap = float(np.abs(found[np.float64] - expected).max())
    if gap > 1e-9:
        raise AssertionError(f"compiled and numpy gradients differ by {gap:.3g}")
    scale = float(np.abs(expected).max())
    return gap, float(np.abs(found[np.float32] - found[np.float64]).max()) / scale


# ---------------------------------------------------------------------------- 5. real MNIST
def train_real_mnist(directory: str, epochs: int) -> tuple[float, float, int]:
    """(seconds of training, test accuracy, training samples) of MLP(784, [256, 10]) trained compiled on the
    IDX files in ``directory`` (read by :func:`nn.data.mnist`; reading is not counted as training)."""
    X, X_test, y, y_test = nn.data.mnist(directory)
    model = mnist_model(256)
    start = time.perf_counter()
    nn.fit(
        model,
        X,
        y,
        loss="cross_entropy",
        optimizer=nn.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM),
        epochs=epochs,
        batch_size=BATCH_SIZE,
        seed=SEED,
        progress=False,
        compiled=True,
    )
    return time.perf_counter() - start, nn.accuracy(model, X_test, y_test, compiled=True), len(y)


DIGITS_EPOCHS, DIGITS_LR = 40, 3e-3  # the network, split, batch and seed of bench_digits


# ---------------------------------------------------------------------------- report
def _timer_name() -> str:
    return "CPU time" if TIMING["timer"] is clock else "wall clock"


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_mnist", description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", default=os.environ.get("DELTAGRAD_MNIST"), help="folder with the MNIST IDX files")
    parser.add_argument("--epochs", type=int, default=10, help="epochs of training on real MNIST")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="interleaved rounds per timing")
    parser.add_argument(
        "--threads", type=int, default=None, help="BLAS and torch threads for every engine (default: as installed)"
    )
    args = parser.parse_args(argv)
    print(environment())
    if args.threads is not None:  # on a machine loaded by other work, spinning BLAS threads distort every figure
        import threadpoolctl
        import torch

        threadpoolctl.threadpool_limits(args.threads)
        torch.set_num_threads(args.threads)
        if args.threads == 1:
            TIMING["timer"] = clock
        print(f"BLAS and torch limited to {args.threads} thread(s); times are {_timer_name()}")
    X, X_test, y, y_test = synthetic_mnist(N_TRAIN, N_TEST)
    print(f"synthetic MNIST-shaped data: {len(y)} training and {len(y_test)} test samples")
    settle()
    results: dict[str, float] = {}

    print(f"\n1. one epoch (60,000 samples, batch {BATCH_SIZE}, SGD with momentum), median seconds ({_timer_name()})")
    rows = []
    for hidden in HIDDEN:
        t = epoch_times(X, y, hidden, args.rounds)
        bars = [
            ("deltagrad f64 / numpy f64", t["deltagrad f64"] / t["numpy f64"], 1.5),
            ("deltagrad f64 / torch f64", t["deltagrad f64"] / t["torch f64"], 1.0),
            ("deltagrad f32 / torch f32", t["deltagrad f32"] / t["torch f32"], 1.5),
        ]
        rows.append([f"784-{hidden}-10", *(f"{t[name]:.2f}" for name in ENGINES)])
        for name, r, bar in bars:
            rows.append([f"  {name}", ratio(r), f"<= {bar}x", verdict(r <= bar), "", "", ""])
            results[f"{hidden}: {name}"] = r
        results.update({f"{hidden}: {name} s": t[name] for name in ENGINES})
    print(table(["network", *ENGINES], rows))

    print(f"\n2. predict on 10,000 rows (trace cached by the first call), median ms ({_timer_name()})")
    rows = []
    for hidden in HIDDEN:
        p = predict_times(X_test, hidden, args.rounds)
        r = p["deltagrad"] / p["torch"]
        rows.append(
            [
                f"784-{hidden}-10",
                f"{p['deltagrad'] * 1e3:.1f}",
                f"{p['torch'] * 1e3:.1f}",
                ratio(r),
                "<= 2x",
                verdict(r <= 2),
                f"{p['first call'] * 1e3:.0f}",
            ]
        )
        results[f"{hidden}: predict / torch"] = r
    print(table(["network", "deltagrad", "torch f64", "ratio", "bar", "", "first call (traces)"], rows))

    print(f"\n3. building and tracing, CPU seconds, median of {args.rounds}")
    rows = []
    for hidden in HIDDEN:
        repeats = [build_times(hidden) for _ in range(args.rounds)]
        b = {key: median([r[key] for r in repeats]) for key in repeats[0]}
        met = hidden != 256 or (b["build"] < 0.3 and b["trace"] < 0.3)
        rows.append(
            [f"784-{hidden}-10", f"{b['build']:.3f}", f"{b['trace']:.3f}", f"{b['trace with loss']:.3f}"]
            + [f"{b['sync']:.3f}"]
            + (["< 0.3 each", verdict(met)] if hidden == 256 else ["", ""])
        )
        results.update({f"{hidden}: {k} s": v for k, v in b.items()})
    header = ["network", "nn.MLP(...)", "autograd.compile", "with the loss (fit)", "fit's sync", "bar", ""]
    print(table(header, rows))

    gap, f32_gap = gradient_gaps(X, y, HIDDEN[0])
    print(
        f"\n4. one batch's gradients, 784-{HIDDEN[0]}-10: compiled f64 vs numpy backprop {gap:.1e} (bar 1e-9: "
        f"{verdict(gap <= 1e-9)}); float32 vs float64, relative to the largest: {f32_gap:.1e}"
    )
    results.update({"gradient gap": gap, "float32 relative gap": f32_gap})

    if args.mnist:
        seconds, accuracy, n = train_real_mnist(args.mnist, args.epochs)
        met = accuracy >= 0.975 and seconds < 30
        print(
            f"\n5. real MNIST, 784-256-10 compiled, {args.epochs} epochs on {n} samples: {seconds:.1f} s, "
            f"test accuracy {accuracy:.2%} (bar >= 97.5% in < 30 s: {verdict(met)})"
        )
        results.update({"mnist seconds": seconds, "mnist accuracy": accuracy})
    else:
        print("\n5. real MNIST: not measured, no IDX files given (--mnist DIR or DELTAGRAD_MNIST=DIR)")

    digits = bench_digits.train(compiled=True, epochs=DIGITS_EPOCHS, learning_rate=DIGITS_LR)
    seconds, accuracy = digits["seconds"], digits["test_accuracy"]
    print(
        f"\n6. digits 8×8, MLP(64, [32, 10]) compiled, {DIGITS_EPOCHS} epochs of Adam: {seconds:.1f} s, test accuracy "
        f"{accuracy:.2%} (bar >= 96% in < 30 s: {verdict(accuracy >= 0.96 and seconds < 30)})"
    )
    results.update({"digits_seconds": seconds, "digits_accuracy": accuracy})
    return results


if __name__ == "__main__":
    main()
