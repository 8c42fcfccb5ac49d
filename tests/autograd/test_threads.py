"""Backward passes from several threads over graphs that share nodes give the gradients of running them in turn.

Each pass keeps its own δ (the fast pass in the nodes' ``_delta`` slots, any pass running meanwhile in a dict of
its own) and only adding into ``.grad`` takes a lock: passes run at the same time, forward computations do not wait.
The switch interval is shortened here so that threads really do interleave inside passes.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

import autograd
import nn
from autograd import Value

torch = pytest.importorskip("torch")

SCALE = int(os.environ.get("DELTAGRAD_FUZZ_EXAMPLES", "1"))  # make fuzz: many more calls
CALLS = 240 * SCALE  # >= 200 concurrent backward calls, the bar
THREADS = 8


@pytest.fixture(autouse=True)
def interleaving() -> Iterator[None]:
    """Switch threads every microsecond (the default is 5 ms) so passes overlap whenever they can."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def in_threads(task: Callable[[int], Any], n: int = CALLS) -> list[Any]:
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(task, range(n)))


@pytest.fixture
def problem() -> tuple[nn.MLP, np.ndarray, np.ndarray]:
    X, y = nn.moons(24, noise=0.1, seed=3)
    return nn.MLP(2, [8, 8, 1], activation="tanh", seed=5), X, 2.0 * y - 1.0


def batch_loss(model: nn.MLP, X: np.ndarray, y: np.ndarray, i: int) -> Value:
    """The hinge loss of one of four quarters of the batch, chosen by i (calls share every parameter)."""
    rows = range(i % 4, len(X), 4)
    return autograd.sum([(1.0 - float(y[r]) * model(X[r])).relu() for r in rows])


def torch_gradients(model: nn.MLP, X: np.ndarray, y: np.ndarray, calls: int) -> np.ndarray:
    """Σ over the calls of ∂(quarter loss)/∂parameters, computed by torch from the same weights."""
    params = [torch.tensor(p.data, dtype=torch.float64, requires_grad=True) for p in model.parameters()]
    state = {name: t for (name, _), t in zip(model.named_parameters(), params)}
    total = 0.0
    for i in range(calls):
        loss = 0.0
        for r in range(i % 4, len(X), 4):
            h = [torch.tensor(float(v), dtype=torch.float64) for v in X[r]]
            for k, layer in enumerate(model.layers):
                h = [
                    sum(state[f"layers.{k}.neurons.{j}.w.{m}"] * h[m] for m in range(len(h)))
                    + state[f"layers.{k}.neurons.{j}.b"]
                    for j in range(layer.nout)
                ]
                if k < len(model.layers) - 1:
                    h = [t.tanh() for t in h]
            loss = loss + (1.0 - float(y[r]) * h[0]).relu()
        total = total + loss
    total.backward()
    return np.array([t.grad.item() for t in params])


def test_concurrent_backward_calls_on_a_shared_model_match_sequential_and_torch(problem) -> None:
    model, X, y = problem
    params = model.parameters()

    def one_call(i: int) -> None:
        batch_loss(model, X, y, i).backward()

    model.zero_grad()
    for i in range(CALLS):
        one_call(i)
    sequential = np.array([p.grad for p in params])

    model.zero_grad()
    in_threads(one_call)
    concurrent = np.array([p.grad for p in params])

    np.testing.assert_allclose(concurrent, sequential, rtol=1e-12, atol=1e-12)  # only the order of + differs
    np.testing.assert_allclose(concurrent, torch_gradients(model, X, y, CALLS), rtol=1e-9, atol=1e-9)


def test_concurrent_grad_calls_on_a_shared_leaf_equal_the_sequential_ones_exactly() -> None:
    """issue 15: autograd.grad from two threads with a shared Value raised TypeError inside backprop."""
    shared = Value(0.7)

    def f(i: int) -> Callable[[Value], Value]:
        return lambda x: autograd.sum([(x * shared + 0.1 * k).tanh() * (x - shared) for k in range(i % 7 + 3)])

    def one_call(i: int) -> float:
        return autograd.grad(f(i))(0.3 + 0.01 * i)

    expected = [one_call(i) for i in range(CALLS)]
    assert in_threads(one_call) == expected


def test_concurrent_hessians_and_gradchecks() -> None:
    shared = Value(-0.4)

    def f(a: Value, b: Value) -> Value:
        return (a * b * shared).sin() + (a - shared).exp() * b

    def hessian(i: int) -> np.ndarray:
        return autograd.hessian(f)(0.1 * (i % 9), 0.5)

    expected = [hessian(i) for i in range(64)]
    for got, want in zip(in_threads(hessian, 64), expected):
        np.testing.assert_array_equal(got, want)
    assert all(in_threads(lambda i: autograd.gradcheck(f, [0.1 * (i % 5), 0.7]), 64))


def test_concurrent_create_graph_backward_accumulates_every_pass() -> None:
    x = Value(0.9)

    def one_call(i: int) -> None:
        (x * x * x).backward(create_graph=True)

    in_threads(one_call, 48)
    assert x.grad == pytest.approx(48 * 3 * 0.81, rel=1e-12)
    assert x.grad_value is not None and x.grad_value.data == pytest.approx(x.grad, rel=1e-12)


def test_concurrent_passes_that_nest_passes_match_sequential(restore_ops: None) -> None:
    """issue 23: each backward runs a registered op whose derivative differentiates nodes every thread shares
    (a nested autograd.grad, and a backward in a thread it joins); the totals equal running the calls in turn."""
    shared = Value(0.4, label="shared")
    probe = (shared * shared).sin()

    def derivative(x: Any, out: Any) -> Any:
        (g,) = autograd.grad(probe, [shared])  # nested pass over shared nodes
        worker = threading.Thread(target=lambda: (shared * 0.0 + 1.0).backward())  # adds 0 into shared.grad
        worker.start()
        worker.join()
        return math.cos(x) * (1.0 + 0.0 * g.data)

    sin = autograd.register_op("nested_sin", math.sin, derivative)

    def one_call(i: int) -> None:
        (sin(shared * (1.0 + 0.01 * (i % 5))) + probe).backward()

    shared.grad = 0.0
    for i in range(CALLS // 4):
        one_call(i)
    sequential = shared.grad
    shared.grad = 0.0
    in_threads(one_call, CALLS // 4)
    assert shared.grad == pytest.approx(sequential, rel=1e-12)
    expected = sum(
        math.cos(0.4 * (1 + 0.01 * (i % 5))) * (1 + 0.01 * (i % 5)) + math.cos(0.16) * 0.8 for i in range(CALLS // 4)
    )
    assert sequential == pytest.approx(expected, rel=1e-12)
