"""autograd.register_op: an op defined once works in every consumer of the live op table.

``user_atan`` (unary) and ``hypot`` (binary) are registered in a fixture and checked through first order,
second order (create_graph, grad of grad, hessian), gradcheck, viz and compile, against PyTorch and
central finite differences.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pydot
import pytest
import torch

import autograd
import viz
from autograd import OPS, Value, grad, gradcheck, hessian, register_op

pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:DeprecationWarning")  # pydot's use of pyparsing

POINTS = [(-1.3, 0.4), (0.2, -2.0), (0.7, 0.9), (2.5, 1.5)]


@pytest.fixture
def atan(restore_ops: None) -> Callable[..., Value]:
    return register_op("user_atan", forward=np.arctan, derivative=lambda x, out: 1 / (1 + x * x), symbol="atan")


@pytest.fixture
def hypot(restore_ops: None) -> Callable[..., Value]:
    return register_op(
        "hypot",
        forward=np.hypot,
        derivative=lambda a, b, out: (a / out, b / out),
        symbol="‖·‖",
        doc="√(a² + b²); δa += δ·a/out, δb += δ·b/out",
    )


def f_ours(atan: Callable[..., Value], hypot: Callable[..., Value]) -> Callable[[Any, Any], Any]:
    return lambda x, y: atan(x * y) * hypot(x, y) + hypot(atan(x), 2.0)


def f_torch(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return torch.atan(x * y) * torch.hypot(x, y) + torch.hypot(torch.atan(x), torch.tensor(2.0, dtype=torch.float64))


def torch_grads(x: float, y: float, order: int) -> Any:
    tx, ty = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (x, y))
    out = f_torch(tx, ty)
    first = torch.autograd.grad(out, (tx, ty), create_graph=order > 1)
    if order == 1:
        return [g.item() for g in first]
    return [[h.item() for h in torch.autograd.grad(g, (tx, ty), retain_graph=True)] for g in first]


def central(f: Callable[[float, float], float], x: float, y: float, eps: float = 1e-6) -> list[float]:
    return [(f(x + eps, y) - f(x - eps, y)) / (2 * eps), (f(x, y + eps) - f(x, y - eps)) / (2 * eps)]


@pytest.mark.parametrize("x, y", POINTS)
def test_first_order_matches_torch_and_finite_differences(atan: Any, hypot: Any, x: float, y: float) -> None:
    f = f_ours(atan, hypot)
    a, b = Value(x), Value(y)
    out = f(a, b)
    out.backward()
    assert out.data == pytest.approx(f_torch(torch.tensor(x), torch.tensor(y)).item(), rel=1e-6)
    assert [a.grad, b.grad] == pytest.approx(torch_grads(x, y, 1), rel=1e-12)
    assert [a.grad, b.grad] == pytest.approx(central(lambda u, v: f(Value(u), Value(v)).data, x, y), rel=1e-6)
    assert gradcheck(f, [x, y])


@pytest.mark.parametrize("x, y", POINTS)
def test_second_order_matches_torch(atan: Any, hypot: Any, x: float, y: float) -> None:
    f = f_ours(atan, hypot)
    expected = torch_grads(x, y, 2)
    np.testing.assert_allclose(hessian(f)(x, y), expected, rtol=1e-10)
    assert grad(grad(f, 0), 1)(x, y) == pytest.approx(expected[0][1], rel=1e-10)
    a, b = Value(x), Value(y)
    f(a, b).backward(create_graph=True)
    first = torch_grads(x, y, 1)
    assert a.grad_value is not None and a.grad_value.data == pytest.approx(first[0], rel=1e-12)
    a.grad_value.backward()  # adds ∂²f/∂x∂· on top of the first-order grads
    assert [a.grad - first[0], b.grad - first[1]] == pytest.approx(expected[0], rel=1e-9)


def test_second_order_against_finite_differences_of_the_first(atan: Any, hypot: Any) -> None:
    f = f_ours(atan, hypot)
    for x, y in POINTS:
        numeric = [central(lambda u, v, i=i: grad(f, i)(u, v), x, y) for i in (0, 1)]
        np.testing.assert_allclose(hessian(f)(x, y), numeric, rtol=1e-5, atol=1e-7)


def test_viz_draws_the_symbol_on_the_node_and_the_local_derivative_on_each_edge(atan: Any, hypot: Any) -> None:
    x, y = Value(0.5, label="x"), Value(1.5, label="y")
    out = hypot(atan(x), y)
    out.backward()
    (parsed,) = pydot.graph_from_dot_data(viz.draw_graph(out, show_local_grads=True, legend=False).source)
    source = parsed.to_string()
    assert "atan" in source and "‖·‖" in source
    assert "√(a² + b²)" in source  # the op's doc is the op node's tooltip
    at = math.atan(0.5)
    local = {viz.format_number(1 / 1.25), viz.format_number(at / out.data), viz.format_number(1.5 / out.data)}
    on_edges = {viz.derivative_node_name(v, i) for v in out.walk() for i in range(len(v.inputs))}  # label nodes
    edge_labels = {str(n.get_label()).strip('"<>') for n in parsed.get_nodes() if n.get_name() in on_edges}
    assert {f"∂={d}" for d in local} <= edge_labels, edge_labels
    assert autograd.local_grads(out) == pytest.approx((at / out.data, 1.5 / out.data))
    assert autograd.op_of(out).symbol == "‖·‖"


def test_compile_replays_registered_ops_over_a_batch(atan: Any, hypot: Any) -> None:
    w = Value(0.8)
    graph = autograd.compile(lambda xs: hypot(atan(w * xs[0]), xs[1]) * w, n_inputs=2)
    X = np.array([[0.5, 1.0], [-2.0, 0.3], [1.5, -0.7]])
    out = graph.forward(X)
    expected = np.hypot(np.arctan(0.8 * X[:, 0]), X[:, 1]) * 0.8
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    graph.backward()
    scalar = 0.0
    for row in X:
        v = Value(0.8)
        o = hypot(atan(v * row[0]), row[1]) * v
        o.backward()
        scalar += v.grad
    assert w.grad == pytest.approx(scalar, rel=1e-12)
    tw = torch.tensor(0.8, dtype=torch.float64, requires_grad=True)
    tX = torch.tensor(X)
    (torch.hypot(torch.atan(tw * tX[:, 0]), tX[:, 1]) * tw).sum().backward()
    assert w.grad == pytest.approx(tw.grad.item(), rel=1e-12)


def test_compile_names_an_op_whose_rules_do_not_take_arrays(restore_ops: None) -> None:
    scalar_atan = register_op("scalar_atan", forward=math.atan, derivative=lambda x, out: 1 / (1 + x * x))
    with pytest.raises(NotImplementedError, match=r"op 'scalar_atan'.*forward does not accept numpy arrays"):
        autograd.compile(lambda xs: scalar_atan(xs[0]), n_inputs=1)
    cos_by_math = register_op("cos_by_math", forward=np.sin, derivative=lambda x, out: math.cos(x))
    with pytest.raises(NotImplementedError, match=r"op 'cos_by_math'.*derivative does not accept numpy arrays"):
        autograd.compile(lambda xs: cos_by_math(xs[0]), n_inputs=1)
    assert scalar_atan(0.5).data == math.atan(0.5)  # the scalar engine is fine with it


def test_higher_order_through_a_derivative_written_with_math_is_an_error_not_a_wrong_number(
    restore_ops: None,
) -> None:
    sin = register_op("math_sin", forward=math.sin, derivative=lambda x, out: math.cos(x))
    assert grad(lambda x: sin(x))(0.3) == pytest.approx(math.cos(0.3))  # first order works
    with pytest.raises(TypeError, match=r"'math_sin'.*Value methods"):
        grad(grad(lambda x: sin(x)))(0.3)
    value_sin = register_op(
        "value_sin", forward=math.sin, derivative=lambda x, out: x.cos() if isinstance(x, Value) else math.cos(x)
    )
    assert grad(grad(lambda x: value_sin(x)))(0.3) == pytest.approx(-math.sin(0.3))


def test_registering_an_existing_name_needs_replace(restore_ops: None) -> None:
    with pytest.raises(ValueError, match=r"'tanh' already exists.*replace=True"):
        register_op("tanh", forward=np.tanh, derivative=lambda x, out: 1 - out * out)
    register_op("mine", forward=np.tanh, derivative=lambda x, out: 1 - out * out)
    with pytest.raises(ValueError, match="'mine' already exists"):
        register_op("mine", forward=np.tanh, derivative=lambda x, out: 1 - out * out)
    with pytest.raises(ValueError, match="identifier"):
        register_op("my op", forward=np.tanh, derivative=lambda x, out: 1 - out * out)
    with pytest.raises(TypeError, match=r"takes 1 argument\(s\)"):
        register_op("bad", forward=np.tanh, derivative=lambda x: 1.0)


def test_the_operators_see_every_change_of_the_table_however_it_is_made(restore_ops: None) -> None:
    """The operators keep their op's forward in hand; any change of OPS (register, item assignment, del, pop,
    clear/update as the restore fixture does) reaches them at once."""
    a, b, table = Value(3.0), Value(4.0), OPS
    mul = table["mul"]
    register_op("mul", forward=lambda x, y: x * y + 1, derivative=lambda x, y, out: (y, x), replace=True)
    assert (a * b).data == 13.0 and (2 * b).data == 9.0  # reflected too
    table["mul"] = mul
    assert (a * b).data == 12.0
    del table["add"]
    with pytest.raises(LookupError, match=r"'add' is not in autograd.OPS.*register_op"):
        a + b
    saved = table.pop("sub")
    with pytest.raises(LookupError, match="'sub'"):
        a - b
    table.update(sub=saved)
    assert (a - b).data == -1.0
    table.setdefault("add", autograd.Op("add", "+", 2, lambda x, y: x + y, lambda x, y, out: (1.0, 1.0), "+"))
    assert (a + b).data == 7.0
    snapshot = dict(table)
    table.clear()
    with pytest.raises(LookupError, match="'mul'"):
        a * b
    table |= snapshot
    assert (a * b).data == 12.0


def test_the_table_is_live_a_replaced_builtin_is_seen_by_every_consumer(restore_ops: None) -> None:
    """Replace tanh by a scaled tanh: forward, backward, higher order, viz and compile all use the new row."""
    register_op(
        "tanh",
        forward=lambda x: 2 * np.tanh(x),
        derivative=lambda x, out: 2 - out * out / 2,
        symbol="2tanh",
        doc="2·tanh x",
        replace=True,
    )
    x = Value(0.4)
    y = x.tanh()
    y.backward()
    assert y.data == pytest.approx(2 * math.tanh(0.4))
    assert x.grad == pytest.approx(2 * (1 - math.tanh(0.4) ** 2))
    assert grad(grad(lambda v: v.tanh()))(0.4) == pytest.approx(-4 * math.tanh(0.4) * (1 - math.tanh(0.4) ** 2))
    assert "2tanh" in viz.draw_graph(y).source and y._op == "2tanh"
    graph = autograd.compile(lambda xs: xs[0].tanh(), n_inputs=1)
    np.testing.assert_allclose(graph.forward(np.array([[0.4]])), [2 * math.tanh(0.4)])


def test_builtin_ops_are_rows_of_the_same_registry() -> None:
    assert OPS and all(isinstance(op, autograd.Op) and op.name == name for name, op in OPS.items())
    assert all(autograd.ops.is_built_in(op) for op in OPS.values())  # declared in autograd/ops.py, this door
    with pytest.raises(ValueError, match="already exists"):
        autograd.registry.add(OPS["exp"])


def test_the_recorder_takes_numbers_and_values_and_names_bad_input(hypot: Any, atan: Any) -> None:
    assert hypot(3, 4.0).data == 5.0 and hypot(Value(3.0), 4).inputs[0].data == 3.0
    assert atan.__name__ == "user_atan" and "registered" in (atan.__doc__ or "")
    with pytest.raises(TypeError, match=r"hypot: takes 2 operand\(s\), got 1"):
        hypot(1.0)
    with pytest.raises(TypeError, match="hypot: expected Values or numbers, got str"):
        hypot("a", 1.0)


@pytest.fixture
def no_atan() -> Iterator[None]:
    assert "user_atan" not in OPS  # the fixtures above leave nothing behind
    yield


def test_fixtures_leave_the_table_as_they_found_it(no_atan: None) -> None:
    assert "hypot" not in OPS
