"""When graphs are freed: by reference counting alone, except the one documented cycle of
``backward(create_graph=True)`` (README, "Threads, memory and the non-finite policy")."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import autograd
from autograd import Value

DEPTH = 300


@pytest.fixture
def live_values() -> Iterator[Callable[[], int]]:
    """Counts the Values alive; the cyclic collector is off, so only reference counting frees anything."""
    gc.collect()
    gc.disable()
    try:
        yield lambda: sum(issubclass(type(o), Value) for o in gc.get_objects())  # type(): no proxy lookups
    finally:
        gc.enable()


def chain(x: Any) -> Any:
    for _ in range(DEPTH):
        x = (x * 1.01).tanh() + x * 0.5
    return x


def test_first_order_backward_graphs_are_freed_by_reference_counting(live_values) -> None:
    before = live_values()
    x = Value(0.3)
    chain(x).backward()
    assert x.grad != 0.0
    del x
    assert live_values() == before


@pytest.mark.parametrize(
    "run",
    [
        lambda: autograd.grad(autograd.grad(chain))(0.3),
        lambda: autograd.hessian(lambda a, b: chain(a) * chain(b))(0.3, -0.2),
        lambda: autograd.value_and_grad(chain)(0.3),
    ],
    ids=["grad_of_grad", "hessian", "value_and_grad"],
)
def test_functional_higher_order_leaves_no_cycle(live_values, run) -> None:
    before = live_values()
    run()
    assert live_values() == before


def test_backward_create_graph_makes_the_documented_cycle_and_zero_grad_breaks_it(live_values) -> None:
    """.grad_value of a node is a graph that refers back to the node (tanh's δ rule uses its output),
    as in PyTorch: such a graph needs gc.collect(), or zero_grad() / grad_value = None, to be freed."""
    before = live_values()
    x = Value(0.3)
    y = chain(x)
    y.backward(create_graph=True)
    assert x.grad_value is not None
    y.zero_grad()
    del x, y
    assert live_values() == before

    x = Value(0.3)
    chain(x).backward(create_graph=True)
    del x
    assert live_values() > before  # the cycle, kept until the collector runs
    gc.collect()
    assert live_values() == before
