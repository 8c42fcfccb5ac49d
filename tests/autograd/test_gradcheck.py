"""gradcheck: True when backward agrees with central differences, a GradcheckError report when it does not."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from typing import Any

import pytest

import autograd
from autograd import GradcheckError, Value, grad, gradcheck, register_op
from autograd.testing import OpCase, op_cases

CORRECT = {
    "neuron": (lambda w1, w2, x1, x2, b: autograd.dot([w1, w2], [x1, x2], bias=b).tanh(), [0.3, -0.8, 1.5, 0.2, 0.1]),
    "fan_out": (lambda a: a * a + a.tanh() * a, [0.7]),
    "quotient_and_power": (lambda x, y: (x / y) ** 3 + y**x, [1.3, 0.6]),
    "softmax_entry": (lambda x, y, z: autograd.softmax([x, y, z])[1].log(), [0.1, -2.0, 1.0]),
    "activations": (lambda x: x.elu(0.5) + x.leaky_relu(0.1) + x.softplus() * x.sigmoid(), [-0.4]),
    "second_derivative": (lambda x: grad(lambda y: y.sin() * y**3)(x), [1.1]),
}


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_gradcheck_returns_true_for_correct_derivatives(name: str) -> None:
    f, inputs = CORRECT[name]
    assert gradcheck(f, inputs) is True
    assert gradcheck(f, [Value(x) for x in inputs]) is True


def mislabelled_cube(x: Value) -> Value:
    """A fake op: computes x³ but records itself as x ** 2, so backward uses 2x instead of 3x²."""
    return Value._node(x.data**3, "powc", (x,), 2.0)


def test_gradcheck_catches_a_node_whose_recorded_op_does_not_match_its_forward() -> None:
    with pytest.raises(GradcheckError) as raised:
        gradcheck(lambda x: mislabelled_cube(x) + 1.0, [1.5])
    report = str(raised.value)
    assert re.search(r"worst at input 0 \(x = 1\.5\): backward 3\.0, numeric 6\.7(5|49999)", report), report


@pytest.fixture
def broken_square(restore_ops: None) -> Callable[[Value], Value]:
    """A test-local op of the table whose δ rule forgot the factor 2 (d(x²)/dx written as x)."""
    return register_op("broken_square", forward=lambda x: x * x, derivative=lambda x, out: x, symbol="²")


def test_gradcheck_reports_the_worst_input_of_a_wrong_table_entry(broken_square: Callable[[Value], Value]) -> None:
    f = lambda x, y, z: x * y + broken_square(z) + y.exp()  # noqa: E731
    report = r"worst at input 2 \(x = -4\.0\): backward -4\.0, numeric -(8\.0|7\.9999)"
    with pytest.raises(GradcheckError, match=report):
        gradcheck(f, [1.0, 2.0, -4.0])
    assert gradcheck(lambda x, y: x * y + y.exp() + broken_square(Value(3.0)), [1.0, 2.0])  # unused: fine


def test_gradcheck_catches_a_wrong_rule_in_the_real_table(restore_ops: None) -> None:
    """Swap sin's rule for a plausible mistake (cos written as sin): the check must notice."""
    correct = autograd.OPS["sin"]
    register_op("sin", forward=math.sin, derivative=lambda x, out: math.sin(x), replace=True)
    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(lambda x: x.sin(), [0.3])
    autograd.registry.add(correct, replace=True)
    assert gradcheck(lambda x: x.sin(), [0.3])


def test_gradcheck_flags_a_kink_where_the_derivative_is_a_convention() -> None:
    """relu'(0) = 0 by convention, the central difference sees (ε - 0)/2ε = 0.5."""
    with pytest.raises(GradcheckError, match="backward 0.0, numeric 0.5"):
        gradcheck(lambda x: x.relu(), [0.0])
    assert gradcheck(lambda x: x.relu(), [0.5])


def test_gradcheck_tolerances() -> None:
    off = 3e-6  # a derivative this wrong passes the default atol=1e-5, fails a tighter one

    def slightly_off(x: Value) -> Value:  # forward x² + off·x, backward 2x (recorded as x ** 2)
        return Value._node(x.data**2 + off * x.data, "powc", (x,), 2.0)

    assert gradcheck(slightly_off, [2.0])
    with pytest.raises(GradcheckError):
        gradcheck(slightly_off, [2.0], atol=1e-7, rtol=1e-7)


def test_gradcheck_error_is_a_runtime_error() -> None:
    assert issubclass(GradcheckError, RuntimeError)


def test_gradcheck_scale_uses_relative_tolerance() -> None:
    """d(e^x)/dx at x = 20 is 4.85e8: finite differences are off by far more than atol, within rtol."""
    assert gradcheck(lambda x: x.exp(), [20.0])


@pytest.mark.parametrize("case", op_cases(), ids=str)
def test_gradcheck_passes_every_op_and_catches_its_rule_doubled(case: OpCase, restore_ops: None) -> None:
    """Every op of the table passes gradcheck in its domain; with its derivative doubled (the same table entry
    otherwise) gradcheck fails."""
    for point in case.points():
        assert gradcheck(lambda *xs: case.apply(xs), list(point))
    op = autograd.OPS[case.op.name]

    def has_slope(point: tuple[float, ...]) -> bool:
        operands = [list(point)] if op.arity == autograd.registry.NARY else list(point)
        return any(op.partials(operands, op.apply(operands, case.param), case.param))

    sloped = [list(point) for point in case.points() if has_slope(point)]
    if not sloped:
        return  # x ** 0: a derivative that is 0 everywhere stays 0 when doubled
    point = sloped[0]

    def doubled(*args: Any) -> Any:  # (operands..., out, [param])
        partials = op.derivative(*args)
        return 2 * partials if op.arity == autograd.registry.UNARY else [2 * d for d in partials]

    autograd.OPS[op.name] = dataclasses.replace(op, derivative=doubled)
    with pytest.raises(GradcheckError):
        gradcheck(lambda *xs: case.apply(xs), point)
