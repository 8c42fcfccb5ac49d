"""The Value API: construction, repr, float, ordering, identity hashing, numpy scalars, graph bookkeeping."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from autograd import Constant, Value


@pytest.mark.parametrize(
    "data", [3, -7, 2.5, np.float64(1.25), np.float32(0.5), np.int64(4), np.int32(-2), Fraction(3, 4)]
)
def test_construction_from_real_numbers_stores_a_python_float(data: Any) -> None:
    v = Value(data)
    assert type(v.data) is float
    assert v.data == float(data)
    assert (v.grad, v.op, v.inputs, v.label, v.grad_value) == (0.0, "", (), "", None)
    assert v.is_leaf


def test_label_must_be_a_string() -> None:
    assert Value(1.0, label="x").label == "x"
    with pytest.raises(TypeError, match="label.*int"):
        Value(1.0, label=3)


def test_repr_shows_data_and_grad_rounded() -> None:
    x = Value(math.sqrt(0.5))
    y = x * 1.0
    y.backward(gradient=0.5)
    assert repr(x) == "Value(data=0.7071, grad=0.5)"
    assert repr(Value(-3.0, label="w")) == "Value(data=-3, grad=0, label='w')"
    assert repr(y.inputs[1]) == "Constant(data=1, grad=0.3536)"
    assert f"{x}" == repr(x)
    assert f"{x:.2f}" == "0.71"


def test_float_item_and_bool() -> None:
    x = Value(2.5)
    assert float(x) == 2.5 and type(float(x)) is float
    assert x.item() == 2.5
    assert math.isclose(math.sqrt(x), math.sqrt(2.5))
    assert bool(Value(0.0)) is False and bool(x) is True


def test_ordering_compares_data_so_max_and_sorted_work() -> None:
    values = [Value(0.5), Value(-2.0), Value(3.25), Value(1.0)]
    assert max(values) is values[2]
    assert min(values) is values[1]
    assert [v.data for v in sorted(values)] == [-2.0, 0.5, 1.0, 3.25]
    a, b = Value(1.0), Value(2.0)
    assert a < b and a <= b and b > a and b >= a
    assert not (a > b) and not (a >= b)
    assert a < 1.5 and a <= 1 and a >= 1 and 0.5 < a and np.float64(0.5) < a


def test_hashing_and_equality_are_by_identity() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a == a and a != b  # equal data, different nodes
    assert len({a, b}) == 2
    grads = {a: "first", b: "second"}
    assert grads[a] == "first" and grads[b] == "second"
    assert hash(a) != hash(b)


@pytest.mark.parametrize("scalar", [np.float64(2.0), np.float32(2.0), np.int64(2)])
def test_numpy_scalars_work_on_both_sides_of_every_operator(scalar: Any) -> None:
    x = Value(3.0)
    expressions = {
        "add": (x + scalar, scalar + x, 5.0, 5.0),
        "sub": (x - scalar, scalar - x, 1.0, -1.0),
        "mul": (x * scalar, scalar * x, 6.0, 6.0),
        "div": (x / scalar, scalar / x, 1.5, 2.0 / 3.0),
        "pow": (x**scalar, scalar**x, 9.0, 8.0),
    }
    for name, (left, right, left_data, right_data) in expressions.items():
        for node, data in ((left, left_data), (right, right_data)):
            assert type(node) is Value, (name, type(node))  # not a numpy array or numpy scalar
            assert node.data == pytest.approx(data)
            assert x in node.inputs
    assert (x**scalar).op == "powc" and (x**scalar).param == 2.0
    assert (scalar**x).op == "pow"


def test_numpy_scalar_expressions_have_correct_gradients() -> None:
    x = Value(3.0)
    y = np.float64(2.0) * x + x * np.float32(0.5) - np.int64(4) / x + np.float64(2.0) ** x
    y.backward()
    assert x.grad == pytest.approx(2.0 + 0.5 + 4.0 / 9.0 + 8.0 * math.log(2.0))


def test_numbers_in_expressions_become_constant_leaves() -> None:
    x = Value(2.0)
    y = 3 * x - 1.5
    mul, constant = y.inputs
    assert y.op == "sub" and mul.op == "mul"
    assert isinstance(constant, Constant) and constant.data == 1.5 and constant.is_leaf
    assert isinstance(mul.inputs[0], Constant) and mul.inputs[1] is x
    assert not isinstance(x, Constant)


def test_ops_record_their_name_inputs_and_parameter() -> None:
    x, y = Value(0.5), Value(2.0)
    assert (x * y).op == "mul" and (x * y).inputs == (x, y)
    assert (x**3).op == "powc" and (x**3).param == 3.0 and (x**3).inputs == (x,)
    assert (x**y).op == "pow" and (x**y).inputs == (x, y)
    assert x.leaky_relu(0.1).param == 0.1 and x.leaky_relu().param == 0.01
    assert x.elu().param == 1.0 and x.elu(0.3).param == 0.3
    assert (-x).op == "neg" and abs(x).op == "abs"
    assert +x is x


def test_users_may_attach_their_own_attributes_as_on_micrograds_value() -> None:
    """EurekaLabsAI/micrograd's AdamW keeps p.m, p.v on parameters; its visualiser sets v._vis_color."""
    p = Value(1.0)
    p.m, p.v = 0.0, 0.5
    p._vis_color = "lightgreen"
    p.m = 0.9 * p.m + 0.1 * 2.0
    assert (p.m, p.v, p._vis_color) == (0.2, 0.5, "lightgreen")
    assert vars(p) == {"m": 0.2, "v": 0.5, "_vis_color": "lightgreen"}  # the engine's own fields stay in slots
    y = p * 2.0
    y.note = "output"
    y.backward()
    assert p.grad == 2.0 and y.note == "output"


def test_detach_is_a_fresh_leaf_with_the_same_data() -> None:
    x = Value(2.0)
    y = (x * x).detach()
    assert y.data == 4.0 and y.is_leaf and y.op == ""
    (y * 3.0).backward()
    assert y.grad == 3.0 and x.grad == 0.0


def test_infinity_and_nan_are_not_values() -> None:
    """The non-finite policy (autograd.errors): a leaf must be finite; the error is still a ValueError."""
    for bad in (math.inf, -math.inf, np.float64("nan")):
        with pytest.raises(ValueError, match=f"Value: data is {float(bad)!r}"):
            Value(bad)
