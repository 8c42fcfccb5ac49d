"""Higher-order gradients (issue 6): backward(create_graph=True), grad, value_and_grad, hessian, HVPs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Constant, Value, grad, hessian, no_grad, value_and_grad

FAST = settings(max_examples=25, deadline=None)


# ------------------------------------------------------------------ backward(create_graph=True)
def test_create_graph_gives_differentiable_grad_values() -> None:
    x = Value(0.7)
    y = x.sin() * x  # y' = cos x·x + sin x, y'' = 2cos x - x sin x
    y.backward(create_graph=True)
    first = x.grad_value
    assert isinstance(first, Value) and not first.is_leaf
    assert x.grad == first.data == pytest.approx(math.cos(0.7) * 0.7 + math.sin(0.7))
    x.zero_grad()
    first.backward()
    assert x.grad == pytest.approx(2 * math.cos(0.7) - 0.7 * math.sin(0.7))


def test_create_graph_sets_grad_and_grad_value_on_every_node() -> None:
    x, w = Value(0.3), Value(-1.2)
    h = (x * w).tanh()
    y = h * h + autograd.logsumexp([h, x, w])
    y.backward(create_graph=True)
    for v in y.walk():
        assert v.grad_value is not None and v.grad == pytest.approx(v.grad_value.data, rel=1e-15)
    twice = {v: v.grad for v in y.walk()}
    y.backward(create_graph=True)  # accumulates, both the floats and the Values
    for v in y.walk():
        assert v.grad == pytest.approx(2 * twice[v], rel=1e-15)
        assert v.grad_value.data == pytest.approx(v.grad, rel=1e-15)


def test_create_graph_records_even_under_no_grad() -> None:
    x = Value(1.3)
    y = x**3
    with no_grad():
        y.backward(create_graph=True)
    first = x.grad_value
    assert not first.is_leaf
    x.zero_grad()
    first.backward()
    assert x.grad == pytest.approx(6 * 1.3)


# ------------------------------------------------------------------ y = 5u⁴, u = x³ + 7
def chain(x: Value) -> Value:
    u = x**3 + 7
    return 5 * u**4


def chain_derivatives(x: float) -> tuple[float, float, float]:
    """By hand: y' = 60x²u³, y'' = 120xu³ + 540x⁴u², y''' = 120u³ + 3240x³u² + 3240x⁶u."""
    u = x**3 + 7
    return (
        60 * x**2 * u**3,
        120 * x * u**3 + 540 * x**4 * u**2,
        120 * u**3 + 3240 * x**3 * u**2 + 3240 * x**6 * u,
    )


@FAST
@given(st.floats(-1.8, 1.8))
def test_chain_to_third_order_with_grad(x: float) -> None:
    expected = chain_derivatives(x)
    ours = (grad(chain)(x), grad(grad(chain))(x), grad(grad(grad(chain)))(x))
    for order, (a, e) in enumerate(zip(ours, expected), start=1):
        assert type(a) is float
        assert a == pytest.approx(e, rel=1e-12, abs=1e-9), order


@FAST
@given(st.floats(-1.8, 1.8))
def test_chain_to_third_order_with_backward(x: float) -> None:
    leaf = Value(x)
    node = chain(leaf)
    found = []
    for create_graph in (True, True, False):
        node.backward(create_graph=create_graph)
        found.append(leaf.grad)
        if create_graph:
            node = leaf.grad_value
            node.zero_grad()
            leaf.grad, leaf.grad_value = 0.0, None
    assert found == pytest.approx(list(chain_derivatives(x)), rel=1e-12, abs=1e-9)


# ------------------------------------------------------------------ the functional API
def test_grad_composes_into_higher_derivatives() -> None:
    x = 0.4
    assert grad(lambda v: v.sin())(x) == pytest.approx(math.cos(x))
    assert grad(grad(lambda v: v.sin()))(x) == pytest.approx(-math.sin(x))
    assert grad(grad(grad(lambda v: v.sin())))(x) == pytest.approx(-math.cos(x))
    assert grad(grad(grad(grad(lambda v: v.exp() * v))))(x) == pytest.approx(math.exp(x) * (x + 4))
    t = math.tanh(x)
    assert grad(grad(lambda v: v.tanh()))(x) == pytest.approx(-2 * t * (1 - t * t))


def test_grad_returns_floats_for_numbers_and_values_for_values() -> None:
    f = grad(lambda x: x * x * x)
    assert f(2.0) == 12.0 and type(f(2.0)) is float
    g = f(Value(2.0))
    assert isinstance(g, Value) and g.data == 12.0


def test_grad_with_argnums_tuple_int_and_negative() -> None:
    def f(x: Any, y: Any, z: Any) -> Value:  # the arguments not differentiated stay plain floats
        return x * y * y + z * z * 0.5

    assert grad(f)(1.0, 2.0, 3.0) == 4.0
    assert grad(f, argnums=1)(1.0, 2.0, 3.0) == 4.0
    assert grad(f, argnums=(0, 2))(1.0, 2.0, 3.0) == (4.0, 3.0)
    assert grad(f, argnums=(2, 0, 1))(1.0, 2.0, 3.0) == (3.0, 4.0, 4.0)
    assert grad(f, argnums=-1)(1.0, 2.0, 3.0) == 3.0


def test_grad_with_list_arguments() -> None:
    def loss(ws: list[Value], xs: list[Value], b: Value) -> Value:
        return (autograd.dot(ws, xs, bias=b) - 1.0) ** 2

    ws, xs, b = [0.5, -1.0], [2.0, 3.0], 0.25
    residual = 0.5 * 2.0 - 1.0 * 3.0 + 0.25 - 1.0
    dws, db = grad(loss, argnums=(0, 2))(ws, xs, b)
    assert dws == pytest.approx([2 * residual * 2.0, 2 * residual * 3.0])
    assert db == pytest.approx(2 * residual)
    assert grad(loss, argnums=1)(np.array(ws), xs, b) == pytest.approx([2 * residual * 0.5, 2 * residual * -1.0])


def test_value_and_grad() -> None:
    value, (dx, dy) = value_and_grad(lambda x, y: x * y + y.log(), argnums=(0, 1))(3.0, 2.0)
    assert value == pytest.approx(6.0 + math.log(2.0)) and type(value) is float
    assert (dx, dy) == pytest.approx((2.0, 3.0 + 0.5))
    assert value_and_grad(lambda x: x.exp())(0.0) == (1.0, 1.0)


def test_grad_of_an_unused_argument_is_zero() -> None:
    assert grad(lambda x, y: x * 2.0, argnums=1)(1.0, 5.0) == 0.0
    assert grad(lambda x: 3.0)(1.0) == 0.0
    assert grad(grad(lambda x: x * 2.0))(1.0) == 0.0


def test_mixed_partials_by_composing_grad_over_different_arguments() -> None:
    """∂²f/∂x∂y for f = x²·sin y is 2x·cos y: the inner grad must stay differentiable in y."""

    def f(x: Value, y: Value) -> Value:
        return x * x * y.sin()

    x, y = 1.5, 0.4
    assert grad(grad(f, argnums=0), argnums=1)(x, y) == pytest.approx(2 * x * math.cos(y))
    assert grad(grad(f, argnums=1), argnums=0)(x, y) == pytest.approx(2 * x * math.cos(y))


def test_grad_sees_through_closures_over_outer_arguments() -> None:
    """d/dx [∂/∂y (x·y²) at y = 3] = d/dx (6x) = 6."""
    assert grad(lambda x: grad(lambda y: x * y * y)(3.0))(2.0) == pytest.approx(6.0)


def test_grad_differentiates_even_under_no_grad() -> None:
    with no_grad():
        assert grad(lambda x: x * x)(3.0) == 6.0
        assert grad(grad(lambda x: x**3))(2.0) == 12.0


def test_gradient_penalty() -> None:
    """L = f(x) + λ·f'(x)²: dL/dx = f' + 2λ·f'·f''. Here f = sin, so dL/dx = cos x - 2λ·cos x·sin x."""
    lam, x = 0.3, 0.9

    def penalized(v: Value) -> Value:
        slope = grad(lambda u: u.sin())(v)
        return v.sin() + lam * slope * slope

    assert grad(penalized)(x) == pytest.approx(math.cos(x) - 2 * lam * math.cos(x) * math.sin(x))


# ------------------------------------------------------------------ Hessians
def powell(x: Sequence[Value]) -> Value:
    x1, x2, x3, x4 = x
    return (x1 + 10 * x2) ** 2 + 5 * (x3 - x4) ** 2 + (x2 + 2 * x3) ** 4 + 10 * (x1 - x4) ** 4


def powell_hessian(x: Sequence[float]) -> np.ndarray:
    """Derived by hand. With a = x1+10x2, b = x3-x4, c = x2+2x3, d = x1-x4 the gradient is
    (2a + 40d³, 20a + 4c³, 10b + 8c³, -10b - 40d³), and differentiating each entry again gives:"""
    x1, x2, x3, x4 = x
    c2, d2 = (x2 + 2 * x3) ** 2, (x1 - x4) ** 2
    return np.array(
        [
            [2 + 120 * d2, 20, 0, -120 * d2],
            [20, 200 + 12 * c2, 24 * c2, 0],
            [0, 24 * c2, 10 + 48 * c2, -10],
            [-120 * d2, 0, -10, 10 + 120 * d2],
        ],
        dtype=float,
    )


def test_hessian_of_the_lecture_function_at_the_lecture_point() -> None:
    point = [3.0, -1.0, 0.0, 1.0]
    h = hessian(powell)(point)
    assert h.shape == (4, 4) and h.dtype == np.float64
    np.testing.assert_allclose(h, powell_hessian(point), rtol=1e-12)
    # the same numbers worked out at this point (c = -1, d = 2)
    np.testing.assert_allclose(h, [[482, 20, 0, -480], [20, 212, 24, 0], [0, 24, 58, -10], [-480, 0, -10, 490]])


@FAST
@given(st.lists(st.floats(-3.0, 3.0), min_size=4, max_size=4))
def test_hessian_of_the_lecture_function_anywhere(point: list[float]) -> None:
    h = hessian(powell)(point)
    np.testing.assert_allclose(h, powell_hessian(point), rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(h, h.T)


def test_hessian_with_separate_scalar_arguments_and_vs_torch() -> None:
    torch = pytest.importorskip("torch")

    def f(x: Any, y: Any, z: Any) -> Any:
        return (x * y).sin() + (y * z).exp() - x * x * z

    point = (0.4, -0.7, 1.1)
    ours = hessian(f)(*point)
    expected = torch.autograd.functional.hessian(lambda t: f(*t.unbind()), torch.tensor(point, dtype=torch.float64))
    np.testing.assert_allclose(ours, expected.numpy(), rtol=1e-12, atol=1e-14)


def test_hessian_vector_product() -> None:
    point, v = [3.0, -1.0, 0.0, 1.0], [0.5, -2.0, 1.0, 0.25]
    leaves = [Value(x) for x in point]
    powell(leaves).backward(create_graph=True)
    gradient = [leaf.grad_value for leaf in leaves]
    for leaf in leaves:
        leaf.grad = 0.0
    autograd.dot(gradient, v).backward()  # ∇(∇f·v) = H·v, without forming H
    hvp = [leaf.grad for leaf in leaves]
    np.testing.assert_allclose(hvp, powell_hessian(point) @ v, rtol=1e-12)
    # the same through the functional API
    functional_hvp = grad(lambda xs: autograd.dot(grad(powell)(xs), v))(point)
    np.testing.assert_allclose(functional_hvp, hvp, rtol=1e-12)


def test_hessian_vector_product_vs_torch() -> None:
    torch = pytest.importorskip("torch")
    point, v = [0.3, -1.2, 2.0, 0.7], [1.0, 0.5, -0.25, 2.0]
    leaves = [Value(x) for x in point]
    powell(leaves).backward(create_graph=True)
    gradient = [leaf.grad_value for leaf in leaves]
    for leaf in leaves:
        leaf.grad = 0.0
    autograd.dot(gradient, v).backward()
    as_tensor = lambda xs: torch.tensor(xs, dtype=torch.float64)  # noqa: E731
    _, expected = torch.autograd.functional.hvp(lambda t: powell(t.unbind()), as_tensor(point), as_tensor(v))
    np.testing.assert_allclose([leaf.grad for leaf in leaves], expected.numpy(), rtol=1e-12)


def test_hessian_of_a_function_with_a_constant_gradient_is_zero() -> None:
    np.testing.assert_array_equal(hessian(lambda x, y: 3 * x - y)(1.0, 2.0), np.zeros((2, 2)))
    assert isinstance(grad(lambda x: x + 1.0)(Value(1.0)), Constant)
