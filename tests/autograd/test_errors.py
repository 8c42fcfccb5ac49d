"""Bad input gets a clear error naming the operation and the value, never a silent NaN or inf."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

import autograd
from autograd import Value, no_grad

FORWARD_ERRORS = [
    # (id, expression, error type, words the message must contain)
    ("log_zero", lambda: Value(0.0).log(), ValueError, ["log", "0.0"]),
    ("log_negative", lambda: Value(-2.5).log(), ValueError, ["log", "-2.5"]),
    ("sqrt_negative", lambda: Value(-4.0).sqrt(), ValueError, ["sqrt", "-4.0"]),
    ("div_by_zero_number", lambda: Value(3.0) / 0, ZeroDivisionError, ["div", "3.0 / 0.0"]),
    ("div_by_zero_value", lambda: Value(3.0) / Value(0.0), ZeroDivisionError, ["div", "3.0 / 0.0"]),
    ("reflected_div_by_zero", lambda: 1 / Value(0.0), ZeroDivisionError, ["div", "1.0 / 0.0"]),
    ("zero_to_negative_power", lambda: Value(0.0) ** -1, ZeroDivisionError, ["pow", "0.0", "-1.0"]),
    ("zero_to_negative_value_power", lambda: Value(0.0) ** Value(-0.5), ZeroDivisionError, ["pow", "-0.5"]),
    ("negative_to_fractional_power", lambda: Value(-8.0) ** (1 / 3), ValueError, ["pow", "-8.0", "0.333"]),
    ("negative_to_fractional_value_power", lambda: Value(-2.0) ** Value(0.5), ValueError, ["pow", "-2.0", "0.5"]),
    ("reflected_negative_base", lambda: (-2) ** Value(1.5), ValueError, ["pow", "-2.0", "1.5"]),
    ("exp_overflow", lambda: Value(800.0).exp(), OverflowError, ["exp", "800.0"]),
    ("pow_overflow", lambda: Value(10.0) ** 400, OverflowError, ["pow", "10.0", "400"]),
    ("nan_constant", lambda: Value(1.0) + float("nan"), ValueError, ["NaN"]),
    ("dot_length_mismatch", lambda: autograd.dot([1.0, 2.0], [1.0, 2.0, 3.0]), ValueError, ["dot", "2", "3"]),
    ("empty_sum", lambda: autograd.sum([]), ValueError, ["sum", "empty"]),
    ("empty_mean", lambda: autograd.mean([]), ValueError, ["mean", "empty"]),
    ("empty_logsumexp", lambda: autograd.logsumexp([]), ValueError, ["logsumexp", "empty"]),
    ("empty_dot", lambda: autograd.dot([], []), ValueError, ["dot", "empty"]),
    ("sum_of_a_value", lambda: autograd.sum(Value(1.0)), TypeError, ["sum", "Value"]),
    ("sum_of_strings", lambda: autograd.sum([Value(1.0), "2"]), TypeError, ["sum", "str"]),
    ("dot_bias_string", lambda: autograd.dot([1.0], [1.0], bias="b"), TypeError, ["dot", "bias", "str"]),
]


def assert_message(error: pytest.ExceptionInfo[BaseException], words: list[str]) -> None:
    message = str(error.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


@pytest.mark.parametrize(
    ("expression", "error", "words"), [c[1:] for c in FORWARD_ERRORS], ids=[c[0] for c in FORWARD_ERRORS]
)
def test_forward_errors_name_the_op_and_the_value(expression: Callable[[], Any], error: type, words: list[str]) -> None:
    with pytest.raises(error) as raised:
        expression()
    assert_message(raised, words)


@pytest.mark.parametrize(
    ("data", "type_name"),
    [("1.0", "str"), (None, "NoneType"), (1 + 2j, "complex"), (True, "bool"), ([1.0], "list"), (b"1", "bytes")],
)
def test_construction_from_non_real_raises_type_error_naming_the_type(data: Any, type_name: str) -> None:
    with pytest.raises(TypeError, match=rf"Value.*\b{type_name}\b"):
        Value(data)


def test_construction_from_nan_is_refused() -> None:
    with pytest.raises(ValueError, match="NaN"):
        Value(float("nan"))


@pytest.mark.parametrize("operand", ["1", None, 1j, [1.0]])
def test_arithmetic_with_unsupported_types_raises_type_error(operand: Any) -> None:
    x = Value(1.0)
    for expression in (lambda: x + operand, lambda: operand * x, lambda: x**operand, lambda: operand - x):
        with pytest.raises(TypeError):
            expression()


def test_parameters_of_activations_must_be_real() -> None:
    with pytest.raises(TypeError, match="leaky_relu.*slope.*str"):
        Value(1.0).leaky_relu("0.1")
    with pytest.raises(TypeError, match="elu.*alpha.*NoneType"):
        Value(1.0).elu(None)


def test_backward_on_a_no_grad_result_raises() -> None:
    x = Value(2.0)
    with no_grad():
        y = (x * 3.0).tanh()
    with pytest.raises(RuntimeError, match=r"no_grad") as raised:
        y.backward()
    assert_message(raised, ["tanh"])
    assert x.grad == 0.0


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize(
    ("expression", "words"),
    [
        (lambda x: x.sqrt(), ["sqrt", "0.0"]),  # d√x/dx = 1/(2√x) is infinite at 0
        (lambda x: x**0.5, ["powc", "0.0"]),
        (lambda x: (x * x).sqrt() + 1.0, ["sqrt", "0.0"]),
    ],
    ids=["sqrt", "powc_half", "sqrt_of_square"],
)
def test_infinite_derivative_in_backward_names_the_op(
    expression: Callable[[Value], Value], words: list[str], create_graph: bool
) -> None:
    x = Value(0.0)
    y = expression(x)
    with pytest.raises(ZeroDivisionError, match=r"backward through") as raised:
        y.backward(create_graph=create_graph)
    assert_message(raised, words)
    assert x.grad == 0.0  # a failed backward leaves no partial gradients behind


def test_exponent_derivative_of_negative_base_is_an_error_not_nan() -> None:
    """(-2)**y is defined for integer y, but ∂/∂y needs log(-2): torch gives NaN, we raise."""
    y = Value(2.0)
    z = Value(-2.0) ** y
    assert z.data == 4.0
    with pytest.raises(ValueError, match=re.escape("backward through pow(-2.0, 2.0)")) as raised:
        z.backward()
    assert_message(raised, ["log", "-2.0"])


def test_functional_api_errors() -> None:
    with pytest.raises(IndexError, match="argnums 2"):
        autograd.grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)
    with pytest.raises(TypeError, match="grad.*str"):
        autograd.grad(lambda x: x)("1.0")
    with pytest.raises(TypeError, match="must return a Value.*str"):
        autograd.grad(lambda x: "not a number")(1.0)
    with pytest.raises(ValueError, match="gradcheck.*at least one input"):
        autograd.gradcheck(lambda: Value(1.0), [])


DOMAIN_ERRORS = [
    # (id, expression, deltagrad type, the built-in type it also is, op, offending value)
    ("log", lambda: Value(-2.5).log(), autograd.OutOfDomainError, ValueError, "log", -2.5),
    ("sqrt", lambda: Value(-4.0).sqrt(), autograd.OutOfDomainError, ValueError, "sqrt", -4.0),
    ("pow_negative", lambda: Value(-8.0) ** 0.5, autograd.OutOfDomainError, ValueError, "pow", -8.0),
    ("div", lambda: Value(3.0) / 0, autograd.DivisionByZeroError, ZeroDivisionError, "div", 0.0),
    ("pow_zero", lambda: Value(0.0) ** -1, autograd.DivisionByZeroError, ZeroDivisionError, "pow", 0.0),
    ("exp", lambda: Value(800.0).exp(), autograd.FloatOverflowError, OverflowError, "exp", 800.0),
    ("pow_overflow", lambda: Value(10.0) ** 400, autograd.FloatOverflowError, OverflowError, "pow", 10.0),
]


@pytest.mark.parametrize(
    ("expression", "kind", "builtin", "op", "value"), [c[1:] for c in DOMAIN_ERRORS], ids=[c[0] for c in DOMAIN_ERRORS]
)
def test_domain_errors_are_real_exception_types_that_stay_builtin_ones(
    expression: Callable[[], Any], kind: type, builtin: type, op: str, value: float
) -> None:
    with pytest.raises(autograd.DomainError) as raised:
        expression()
    assert type(raised.value) is kind and isinstance(raised.value, builtin)
    assert (raised.value.op, raised.value.value) == (op, value)
    try:
        expression()
    except builtin:  # existing `except ValueError` code keeps working
        pass


def test_domain_errors_keep_their_type_in_backward_and_compiled_mode() -> None:
    x = Value(0.0)
    y = x**0.5  # 0 ** 0.5 = 0 is fine forward, its derivative 0.5 · 0 ** -0.5 is not
    with pytest.raises(autograd.DivisionByZeroError, match=r"backward through powc\(0\.0\)") as raised:
        y.backward()
    assert raised.value.op == "pow"
    graph = autograd.compile(lambda xs: xs[0].log(), n_inputs=1)
    with pytest.raises(autograd.OutOfDomainError, match="log"):
        graph.forward([[1.0], [-1.0]])


def test_star_import_keeps_the_builtins_sum_and_compile() -> None:
    namespace: dict[str, Any] = {}
    exec("from autograd import *", namespace)
    assert "Value" in namespace and "register_op" in namespace and "DomainError" in namespace
    assert "sum" not in namespace and "compile" not in namespace
    from autograd import compile, sum  # still importable by name

    assert sum([Value(1.0), 2.0]).data == 3.0 and callable(compile)
