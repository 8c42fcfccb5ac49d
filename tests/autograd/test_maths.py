"""The math namespace ``F``, derived from the live table: every op on floats, Values and arrays alike."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import autograd
from autograd import OPS, Value, register_op
from autograd.maths import F, where
from autograd.registry import BINARY, NARY, UNARY, Op


def sample(op: Op) -> tuple[list[Any], Any]:
    """Operands (an n-ary op: one list) and a parameter inside the op's declared test domain."""
    param = op.test_params[0] if op.test_params else None
    points = [region[0][0] * 0.3 + region[0][1] * 0.7 for region in op.domain]  # inside the first interval
    return ([points] if op.arity == NARY else points), param


def args_of(operands: list[Any], param: Any, op: Op) -> list[Any]:
    return [*operands, param] if op.param is not None else list(operands)


@pytest.mark.parametrize("name", sorted(OPS))
def test_F_holds_every_op_on_floats_values_and_arrays(name: str) -> None:
    op = OPS[name]
    operands, param = sample(op)
    out = getattr(F, name)(*args_of(operands, param, op))
    assert out == op.apply(operands, param)
    values = [[Value(x) for x in operands[0]]] if op.arity == NARY else [Value(x) for x in operands]
    node = getattr(F, name)(*args_of(values, param, op))
    assert isinstance(node, Value) and node.op == name and node.data == out
    if op.arity != NARY and name != "pow":  # compile refuses Value ** Value (test_compile)
        arrays = [np.full(3, x) for x in operands]
        np.testing.assert_allclose(getattr(F, name)(*args_of(arrays, param, op)), np.full(3, out), rtol=1e-14)


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_derivative_gives_the_same_numbers_on_values_as_on_floats(name: str) -> None:
    """The one derivative rule runs on floats (first order) and on Values (higher order): same numbers."""
    op = OPS[name]
    operands, param = sample(op)
    out = op.apply(operands, param)
    expected = op.partials(operands, out, param)
    values = [[Value(x) for x in operands[0]]] if op.arity == NARY else [Value(x) for x in operands]
    by_values = op.partials(values, Value(out), param)
    assert [float(getattr(d, "data", d)) for d in by_values] == pytest.approx([float(d) for d in expected])


def test_F_follows_the_table(restore_ops: None) -> None:
    assert not hasattr(F, "cube") and "tanh" in dir(F)
    register_op("cube", forward=lambda x: x**3, derivative=lambda x, out: 3 * x * x)
    assert F.cube(2.0) == 8.0 and F.cube(Value(2.0)).op == "cube"
    del OPS["cube"]
    assert not hasattr(F, "cube")
    with pytest.raises(TypeError, match=r"F\.tanh\(x\): got 2 argument"):
        F.tanh(1.0, 2.0)
    with pytest.raises(TypeError, match=r"F\.leaky_relu\(x, slope\): got 1 argument"):
        F.leaky_relu(1.0)


def test_where_branches_on_bools_and_selects_on_arrays() -> None:
    assert where(Value(2.0) > 0.0, "a", "b") == "a" and where(-1.0 > 0.0, "a", "b") == "b"
    np.testing.assert_array_equal(where(np.array([1.0, -1.0]) > 0.0, 1.0, 0.0), [1.0, 0.0])


def test_compile_names_a_rule_that_does_not_take_arrays(restore_ops: None) -> None:
    """A rule written with math.sinh: compile says so before any batch runs."""
    sinh = register_op("sinh", forward=math.sinh, derivative=lambda x, out: math.cosh(x))
    assert sinh(0.5).data == pytest.approx(0.5210953)
    with pytest.raises(NotImplementedError, match=r"op 'sinh'.*forward does not accept numpy arrays"):
        autograd.compile(lambda xs: sinh(xs[0]), n_inputs=1)


def test_operator_methods_have_their_own_names_and_the_table_docs() -> None:
    assert Value.__add__.__name__ == "__add__" and Value.__rtruediv__.__name__ == "__rtruediv__"
    assert Value.__mul__.__qualname__ == "Value.__mul__"
    assert Value.tanh.__name__ == "tanh" and Value.tanh.__doc__ == OPS["tanh"].doc + "."
    assert OPS["mul"].doc in (Value.__mul__.__doc__ or "")
    assert all(OPS[name].arity in (UNARY, BINARY, NARY) for name in OPS)
