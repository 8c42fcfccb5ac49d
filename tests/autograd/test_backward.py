"""The reverse pass: depth without recursion, fan-out, accumulation, zero_grad, the visiting order."""

from __future__ import annotations

import math
import sys

import pytest

import autograd
from autograd import Value


def test_million_node_chain_under_the_default_recursion_limit() -> None:
    """y = x·kᴺ with one k shared by every link: ∂y/∂x = kᴺ, and k, used N times, gets N·x·kᴺ⁻¹."""
    assert sys.getrecursionlimit() <= 10_000  # nothing raised it for us
    n = 1_000_000
    x, k = Value(1.5), Value(1.000001)
    y = x
    for _ in range(n):
        y = y * k
    y.backward()
    assert y.data == pytest.approx(1.5 * 1.000001**n, rel=1e-9)
    assert x.grad == pytest.approx(1.000001**n, rel=1e-9)
    assert k.grad == pytest.approx(n * 1.5 * 1.000001 ** (n - 1), rel=1e-9)
    y.zero_grad()
    assert x.grad == 0.0 and k.grad == 0.0


def test_deep_chain_of_unary_ops_and_its_second_derivative() -> None:
    depth = 20_000
    x = Value(0.3)
    y = x
    for _ in range(depth):
        y = -y
    y = y * y * y  # x³
    y.backward(create_graph=True)
    assert x.grad == pytest.approx(3 * 0.3**2)
    first = x.grad_value
    x.zero_grad()
    first.backward()
    assert x.grad == pytest.approx(6 * 0.3)


def test_one_value_used_many_times_receives_the_sum_over_paths() -> None:
    a = Value(0.8)
    y = a * a + a.tanh() * a + a + a
    y.backward()
    tanh = math.tanh(0.8)
    assert a.grad == pytest.approx(2 * 0.8 + (1 - tanh**2) * 0.8 + tanh + 2)


def test_repeated_operand_keeps_both_edges() -> None:
    a = Value(3.0)
    y = a + a
    assert y.inputs == (a, a)
    y.backward()
    assert a.grad == 2.0
    s = autograd.sum([a] * 100)
    a.grad = 0.0
    s.backward()
    assert a.grad == 100.0


def test_wide_fan_out_through_a_shared_interior_node() -> None:
    x = Value(0.5)
    h = x.exp()  # interior node, used by 1000 consumers
    y = autograd.sum([h * float(i) for i in range(1000)])
    y.backward()
    assert h.grad == pytest.approx(sum(range(1000)))
    assert x.grad == pytest.approx(sum(range(1000)) * math.exp(0.5))


def graph() -> tuple[Value, list[Value]]:
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.88, label="b")
    z = x * w + b
    h = z.tanh()
    y = h * h + h * x + autograd.dot([w, x], [h, h], bias=b).sigmoid()
    return y, [x, w, b]


def test_repeated_backward_accumulates_on_every_node_including_interior_ones() -> None:
    y, _ = graph()
    y.backward()
    first = {v: v.grad for v in y.walk()}
    y.backward()
    for v in y.walk():
        assert v.grad == pytest.approx(2 * first[v], rel=1e-15), v  # doubled, not tripled
    assert y.grad == 2.0


def test_backward_gradient_scales_every_delta() -> None:
    y, leaves = graph()
    y.backward()
    unit = [v.grad for v in leaves]
    y.zero_grad()
    y.backward(gradient=-2.5)
    assert [v.grad for v in leaves] == pytest.approx([-2.5 * g for g in unit])


def test_zero_grad_clears_the_whole_graph() -> None:
    y, leaves = graph()
    y.backward(create_graph=True)
    assert all(v.grad != 0.0 for v in leaves)
    y.zero_grad()
    for v in y.walk():
        assert v.grad == 0.0
        assert v.grad_value is None
    y.backward()  # usable again: same gradients as on a fresh graph
    fresh, fresh_leaves = graph()
    fresh.backward()
    assert [v.grad for v in leaves] == pytest.approx([v.grad for v in fresh_leaves], rel=1e-15)


def test_walk_lists_each_node_once_before_its_inputs() -> None:
    y, leaves = graph()
    order = y.walk()
    assert order[0] is y
    assert len(order) == len(set(order))
    position = {v: i for i, v in enumerate(order)}
    for v in order:
        for x in v.inputs:
            assert position[x] > position[v]
    assert set(leaves) <= set(order)


def test_backward_of_a_leaf_sets_its_own_grad() -> None:
    x = Value(4.0)
    x.backward()
    assert x.grad == 1.0


def test_branches_that_do_not_reach_the_output_are_untouched() -> None:
    x = Value(1.0)
    unused = x * 10.0
    y = x.exp()
    y.backward()
    assert x.grad == pytest.approx(math.e)
    assert unused.grad == 0.0
