"""The non-finite policy (autograd.errors): the first inf or NaN stops the computation with a NonFiniteError
naming where it came from. Compiled mode here; the training entry points in tests/nn/test_train_inputs.py."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import autograd
import nn
from autograd import Value
from autograd.errors import NonFiniteError
from autograd.testing import OpCase, op_cases


@pytest.fixture
def w() -> Value:
    return Value(2.0, label="w")


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x[0].relu() + x[1],  # relu(nan) would be 0: the NaN would vanish without a trace
        lambda x: x[0].log() * x[1],
        lambda x: x[0].sqrt() + x[1],
        lambda x: x[0] * 0.0 + x[1],  # inf * 0
    ],
    ids=["relu", "log", "sqrt", "times_zero"],
)
def test_a_non_finite_input_is_named_by_row_and_column(fn, bad: float) -> None:
    graph = autograd.compile(fn, 2)
    X = np.ones((4, 2))
    X[2, 0] = bad
    with pytest.raises(NonFiniteError, match=rf"compiled forward: X\[2, 0\] \(row 2, column 0\) is {bad!r}"):
        graph.forward(X)
    with pytest.raises(RuntimeError, match="call forward"):
        graph.backward()  # the failed forward left nothing to differentiate


def test_an_overflowing_intermediate_names_the_op_its_inputs_and_the_batch_row(w: Value) -> None:
    graph = autograd.compile(lambda x: (x[0] * x[0]).tanh() + w, 1)
    with pytest.raises(NonFiniteError, match=r"batch row 1, level 1: mul\(1e\+200, 1e\+200\) gives inf"):
        graph.forward(np.array([[1.0], [1e200], [3.0]]))


def test_inf_minus_inf_inside_the_graph() -> None:
    graph = autograd.compile(lambda x: x[0] * 1e300 * 10.0 - x[0] * 1e300 * 10.0, 1)
    with pytest.raises(NonFiniteError, match=r"mul\(1e\+308, 10\.0\) gives inf"):
        graph.forward(np.array([[1e8]]))


def test_a_non_finite_parameter_is_named_with_its_label(w: Value) -> None:
    graph = autograd.compile(lambda x: w * x[0], 1)
    w.data = float("inf")
    with pytest.raises(NonFiniteError, match=r"parameter 0 \('w'\) is inf"):
        graph.forward(np.ones((2, 1)))
    with pytest.raises(NonFiniteError, match="parameter 0"):
        graph.forward(np.ones((2, 1)), parameters=np.array([float("nan")]))


def test_an_overflowing_matrix_product_is_named() -> None:
    ws = [[Value(1e300), Value(1e300)], [Value(1.0), Value(1.0)]]
    graph = autograd.compile(lambda x: autograd.sum([autograd.dot(row, x) for row in ws]), 2)
    assert "matrix product" in graph.describe()
    with pytest.raises(NonFiniteError, match=r"batch row 0, level 1: dot×2 as one \(2×2\) matrix product gives inf"):
        graph.forward(np.array([[1e10, 1e10]]))


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_a_non_finite_seed_is_named(w: Value, bad: float) -> None:
    graph = autograd.compile(lambda x: w * x[0], 1)
    graph.forward(np.ones((3, 1)))
    with pytest.raises(NonFiniteError, match=rf"compiled backward: seed\[1\] is {bad!r}"):
        graph.backward(np.array([1.0, bad, 1.0]))
    assert w.grad == 0.0


def test_an_overflowing_gradient_names_the_op_and_batch_row(w: Value) -> None:
    graph = autograd.compile(lambda x: (w * x[0]).sin() * x[1], 2)
    graph.forward(np.array([[1.0, 1.0], [0.5, 1e300]]))
    with pytest.raises(NonFiniteError, match=r"compiled backward, batch row 1, level \d: δ through mul gives -?inf"):
        graph.backward(np.array([1.0, 1e300]), input_grads=True)
    assert w.grad == 0.0  # nothing was added


def test_an_overflowing_weight_gradient_of_a_matrix_product() -> None:
    ws = [Value(1.0), Value(1.0)]
    graph = autograd.compile(lambda x: autograd.dot(ws, x), 2)
    graph.forward(np.array([[1e300, 1.0], [1e300, 1.0]]))
    with pytest.raises(NonFiniteError, match=r"compiled backward, level 1: δ of the weights of dot×1"):
        graph.backward(np.array([1e10, 1e10]))
    assert [p.grad for p in ws] == [0.0, 0.0]


def test_finite_batches_pass_untouched(w: Value) -> None:
    graph = autograd.compile(lambda x: (w * x[0]).exp(), 1)
    out = graph.forward(np.array([[-1e6], [0.5]]))  # exp underflows to 0: finite, allowed
    assert out.tolist() == [0.0, np.exp(1.0)]
    graph.backward()
    assert w.grad == pytest.approx(0.5 * np.exp(1.0))


# ------------------------------------------------------------------ the policy over every op, in both modes
NaN, INF = float("nan"), float("inf")


def compiled_or_refused(case: OpCase) -> Any:
    """The op's case compiled, or None when compile refuses the op (Value ** Value), which it must say."""
    try:
        return autograd.compile(case.apply, case.n_inputs)
    except NotImplementedError as e:
        assert repr(case.op.name) in str(e)
        return None


@pytest.mark.parametrize("bad", [NaN, INF, -INF], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("case", op_cases(), ids=str)
def test_a_non_finite_operand_is_stopped_in_both_modes(case: OpCase, bad: float) -> None:
    good = list(case.points(1)[0])
    # scalar: no Value, and no constant in an expression, can hold it
    with pytest.raises(NonFiniteError, match=rf"Value: data is {bad!r}"):
        case.apply([Value(bad), *map(Value, good[1:])])
    with pytest.raises(NonFiniteError, match=rf"a constant {bad!r} in an expression"):
        case.apply([Value(good[0]) * bad, *map(Value, good[1:])])
    graph = compiled_or_refused(case)
    if graph is None:
        return
    X = np.array([good, good])
    X[1, 0] = bad
    with pytest.raises(NonFiniteError, match=rf"compiled forward: X\[1, 0\] \(row 1, column 0\) is {bad!r}"):
        graph.forward(X)


# ops whose result can overflow from finite operands: (the op on a list of operands, its arity, such operands,
# the error type: the op's own domain error where it has one)
OVERFLOWS: dict[str, tuple[Any, int, list[float], type]] = {
    "add": (lambda x: x[0] + x[1], 2, [1e308, 1e308], NonFiniteError),
    "sub": (lambda x: x[0] - x[1], 2, [1e308, -1e308], NonFiniteError),
    "mul": (lambda x: x[0] * x[1], 2, [1e200, 1e200], NonFiniteError),
    "div": (lambda x: x[0] / x[1], 2, [1e300, 1e-10], NonFiniteError),
    "pow": (lambda x: x[0] ** x[1], 2, [10.0, 400.0], OverflowError),
    "powc": (lambda x: x[0] ** 3, 1, [1e200], OverflowError),
    "exp": (lambda x: x[0].exp(), 1, [800.0], OverflowError),
    "sum": (lambda x: autograd.sum(x), 3, [1e308, 1e308, 1.0], NonFiniteError),
    "mean": (lambda x: autograd.mean(x), 3, [1e308, 1e308, 1.0], NonFiniteError),
    "dot": (lambda x: autograd.dot(x[:2], x[2:]), 4, [1e200, 1.0, 1e200, 1.0], NonFiniteError),
}


@pytest.mark.parametrize("name", sorted(OVERFLOWS))
def test_a_non_finite_result_names_the_op_in_both_modes(name: str) -> None:
    build, arity, inputs, error = OVERFLOWS[name]
    shown = "pow" if name == "powc" else name  # x ** c reports as pow, the operator the user wrote
    with pytest.raises(error, match=rf"^{shown}\b"):
        build([Value(x) for x in inputs])
    if name == "pow":  # Value ** Value: refused by compile
        return
    graph = autograd.compile(build, arity)
    with pytest.raises(error, match=rf"(level \d: |of {name} \(level \d\): ){shown}\b"):
        graph.forward(np.array([inputs]))


@pytest.mark.parametrize("bad", [NaN, INF])
def test_a_non_finite_gradient_seed_is_stopped_in_both_modes(bad: float) -> None:
    x = Value(2.0)
    with pytest.raises(NonFiniteError, match=rf"backward: gradient is {bad!r}"):
        (x * x).backward(bad)
    assert x.grad == 0.0
    graph = autograd.compile(lambda v: v[0] * v[0], 1)
    graph.forward(np.array([[2.0]]))
    with pytest.raises(NonFiniteError, match=rf"compiled backward: seed\[0\] is {bad!r}"):
        graph.backward(np.array([bad]))


def test_an_overflowing_gradient_names_the_op_in_both_modes(w: Value) -> None:
    """x = 1e150: x·x = 1e300 is finite, but δ = 1e300 times ∂(x·x)/∂x = 1e150 is not."""
    x = Value(1e150)
    with pytest.raises(NonFiniteError, match=r"backward through mul\(1e\+150, 1e\+150\): δ 1e\+300 times"):
        (x * x).backward(1e300)
    assert x.grad == 0.0  # nothing was added
    graph = autograd.compile(lambda v: v[0] * v[0], 1)
    graph.forward(np.array([[1e150]]))
    with pytest.raises(NonFiniteError, match=r"compiled backward, batch row 0, level 1: δ through mul gives inf"):
        graph.backward(np.array([1e300]), input_grads=True)


def test_paths_summing_to_a_non_finite_gradient_are_named() -> None:
    x = Value(1e-300)
    y = x * 1e308 + x * 1e308  # every value finite, every δ step finite: only δx = 1e308 + 1e308 is not
    with pytest.raises(NonFiniteError, match=r"backward: the δ of a leaf node, summed over its paths, is inf"):
        y.backward()


def test_plain_named_errors_for_the_reviewers_cases() -> None:
    """issue 15, item 3: sin(inf), Value(10**400) and gradcheck(eps=0) gave 'math domain error', 'int too large',
    'float division by zero'."""
    with pytest.raises(NonFiniteError, match="Value: data is inf"):
        Value(float("inf")).sin()
    with pytest.raises(NonFiniteError, match=r"Value: the int of about 401 digits is too large for a float"):
        Value(10**400)
    with pytest.raises(ArithmeticError):  # still an ArithmeticError, as the OverflowError it replaces
        Value(10**400)
    with pytest.raises(ValueError, match=r"gradcheck: eps must be a finite number > 0, got 0"):
        autograd.gradcheck(lambda x: x * x, [1.0], eps=0)
    with pytest.raises(NonFiniteError, match=r"pow: the exponent is nan"):  # checked before the op (1 ** nan is 1)
        Value(2.0) ** float("nan")
    with pytest.raises(NonFiniteError, match="a constant inf in an expression"):
        Value(1.0) * float("inf")


def test_fit_stops_at_an_infinite_feature_in_both_modes() -> None:
    X, y = nn.xor()
    X = X.copy()
    X[2, 1] = float("inf")
    for compiled in (False, True):
        model = nn.MLP(2, [3, 1], seed=0)
        with pytest.raises(NonFiniteError, match=r"fit: X\[2, 1\] \(row 2, column 1\) is inf"):
            nn.fit(model, X, y, epochs=1, progress=False, compiled=compiled)
