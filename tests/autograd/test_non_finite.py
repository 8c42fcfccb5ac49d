"""The non-finite policy (autograd.errors): the first inf or NaN stops the computation with a NonFiniteError
naming where it came from. Compiled mode here; the training entry points in tests/nn/test_train_inputs.py."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Value
from autograd.errors import NonFiniteError


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
