"""Habits from PyTorch and micrograd that work on nn's models (issue 23, item 8)."""

from __future__ import annotations

import random

import nn


def test_zero_grad_takes_pytorchs_set_to_none() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    optimizer = nn.SGD(model.parameters(), lr=0.1)
    for zero_grad in (
        lambda: model.zero_grad(set_to_none=True),
        lambda: model.zero_grad(set_to_none=False),
        lambda: model.zero_grad(True),
        lambda: optimizer.zero_grad(set_to_none=True),
        lambda: optimizer.zero_grad(False),
    ):
        model([0.5, -1.0]).backward()
        assert any(p.grad != 0.0 for p in model.parameters())
        zero_grad()
        assert all(p.grad == 0.0 for p in model.parameters())  # a float: None would break p.data -= lr * p.grad


def _run() -> tuple[dict[str, float], list[float]]:
    """micrograd's demo, unseeded: data, model and training shuffles drawn with no seed= anywhere."""
    X, y = nn.data.moons(40, noise=0.1)
    model = nn.MLP(2, [8, 1], activation="tanh")
    history = nn.fit(model, X, 2 * y - 1, loss="hinge", epochs=3, batch_size=8, progress=False)
    return model.state_dict(), history.loss


def test_random_seed_reproduces_an_unseeded_run_as_in_micrograd() -> None:
    random.seed(1337)
    first = _run()
    assert _run() != first  # the global state moved on: other numbers
    random.seed(1337)
    assert _run() == first
    assert nn.MLP(2, [3, 1]).state_dict() != nn.MLP(2, [3, 1]).state_dict()


def test_repeated_backward_over_a_shared_node_gives_the_true_gradient_where_micrograd_counts_twice() -> None:
    """The README's first stated difference from micrograd, with its numbers: h = x², then (3h).backward() and
    (h + 1).backward() at x = 2. The true accumulated gradient is 6x + 2x = 16 (PyTorch with retain_graph)."""
    import torch
    from micrograd.engine import Value as MicrogradValue

    from autograd import Value

    results = {}
    for name, make in (("deltagrad", Value), ("micrograd", MicrogradValue)):
        x = make(2.0)
        h = x * x
        (h * 3).backward()
        (h + 1).backward()
        results[name] = x.grad
    t = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    h = t * t
    (h * 3).backward(retain_graph=True)
    (h + 1).backward()
    assert results == {"deltagrad": 16.0, "micrograd": 28.0} and t.grad.item() == 16.0
