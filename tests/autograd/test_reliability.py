"""Issue 23, the engine's part: non-finite numbers, nested passes, register_op misuse, errors of the right kind and
micrograd's writable ``_op``/``_prev``. Each test failed on main before the fix; PyTorch 2.13.0 is the reference
where it has a behaviour."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autograd
from autograd import DomainError, Value, register_op
from autograd.errors import NonFiniteError

torch = pytest.importorskip("torch")

NAN, INF = float("nan"), float("inf")


# ------------------------------------------------------------------ item 3: nothing non-finite gets in
def test_grad_accumulation_that_overflows_raises_naming_the_node_and_leaves_grad_finite() -> None:
    x = Value(1.0, label="x")
    y = x * 1e308
    y.backward()
    with pytest.raises(NonFiniteError, match=r"x.*1e\+308.*inf"):
        y.backward()
    assert x.grad == 1e308  # the failed pass added nothing: no inf left behind
    assert y.grad == 1.0


def test_grad_accumulation_overflow_of_an_inner_node_is_named() -> None:
    x = Value(1e-10)
    h = x * 1.0
    h.label = "hidden"
    out = h * 1e308
    h.grad = 1e308  # a user's own value, as micrograd code writes into .grad
    with pytest.raises(NonFiniteError, match="hidden"):
        out.backward()
    assert h.grad == 1e308 and x.grad == 0.0


def test_create_graph_accumulation_overflow_raises() -> None:
    x = Value(1.0, label="x")
    y = x * 1e308
    y.backward(create_graph=True)
    with pytest.raises(NonFiniteError, match="x"):
        y.backward(create_graph=True)
    assert x.grad == 1e308


def test_compiled_gradient_accumulation_that_overflows_raises_naming_the_parameter() -> None:
    w = Value(1.0, label="w")
    graph = autograd.compile(lambda xs: w * xs[0], 1)
    graph.forward(np.array([[1e308]]))
    graph.backward()
    with pytest.raises(NonFiniteError, match=r"parameter 0 \('w'\)"):
        graph.backward()
    assert w.grad == 1e308


@pytest.mark.parametrize("base, exponent", [(1.0, NAN), (0.5, INF), (2.0, -INF), (0.5, NAN), (3.0, INF)])
def test_pow_with_a_non_finite_exponent_raises(base: float, exponent: float) -> None:
    with pytest.raises(NonFiniteError, match="pow"):
        Value(base) ** exponent
    with pytest.raises(NonFiniteError):
        Value(base) ** np.float64(exponent)


@pytest.mark.parametrize("exponent", [NAN, INF])
def test_rpow_with_a_non_finite_base_raises(exponent: float) -> None:
    with pytest.raises(NonFiniteError):
        exponent ** Value(1.0)


@pytest.mark.parametrize("name, parameter", [("leaky_relu", NAN), ("leaky_relu", INF), ("elu", NAN), ("elu", -INF)])
@pytest.mark.parametrize("x", [1.0, -1.0])
def test_leaky_relu_and_elu_reject_a_non_finite_parameter(name: str, parameter: float, x: float) -> None:
    with pytest.raises(NonFiniteError, match=name):
        getattr(Value(x), name)(parameter)


def test_a_registered_op_whose_forward_returns_nan_raises_non_finite_error(restore_ops: None) -> None:
    nan_op = register_op("nan_forward", lambda x: NAN, lambda x, out: 1.0)
    with pytest.raises(NonFiniteError, match=r"nan_forward\(1\.0\) gives nan"):
        nan_op(Value(1.0))
    inf_op = register_op("inf_forward", lambda x: INF, lambda x, out: 1.0)
    with pytest.raises(NonFiniteError, match=r"inf_forward\(1\.0\) gives inf"):
        inf_op(1.0)


def test_softmax_of_extreme_inputs_is_one_and_zero_like_pytorch() -> None:
    xs = [Value(1e308), Value(-1e308)]
    probs = autograd.softmax(xs)
    expected = torch.softmax(torch.tensor([1e308, -1e308], dtype=torch.float64), 0)
    assert [p.data for p in probs] == expected.tolist() == [1.0, 0.0]
    autograd.sum(probs).backward()
    assert [x.grad for x in xs] == [0.0, 0.0]


def test_softmax_of_extreme_inputs_keeps_its_graph_and_gradients() -> None:
    xs = [Value(1.5e308), Value(0.0), Value(-1.5e308)]
    probs = autograd.softmax(xs)
    t = torch.tensor([x.data for x in xs], dtype=torch.float64, requires_grad=True)
    expected = torch.softmax(t, 0)
    assert [p.data for p in probs] == expected.tolist()
    for i in range(3):  # every probability still depends on every input (gradients 0, not "not in the graph")
        grads = autograd.grad(probs[i], xs)
        (torch_grads,) = torch.autograd.grad(expected[i], t, retain_graph=True)
        assert [g.data for g in grads] == torch_grads.tolist()


def test_log_softmax_and_logsumexp_of_extreme_inputs() -> None:
    t = torch.tensor([1e308, -1e308], dtype=torch.float64)
    assert autograd.logsumexp([1e308, -1e308]).data == torch.logsumexp(t, 0).item() == 1e308
    assert autograd.logsumexp([-1e308, -1e308]).data == torch.logsumexp(-t.abs(), 0).item()
    # PyTorch gives [0, -inf]: -2e308 is no float, and deltagrad stops at the first inf
    with pytest.raises(NonFiniteError):
        autograd.log_softmax([1e308, -1e308])


# ------------------------------------------------------------------ item 4: nested passes
def test_a_registered_derivative_that_calls_grad_on_shared_nodes(restore_ops: None) -> None:
    """The derivative differentiates a graph the outer pass also walks (issue 23: TypeError from inside the pass)."""
    shared = Value(0.5, label="shared")
    inner_out = (shared * shared).tanh()

    def derivative(x: Any, out: Any) -> Any:
        (g,) = autograd.grad(inner_out, [shared])  # a nested pass over `shared` and its readers
        return 2.0 * x + float(g.data) * 0.0

    square = register_op("nested_square", lambda x: x * x, derivative)
    loss = square(shared * 3.0) + inner_out
    loss.backward()
    expected = 3.0 * 2.0 * 1.5 + (1.0 - math.tanh(0.25) ** 2) * 2 * 0.5
    assert shared.grad == pytest.approx(expected, rel=1e-12)


def test_a_micrograd_closure_that_calls_backward_on_a_shared_leaf_gives_pytorchs_numbers() -> None:
    x = Value(0.3, label="x")
    side = (x * x).exp()  # differentiated again from inside the closure

    t = Value(math.tanh(x.data), (x,), "tanh")

    def closure() -> None:
        side.backward()  # adds ∂side/∂x into x.grad: a nested pass that reaches x
        x.grad += (1.0 - t.data**2) * t.grad

    t._backward = closure
    (t * 2.0 + side).backward()

    tx = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    tside = (tx * tx).exp()
    (tx.tanh() * 2.0 + tside + tside).backward()  # the closure's pass adds ∂side/∂x a second time
    assert x.grad == pytest.approx(tx.grad.item(), rel=1e-12)


def test_a_micrograd_closure_that_calls_grad_on_nodes_the_outer_pass_walks() -> None:
    x = Value(-0.4, label="x")
    s = x * x  # reached by the outer pass and by the closure's own pass
    t = Value(math.sin(s.data), (s,), "sin")
    seen: list[float] = []

    def closure() -> None:
        (g,) = autograd.grad(s * 3.0 + x, [x])
        seen.append(g.data)
        s.grad += math.cos(s.data) * t.grad

    t._backward = closure
    (t * t + s).backward()
    tx = torch.tensor(-0.4, dtype=torch.float64, requires_grad=True)
    ts = tx * tx
    (ts.sin() * ts.sin() + ts).backward()
    assert x.grad == pytest.approx(tx.grad.item(), rel=1e-12)
    assert seen == [pytest.approx(6 * -0.4 + 1, rel=1e-12)]


def test_a_backward_from_inside_create_graph_derivative(restore_ops: None) -> None:
    x = Value(0.7)

    def derivative(a: Any, out: Any) -> Any:
        probe = Value(1.5)
        (probe * probe * x).backward()  # a first-order pass in the middle of a create_graph pass
        return 3.0 * a * a

    cube = register_op("nested_cube", lambda a: a**3, derivative)
    (dx,) = autograd.grad(cube(x), [x], create_graph=True)
    assert dx.data == pytest.approx(3 * 0.49, rel=1e-12)
    assert x.grad == pytest.approx(2.25, rel=1e-12)


def _in_thread_with_timeout(target: Callable[[], None], timeout: float = 20.0) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as e:  # reported to the test below
            errors.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "the pass hung (deadlock)"
    if errors:
        raise errors[0]


def test_a_derivative_that_runs_backward_in_another_thread_and_joins_it_does_not_deadlock(restore_ops: None) -> None:
    shared = Value(2.0, label="shared")

    def derivative(x: Any, out: Any) -> Any:
        worker = threading.Thread(target=lambda: (shared * shared).backward())
        worker.start()
        worker.join()
        return 2.0 * x

    square = register_op("threaded_square", lambda x: x * x, derivative)

    def outer() -> None:
        square(shared * 1.0).backward()

    _in_thread_with_timeout(outer)
    assert shared.grad == pytest.approx(4.0 + 4.0, rel=1e-12)


def test_a_derivative_that_runs_grad_in_another_thread_on_shared_nodes(restore_ops: None) -> None:
    x = Value(0.25)
    y = (x * 4.0).sin()
    results: list[float] = []

    def derivative(a: Any, out: Any) -> Any:
        worker = threading.Thread(target=lambda: results.append(autograd.grad(y, [x])[0].data))
        worker.start()
        worker.join()
        return math.cos(a)

    sin = register_op("threaded_sin", np.sin, derivative)

    def outer() -> None:
        (sin(y) + y).backward()

    _in_thread_with_timeout(outer)
    assert results == [pytest.approx(4.0 * math.cos(1.0), rel=1e-12)]
    assert x.grad == pytest.approx((math.cos(math.sin(1.0)) + 1) * 4 * math.cos(1.0), rel=1e-12)


# ------------------------------------------------------------------ item 5: register_op misuse
def test_replacing_a_builtin_with_a_different_arity_is_refused_at_registration(restore_ops: None) -> None:
    with pytest.raises(TypeError, match=r"'add'.*binary.*unary"):
        register_op("add", np.sin, lambda x, o: 1.0, replace=True)
    assert (Value(1.0) + 2.0).data == 3.0  # the table kept its add
    with pytest.raises(TypeError, match=r"'sum'.*unary"):
        register_op("sum", math.exp, lambda x, o: o, replace=True)
    assert autograd.sum([1.0, 2.0]).data == 3.0


def test_a_forward_whose_arity_differs_from_the_derivatives_is_refused(restore_ops: None) -> None:
    with pytest.raises(TypeError, match=r"forward of 'hyp' takes 2 .*derivative is unary"):
        register_op("hyp", lambda a, b: math.hypot(a, b), lambda x, out: 1.0)
    with pytest.raises(TypeError, match=r"forward of 'one' takes 1 .*derivative is binary"):
        register_op("one", math.sin, lambda a, b, out: (1.0, 1.0))
    with pytest.raises(TypeError, match=r"forward of 'ufunc2' takes 2"):
        register_op("ufunc2", np.arctan2, lambda x, out: 1.0)
    assert "hyp" not in autograd.OPS and "one" not in autograd.OPS


@pytest.mark.parametrize(
    "returned, shown",
    [((1.0, 2.0), r"\(1\.0, 2\.0\)"), (None, "None"), ("1", "'1'"), (np.array([1.0, 2.0]), r"array\(\[1\., 2\.\]\)")],
)
def test_a_unary_derivative_returning_no_number_is_named_at_first_use(
    restore_ops: None, returned: Any, shown: str
) -> None:
    bad = register_op("bad_unary", math.sin, lambda x, out: returned)
    y = bad(Value(0.5))
    with pytest.raises(TypeError, match=rf"derivative of op 'bad_unary' returned {shown}"):
        y.backward()


@pytest.mark.parametrize("returned", [1.0, (1.0,), (1.0, 2.0, 3.0), None])
def test_a_binary_derivative_returning_no_pair_is_named(restore_ops: None, returned: Any) -> None:
    bad = register_op("bad_binary", lambda a, b: a * b, lambda a, b, out: returned)
    with pytest.raises(TypeError, match=r"derivative of op 'bad_binary' returned .*pair"):
        bad(Value(0.5), Value(2.0)).backward()


@pytest.mark.parametrize("returned", [(1.0, 2.0), 1 + 2j, None, "3", np.array([1.0, 2.0])])
def test_a_forward_returning_no_real_number_is_named(restore_ops: None, returned: Any) -> None:
    bad = register_op("bad_forward", lambda x: returned, lambda x, out: 1.0)
    with pytest.raises(TypeError, match=r"forward of op 'bad_forward' returned .*one real number"):
        bad(Value(0.5))


@pytest.mark.parametrize("returned", [np.array([2.0]), Value(2.0)])
def test_a_derivative_returning_an_array_or_a_value_leaves_grad_a_float_or_is_named(
    restore_ops: None, returned: Any
) -> None:
    op = register_op("odd_return", lambda x: 2.0 * x, lambda x, out: returned)
    x = Value(0.5)
    try:
        op(x).backward()
    except TypeError as e:
        assert "odd_return" in str(e) and "derivative" in str(e)
    else:
        assert type(x.grad) is float and x.grad == 2.0


def test_a_numpy_scalar_derivative_is_fine(restore_ops: None) -> None:
    op = register_op("np_scalar", np.sin, lambda x, out: np.cos(x))
    x = Value(0.5)
    op(x).backward()
    assert type(x.grad) is float and x.grad == pytest.approx(math.cos(0.5))


# ------------------------------------------------------------------ item 6: errors of the right kind
def test_sqrt_at_zero_backward_raises_a_domain_error_naming_sqrt() -> None:
    y = Value(0.0).sqrt()
    with pytest.raises(DomainError, match="sqrt") as caught:
        y.backward()
    assert isinstance(caught.value, ZeroDivisionError)  # still the built-in kind, as documented in autograd.errors


def test_a_plain_zero_division_in_a_user_derivative_becomes_a_domain_error(restore_ops: None) -> None:
    op = register_op("recip_deriv", lambda x: x, lambda x, out: 1.0 / (x - x))
    with pytest.raises(DomainError, match="recip_deriv"):
        op(Value(1.0)).backward()


def test_pow_of_a_negative_base_gives_the_base_gradient_like_pytorch() -> None:
    x = Value(-2.0)
    (x ** autograd.Constant(2.0)).backward()
    tx = torch.tensor(-2.0, dtype=torch.float64, requires_grad=True)
    (tx ** torch.tensor(2.0, dtype=torch.float64)).backward()
    assert x.grad == tx.grad.item() == -4.0


def test_pow_of_a_negative_base_with_a_differentiated_exponent_is_a_clear_error() -> None:
    """PyTorch gives y.grad = nan (log of a negative base); deltagrad never gives a silent NaN."""
    x, y = Value(-2.0), Value(2.0)
    with pytest.raises(DomainError, match=r"pow.*exponent.*-2\.0"):
        (x**y).backward()
    assert x.grad == 0.0 and y.grad == 0.0  # the failed pass added nothing


def test_pow_of_a_negative_base_higher_order() -> None:
    x = Value(-2.0)
    (dx,) = autograd.grad(x ** autograd.Constant(3.0), [x], create_graph=True)
    assert dx.data == 12.0
    (d2x,) = autograd.grad(dx, [x])
    assert d2x.data == -12.0
    y = Value(3.0)
    with pytest.raises(DomainError, match="exponent"):
        autograd.grad(x**y, [x, y], create_graph=True)


@pytest.mark.parametrize("exponent", [10**400, -(10**400)])
def test_pow_with_a_huge_int_exponent_is_a_deltagrad_error(exponent: int) -> None:
    with pytest.raises(NonFiniteError, match="pow"):
        Value(0.5) ** exponent


# ------------------------------------------------------------------ item 8: micrograd's writable _op and _prev
def test_assigning_op_sets_the_symbol_shown() -> None:
    x = Value(2.0)
    y = x * 3.0
    y._op = "times three"
    assert y._op == "times three"
    y.backward()
    assert x.grad == 3.0  # still the table's rule
    leaf = Value(1.0)
    leaf._op = "input"
    assert leaf._op == "input"


def test_building_a_node_the_micrograd_way_by_assigning_prev_op_and_backward() -> None:
    x = Value(0.5, label="x")
    out = Value(math.tanh(x.data))
    out._prev = {x}
    out._op = "tanh"

    def _backward() -> None:
        x.grad += (1 - out.data**2) * out.grad

    out._backward = _backward
    assert out._prev == {x} and out._op == "tanh"
    (out * 2.0).backward()
    assert x.grad == pytest.approx(2 * (1 - math.tanh(0.5) ** 2), rel=1e-12)


def test_assigning_prev_rejects_non_values() -> None:
    with pytest.raises(TypeError, match="_prev"):
        Value(1.0)._prev = {1.0}
