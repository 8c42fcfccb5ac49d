"""The compiled batch mode against the scalar engine: same outputs, same gradients, to 1e-9 (float64).

Every check runs a function twice: compiled over a whole batch, and sample by sample on Values with
``backward``, summing the scalar gradients over the batch. The inputs include the kinks of piecewise
ops (relu, abs, leaky_relu and elu at exactly 0) so the compiled ``where`` branches are checked too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import OPS, Constant, Value, fused
from autograd.compiled import CompiledGraph
from autograd.registry import NARY, UNARY
from autograd.testing import OpCase, op_cases
from autograd.value import walk

TOL = {"rtol": 1e-9, "atol": 1e-9}


def scalar_reference(
    fn: Callable[[list[Value]], Any], X: np.ndarray, params: Sequence[Value], seed: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(outputs, Σ_batch parameter gradients, input gradients) from the scalar engine, one sample at a time."""
    for p in params:
        p.grad = 0.0
    outputs, input_grads = [], []
    for row, s in zip(X, seed):
        xs = [Value(float(v)) for v in row]
        out = fn(xs)
        outs = [out] if isinstance(out, Value) else list(out)
        outputs.append([o.data for o in outs])
        for o, g in zip(outs, np.atleast_1d(s)):
            o.backward(float(g))
        input_grads.append([x.grad for x in xs])
    grads = np.array([p.grad for p in params])
    for p in params:
        p.grad = 0.0
    return np.array(outputs), grads, np.array(input_grads)


def assert_matches_scalar(
    fn: Callable[[list[Value]], Any], X: Any, params: Sequence[Value] = (), seed: Any = None
) -> CompiledGraph:
    """Compile ``fn``, run it on ``X``, and compare outputs and gradients with the scalar engine."""
    X = np.asarray(X, dtype=float)
    graph = autograd.compile(fn, X.shape[1])
    assert set(graph.parameters) == set(params)
    out = graph.forward(X)
    if seed is None:
        seed = np.random.default_rng(1).normal(size=out.shape)
    expected_out, expected_grads, expected_dX = scalar_reference(fn, X, params, seed)
    np.testing.assert_allclose(out, expected_out[:, 0] if graph.single else expected_out, **TOL)
    dX = graph.backward(seed, input_grads=True)
    np.testing.assert_allclose([p.grad for p in params], expected_grads, **TOL)
    np.testing.assert_allclose(dX, expected_dX, **TOL)
    for p in params:
        p.grad = 0.0
    return graph


# ------------------------------------------------------------------ every accepted op
def fresh_wb() -> tuple[Value, Value]:
    """New parameters w = 0.5 and b = 0.25, so no gradient or value carries over between tests."""
    return Value(0.5, label="w"), Value(0.25, label="b")


@pytest.fixture
def wb() -> tuple[Value, Value]:
    return fresh_wb()


def u(xs: list[Value], w: Value, b: Value) -> Value:
    return w * xs[0] + b


REFUSED = {"pow"}  # Value ** Value: its exponent rule branches on one float base at a time (use x ** c)


def kink_rows(case: OpCase) -> list[tuple[float, ...]]:
    """(0,) for a unary op defined at 0 whose test domain leaves 0 out (a kink: relu, abs, ...), else nothing."""
    if case.op.arity != UNARY or any(lo < 0.0 < hi for lo, hi in case.op.domain[0]):
        return []
    try:
        case.op.partials([0.0], case.op.apply([0.0], case.param), case.param)
    except (ArithmeticError, ValueError):
        return []
    return [(0.0,)]


@pytest.mark.parametrize("case", op_cases(), ids=str)
def test_every_op_of_the_table_matches_the_scalar_engine(case: OpCase) -> None:
    """Each op on inputs from its declared domain (and at its kink), through parameters w·x + b, so that input
    and parameter gradients are both compared."""
    w, b = Value(1.0, label="w"), Value(0.0, label="b")

    def fn(xs: list[Value]) -> Value:
        return case.apply([w * x + b for x in xs])

    X = case.points() + kink_rows(case)
    if case.op.name in REFUSED:
        with pytest.raises(NotImplementedError, match=rf"'{case.op.name}'"):
            autograd.compile(fn, case.n_inputs)
        return
    graph = assert_matches_scalar(fn, X, [w, b])
    assert case.op.name in graph.describe()


def test_powc_with_integer_exponent_of_negative_base(wb) -> None:
    w, b = wb
    assert_matches_scalar(lambda xs: u(xs, w, b) ** 3 - u(xs, w, b) ** -1, [[-2.0], [-1.3], [1.0]], [w, b])


def test_operators_with_numbers_on_either_side_match_scalar_engine(wb) -> None:
    X = [[-1.5, 0.8], [0.0, 1.3], [2.0, -0.7], [0.4, 2.5]]  # xs[1] never 0 or -b
    w, b = wb

    def fn(xs: list[Value]) -> list[Value]:
        return [
            (xs[0] * w + xs[1]) + (b + 2.0) + (3.0 + xs[1]),
            (xs[0] * w - xs[1]) - (b - 2.0) - (3.0 - xs[1]),
            (xs[0] * w) * (xs[1] * b) * 2.0,
            (xs[0] * w) / (xs[1] + b) + 1.0 / xs[1] + xs[0] / 4.0,
        ]

    assert_matches_scalar(fn, X, [w, b])


@pytest.mark.parametrize("reduction", [autograd.sum, autograd.mean, autograd.logsumexp])
def test_nary_reductions_match_scalar_engine(reduction: Callable[[list[Any]], Value], wb) -> None:
    W, B = wb
    X = np.random.default_rng(0).normal(size=(6, 4))
    graph = assert_matches_scalar(lambda xs: reduction([xs[0] * W, xs[1], B, xs[2] * xs[3], 2.0]), X, [W, B])
    assert "reducing 5 inputs" in graph.describe()


def test_reductions_of_different_sizes_in_one_level(wb) -> None:
    W, _ = wb
    X = np.random.default_rng(1).normal(size=(5, 3))
    fn = lambda xs: [autograd.logsumexp(xs), autograd.logsumexp(xs[:2]), autograd.mean([xs[0], W]), autograd.sum(xs)]
    assert_matches_scalar(fn, X, [W], seed=np.random.default_rng(2).normal(size=(5, 4)))


def test_logsumexp_of_large_inputs_does_not_overflow(wb) -> None:
    W, B = wb
    X = np.array([[1000.0, 1000.0], [-1000.0, 500.0]])
    assert_matches_scalar(lambda xs: autograd.logsumexp([xs[0] * W, xs[1] + B]), X, [W, B])


# ------------------------------------------------------------------ dot: matrix products and the general form
def layer(n_out: int, n_in: int, seed: int) -> tuple[list[list[Value]], list[Value]]:
    rng = np.random.default_rng(seed)
    return (
        [[Value(float(v)) for v in row] for row in rng.normal(size=(n_out, n_in))],
        [Value(float(v)) for v in rng.normal(size=n_out)],
    )


def flat(weights: list[list[Value]], biases: list[Value]) -> list[Value]:
    return [w for row in weights for w in row] + biases


def test_a_layer_of_dots_is_one_matrix_product() -> None:
    Ws, bs = layer(4, 3, seed=0)
    X = np.random.default_rng(3).normal(size=(7, 3))
    graph = assert_matches_scalar(lambda xs: [autograd.dot(w, xs, bias=b) for w, b in zip(Ws, bs)], X, flat(Ws, bs))
    assert graph.describe().splitlines()[1] == "level 1: dot×4 as one (4×3) matrix product"


def test_two_layer_tanh_network() -> None:
    W1, b1 = layer(5, 3, seed=1)
    W2, b2 = layer(2, 5, seed=2)

    def net(xs: list[Value]) -> list[Value]:
        h = [autograd.dot(w, xs, bias=b).tanh() for w, b in zip(W1, b1)]
        return [autograd.dot(w, h, bias=b) for w, b in zip(W2, b2)]

    X = np.random.default_rng(4).normal(size=(6, 3))
    graph = assert_matches_scalar(net, X, flat(W1, b1) + flat(W2, b2))
    assert graph.n_levels == 3 and "numpy_ops=3," in repr(graph)


def test_dot_with_weights_second_constant_weights_and_no_bias(wb) -> None:
    W, _ = wb
    ws = [Value(0.3), Value(-1.2)]
    X = np.random.default_rng(5).normal(size=(4, 2))
    fn = lambda xs: [autograd.dot(xs, ws), autograd.dot([2.0, -1.0], xs, bias=W), autograd.dot(ws, [1.5, xs[0]])]
    assert_matches_scalar(fn, X, ws + [W], seed=np.ones((4, 3)))


def test_dot_with_shared_weight_and_repeated_input(wb) -> None:
    W, B = wb
    X = np.random.default_rng(6).normal(size=(5, 2))
    assert_matches_scalar(lambda xs: autograd.dot([W, W, B], [xs[0], xs[0], xs[1]], bias=W), X, [W, B])


def test_dot_with_computed_weights_and_bias_is_a_reduction(wb) -> None:
    W, B = wb
    X = np.random.default_rng(7).normal(size=(5, 4))
    fn = lambda xs: autograd.dot([xs[0] * W, xs[1].tanh()], [xs[2], xs[3] + B], bias=xs[0] * xs[1])
    graph = assert_matches_scalar(fn, X, [W, B])
    assert "dot×1 (reducing 5 inputs each)" in graph.describe()


def test_dots_with_different_inputs_in_one_level() -> None:
    Ws, bs = layer(3, 2, seed=8)
    X = np.random.default_rng(9).normal(size=(4, 3))
    fn = lambda xs: [autograd.dot(Ws[0], xs[:2], bias=bs[0]), autograd.dot(Ws[1], xs[1:], bias=bs[1])]
    assert_matches_scalar(fn, X, flat(Ws[:2], bs[:2]))


# ------------------------------------------------------------------ graph shapes
def test_fan_out_sums_every_path(wb) -> None:
    W, B = wb

    def fn(xs: list[Value]) -> Value:
        h = xs[0] * W + B
        t = h.tanh()
        return h * h + t * h + autograd.sum([h, h, t, xs[0], xs[0]]) + autograd.dot([h, h], [t, xs[1]]) + xs[1] * xs[1]

    assert_matches_scalar(fn, np.random.default_rng(10).normal(size=(6, 2)), [W, B])


def test_multiple_outputs_shared_nodes_duplicates_and_leaves(wb) -> None:
    W, _ = wb

    def fn(xs: list[Value]) -> list[Value]:
        h = (xs[0] * W).sigmoid()
        return [h, h * xs[1], h, xs[1], W, Constant(3.0)]

    X = np.random.default_rng(11).normal(size=(4, 2))
    graph = assert_matches_scalar(fn, X, [W], seed=np.random.default_rng(12).normal(size=(4, 6)))
    out = graph.forward(X)
    assert out.shape == (4, 6)
    np.testing.assert_array_equal(out[:, 3], X[:, 1])
    np.testing.assert_array_equal(out[:, 4:], [[0.5, 3.0]] * 4)


def test_output_independent_of_inputs_is_broadcast(wb) -> None:
    W, B = wb
    graph = autograd.compile(lambda xs: W * B, 2)
    np.testing.assert_array_equal(graph.forward(np.zeros((3, 2))), [0.125] * 3)
    graph.backward()
    assert (W.grad, B.grad) == (3 * 0.25, 3 * 0.5)


def test_deep_chain_does_not_recurse(wb) -> None:
    W, _ = wb

    def chain(xs: list[Value]) -> Value:
        h = xs[0]
        for _ in range(3000):
            h = (h * W).tanh()
        return h

    graph = assert_matches_scalar(chain, [[0.7], [-1.1]], [W])
    assert graph.n_levels == 6000


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.floats(-3.0, 3.0), min_size=3, max_size=3), min_size=1, max_size=6))
def test_random_batches_of_a_mixed_graph(rows: list[list[float]]) -> None:
    W, B = fresh_wb()  # not a fixture: hypothesis runs the body many times per fixture
    Ws, bs = layer(3, 3, seed=13)

    def fn(xs: list[Value]) -> Value:
        h = [autograd.dot(w, xs, bias=b).relu() for w, b in zip(Ws, bs)]
        z = [h[0] - h[1] * W, h[2].softplus() / (1.0 + h[0] ** 2), (xs[0] + B).sigmoid()]
        return autograd.logsumexp(z) - z[1] + abs(xs[2]).elu(0.5)

    assert_matches_scalar(fn, rows, flat(Ws, bs) + [W, B])


# ------------------------------------------------------------------ softmax cross-entropy, parameters over time
def cross_entropy_net(n_in: int, n_classes: int, seed: int) -> tuple[Callable[[list[Value]], Any], list[Value]]:
    W1, b1 = layer(6, n_in, seed)
    W2, b2 = layer(n_classes, 6, seed + 1)

    def fn(v: list[Value]) -> Value:
        xs, ts = v[:n_in], v[n_in:]
        h = [autograd.dot(w, xs, bias=b).relu() for w, b in zip(W1, b1)]
        z = [autograd.dot(w, h, bias=b) for w, b in zip(W2, b2)]
        return -autograd.sum([t * lp for t, lp in zip(ts, autograd.log_softmax(z))])

    return fn, flat(W1, b1) + flat(W2, b2)


def one_hot_batch(n: int, n_in: int, n_classes: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.hstack([rng.normal(size=(n, n_in)), np.eye(n_classes)[rng.integers(0, n_classes, n)]])


def test_softmax_cross_entropy_matches_scalar_engine() -> None:
    fn, params = cross_entropy_net(4, 3, seed=14)
    assert_matches_scalar(fn, one_hot_batch(8, 4, 3, seed=15), params, seed=np.full(8, 1 / 8))


def test_softmax_outputs_sum_to_one(wb) -> None:
    W, _ = wb
    graph = autograd.compile(lambda xs: autograd.softmax([x * W for x in xs]), 3)
    probs = graph.forward(np.random.default_rng(16).normal(size=(5, 3)) * 50)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)


def test_parameters_are_read_at_every_forward() -> None:
    fn, params = cross_entropy_net(3, 2, seed=17)
    graph = autograd.compile(fn, 5)
    X = one_hot_batch(6, 3, 2, seed=18)
    previous = None
    for _ in range(3):
        out = graph.forward(X)
        graph.backward()
        grads = [p.grad for p in params]
        expected_out, expected_grads, _ = scalar_reference(fn, X, params, np.ones(6))
        np.testing.assert_allclose(out, expected_out[:, 0], **TOL)
        np.testing.assert_allclose(grads, expected_grads, **TOL)
        assert previous is None or not np.allclose(out, previous)
        previous = out
        for p, g in zip(params, grads):  # one gradient-descent step, as nn.optim.SGD does
            p.data -= 0.5 * g


def test_backward_accumulates_like_the_scalar_engine(wb) -> None:
    W, _ = wb
    graph = autograd.compile(lambda xs: xs[0] * W, 1)
    graph.forward(np.array([[2.0], [3.0]]))
    W.grad = 1.0
    graph.backward()
    graph.backward(np.array([0.5, 1.0]))
    assert W.grad == 1.0 + 5.0 + 4.0


def test_matches_torch_on_a_cross_entropy_batch() -> None:
    torch = pytest.importorskip("torch")
    fn, params = cross_entropy_net(4, 3, seed=19)
    X = one_hot_batch(10, 4, 3, seed=20)
    graph = autograd.compile(fn, 7)
    loss = graph.forward(X)
    graph.backward(np.full(10, 0.1))
    data = np.array([p.data for p in params])
    W1, b1, W2, b2 = (
        torch.tensor(a, dtype=torch.float64, requires_grad=True)
        for a in (data[:24].reshape(6, 4), data[24:30], data[30:48].reshape(3, 6), data[48:])
    )
    x, t = torch.tensor(X[:, :4]), torch.tensor(X[:, 4:])
    z = torch.relu(x @ W1.T + b1) @ W2.T + b2
    per_sample = -(t * torch.log_softmax(z, dim=1)).sum(dim=1)
    per_sample.mean().backward()
    np.testing.assert_allclose(loss, per_sample.detach().numpy(), **TOL)
    expected = torch.cat([W1.grad.flatten(), b1.grad, W2.grad.flatten(), b2.grad]).numpy()
    np.testing.assert_allclose([p.grad for p in params], expected, **TOL)
    for p in params:
        p.grad = 0.0


# ------------------------------------------------------------------ errors
def test_value_exponent_pow_is_rejected_at_compile_time() -> None:
    with pytest.raises(NotImplementedError, match=r"'pow'.*powc"):
        autograd.compile(lambda xs: xs[0] ** xs[1], 2)
    with pytest.raises(NotImplementedError, match="'pow'"):
        autograd.compile(lambda xs: 2.0 ** xs[0], 1)


def test_op_outside_the_table_is_rejected_naming_it(wb) -> None:
    W, _ = wb
    with pytest.raises(NotImplementedError, match="'mystery'"):
        autograd.compile(lambda xs: Value(1.0, (xs[0],), "mystery") * W, 1)  # micrograd's way: not in the table


def test_bad_arguments_raise_clear_errors(wb) -> None:
    W, _ = wb
    with pytest.raises(ValueError, match="n_inputs must be >= 1, got 0"):
        autograd.compile(lambda xs: xs[0], 0)
    with pytest.raises(TypeError, match="n_inputs must be an int, got float"):
        autograd.compile(lambda xs: xs[0], 2.0)
    with pytest.raises(TypeError, match="Value"):
        autograd.compile(lambda xs: 1.0, 1)
    with pytest.raises(TypeError, match="Value"):
        autograd.compile(lambda xs: [], 1)
    with pytest.raises(ValueError, match="example"):
        autograd.compile(lambda xs: xs[0], 2, example=[1.0])
    graph = autograd.compile(lambda xs: xs[0] * W, 2)
    with pytest.raises(RuntimeError, match="forward"):
        graph.backward()
    with pytest.raises(ValueError, match=r"\(batch >= 1, 2\)"):
        graph.forward(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"\(batch >= 1, 2\)"):
        graph.forward(np.zeros(2))
    graph.forward(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="seed"):
        graph.backward(np.ones(4))


def test_example_row_traces_a_function_undefined_at_the_default() -> None:
    fn = lambda xs: 1.0 / (xs[0] - 0.5)
    with pytest.raises(ZeroDivisionError):
        autograd.compile(fn, 1)
    graph = autograd.compile(fn, 1, example=[2.0])
    np.testing.assert_allclose(graph.forward(np.array([[1.5], [0.0]])), [1.0, -2.0])


@pytest.mark.parametrize(
    ("fn", "x", "error", "message"),
    [
        (lambda xs: xs[0].log(), -1.0, ValueError, r"compiled forward of log .*got -1\.0"),
        (lambda xs: xs[0].sqrt(), -4.0, ValueError, r"sqrt: input must be >= 0, got -4\.0"),
        (lambda xs: 1.0 / xs[0], 0.0, ZeroDivisionError, "div: division by zero"),
        (lambda xs: xs[0] ** -1.0, 0.0, ZeroDivisionError, "pow"),
        (lambda xs: xs[0] ** 0.5, -1.0, ValueError, "negative base"),
        (lambda xs: xs[0].exp(), 800.0, OverflowError, "exp: overflow"),
    ],
)
def test_domain_errors_name_the_op_and_value(fn: Callable, x: float, error: type, message: str) -> None:
    graph = autograd.compile(fn, 1, example=[1.0])
    with pytest.raises(error, match=message):
        graph.forward(np.array([[1.0], [x]]))


def test_division_by_zero_in_backward_names_the_op(wb) -> None:
    W, _ = wb
    graph = autograd.compile(lambda xs: (xs[0] * W).sqrt(), 1)
    graph.forward(np.array([[0.0]]))
    with pytest.raises(ZeroDivisionError, match="backward of sqrt"):
        graph.backward()


@pytest.mark.parametrize("name", sorted(n for n, op in OPS.items() if op.arity != NARY))
def test_array_forms_are_the_float_rules_elementwise_even_at_extremes(name: str) -> None:
    """An op's array rules (its array forms, else its float rules on arrays) give, entry by entry, what its
    float rules give, at ordinary points, at a kink (0) and at extremes (±800), wherever the float rule is defined."""
    op = OPS[name]
    params = op.test_params or (None,)
    grid = [-800.0, -2.0, -1.0, -0.3, 0.0, 0.4, 1.0, 2.5, 800.0]
    points = [(x,) for x in grid] if op.arity == UNARY else [(a, b) for a in grid[1:-1] for b in grid[1:-1]]
    for param in params:
        extra = () if op.param is None else (param,)
        defined = []
        for xs in points:
            try:
                out = op.apply(xs, param)
                defined.append((xs, out, op.partials(xs, out, param)))
            except (ArithmeticError, ValueError):
                continue
        if name == "pow":  # Value ** Value: refused by compile (its exponent rule branches on one base at a time)
            continue
        blocks = [np.array([xs[i] for xs, _, _ in defined]) for i in range(op.arity)]
        outs = np.array([out for _, out, _ in defined])
        with np.errstate(all="ignore"):
            got = (op.array_forward or op.forward)(*blocks, *extra)
            partials = (op.array_derivative or op.derivative)(*blocks, outs, *extra)
        np.testing.assert_allclose(np.broadcast_to(got, outs.shape), outs, rtol=1e-14, atol=0.0)
        partials = (partials,) if op.arity == UNARY else partials
        for i, d in enumerate(partials):
            expected = [ds[i] for _, _, ds in defined]
            np.testing.assert_allclose(np.broadcast_to(np.asarray(d, dtype=float), outs.shape), expected, rtol=1e-14)


@pytest.mark.parametrize("name", sorted(n for n, op in OPS.items() if op.arity == NARY and op.array_forward))
def test_nary_array_forms_are_the_float_rules_row_by_row(name: str) -> None:
    rng = np.random.default_rng(21)
    op = OPS[name]
    param = op.test_params[0] if op.test_params else None
    n = len(op.domain) if op.domain else 5
    xs = rng.normal(size=(4, 2, n)) * 3.0  # (batch × nodes × inputs)
    extra = () if op.param is None else (param,)
    out = op.array_forward(xs, *extra)
    partials = np.broadcast_to(op.array_derivative(xs, out, *extra), xs.shape)  # sum, mean: one constant
    for b in range(4):
        for k in range(2):
            row = xs[b, k].tolist()
            assert out[b, k] == pytest.approx(op.apply([row], param), rel=1e-13, abs=1e-13)
            assert partials[b, k].tolist() == pytest.approx(op.partials([row], out[b, k], param), rel=1e-13, abs=1e-13)


def test_inputs_given_as_column_blocks_are_not_joined() -> None:
    fn, params = cross_entropy_net(4, 3, seed=22)
    graph = autograd.compile(fn, 7)
    X = one_hot_batch(9, 4, 3, seed=23)
    joined = graph.forward(X)
    grads = graph.parameter_gradients()
    np.testing.assert_array_equal(graph.forward((X[:, :4], X[:, 4:])), joined)
    np.testing.assert_array_equal(graph.parameter_gradients(), grads)
    np.testing.assert_array_equal(graph.forward((X[:, :2], X[:, 2:5], X[:, 5:])), joined)
    with pytest.raises(ValueError, match=r"widths \[4, 2\]"):
        graph.forward((X[:, :4], X[:, 4:6]))
    with pytest.raises(ValueError, match="same batch"):
        graph.forward((X[:5, :4], X[:, 4:]))


def test_float32_replay_matches_float64_at_float32_precision() -> None:
    fn, params = cross_entropy_net(5, 4, seed=24)
    X = one_hot_batch(32, 5, 4, seed=25)
    results = {}
    for dtype in (np.float64, np.float32):
        graph = autograd.compile(fn, 9, dtype=dtype)
        out = graph.forward(X)
        assert out.dtype == dtype and graph.dtype == dtype
        results[dtype] = out, graph.parameter_gradients(np.full(32, 1 / 32)), graph
    (out64, grads64, _), (out32, grads32, graph32) = results[np.float64], results[np.float32]
    assert grads32.dtype == np.float32
    np.testing.assert_allclose(out32, out64, rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(grads32, grads64, rtol=1e-4, atol=1e-6 * np.abs(grads64).max())
    assert not np.array_equal(out32, out64)  # really computed in float32
    assert "float32" in repr(graph32)


def test_float32_domain_errors_name_the_op(wb: tuple[Value, Value]) -> None:
    W, _ = wb
    graph = autograd.compile(lambda xs: (xs[0] * W).log(), 1, dtype=np.float32)
    with pytest.raises(ValueError, match=r"compiled forward of log .*got -"):
        graph.forward(np.array([[1.0], [-2.0]]))


def test_dtype_must_be_a_float_type(wb: tuple[Value, Value]) -> None:
    W, _ = wb
    with pytest.raises(ValueError, match="float64 or numpy.float32, got int32"):
        autograd.compile(lambda xs: xs[0] * W, 1, dtype=np.int32)
    with pytest.raises(TypeError, match="dtype"):
        autograd.compile(lambda xs: xs[0] * W, 1, dtype="no such type")


def test_a_layer_applied_to_several_input_tuples_is_one_matrix_product() -> None:
    Ws, bs = layer(3, 2, seed=26)
    X = np.random.default_rng(27).normal(size=(5, 6))

    def fn(xs: list[Value]) -> list[Value]:  # the same layer at three "positions"
        return [autograd.dot(w, xs[2 * t : 2 * t + 2], bias=b).tanh() for t in range(3) for w, b in zip(Ws, bs)]

    graph = assert_matches_scalar(fn, X, flat(Ws, bs), seed=np.random.default_rng(28).normal(size=(5, 9)))
    assert graph.describe().splitlines()[1] == "level 1: dot×9 as one (3×2) matrix product, applied to 3 inputs"


# ------------------------------------------------------------------ the softmax family, fused (autograd.fused)
def table_rule_composition(kind: str, z: np.ndarray, t: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(δz, δt) by the chain rule through the op table's own rules for logsumexp, dot, sub and exp.

    z, t: (batch × k); g: δ of the pattern's outputs, (batch,) for cross-entropy, else (batch × k).
    """
    rows = z[:, None, :]  # the n-ary ops' array forms take (batch × nodes × inputs)
    lse = OPS["logsumexp"]
    S = lse.array_forward(rows)[:, 0]
    dS_dz = list(lse.array_derivative(rows, S[:, None])[:, 0, :].T)
    if kind == "cross_entropy":
        k = z.shape[1]
        d_args = np.concatenate([t, z], axis=1)[:, None, :]
        D = OPS["dot"].array_forward(d_args, k)[:, 0]
        dL_dS, dL_dD = OPS["sub"].derivative(S, D, S - D)
        dD = list(OPS["dot"].array_derivative(d_args, D[:, None], k)[:, 0, :].T)  # ∂D/∂t, then ∂D/∂z
        dz = np.stack([g * (dL_dS * dS_dz[i] + dL_dD * dD[k + i]) for i in range(k)], axis=1)
        dt = np.stack([g * dL_dD * dD[i] for i in range(k)], axis=1)
        return dz, dt
    dS = np.zeros(len(z))
    dz = np.zeros_like(z)
    for i in range(z.shape[1]):
        o = z[:, i] - S
        d_o_dz, d_o_dS = OPS["sub"].derivative(z[:, i], S, o)
        gi = g[:, i] * (OPS["exp"].derivative(o, np.exp(o)) if kind == "softmax" else 1.0)
        dz[:, i] += gi * d_o_dz
        dS += gi * d_o_dS
    return dz + dS[:, None] * np.stack(dS_dz, axis=1), np.zeros_like(t)


@pytest.mark.parametrize("kind", ["cross_entropy", "log_softmax", "softmax"])
def test_fused_softmax_kernels_are_the_op_tables_rules_composed(kind: str) -> None:
    rng = np.random.default_rng(40)
    z, t = rng.normal(size=(6, 4)) * 4.0, rng.random((6, 4))
    g = rng.normal(size=6 if kind == "cross_entropy" else (6, 4))
    kernel = fused.KERNELS[kind]
    out, saved = kernel.forward(z[:, None, :], t[:, None, :])
    dz, dt = kernel.backward(
        z[:, None, :], t[:, None, :], out, saved, g[:, None] if g.ndim == 1 else g[:, None, :], True
    )
    expected_dz, expected_dt = table_rule_composition(kind, z, t, g)
    np.testing.assert_allclose(dz[:, 0], expected_dz, rtol=1e-12, atol=1e-12)
    if kind == "cross_entropy":
        np.testing.assert_allclose(dt[:, 0], expected_dt, rtol=1e-12, atol=1e-12)


def test_cross_entropy_log_softmax_and_softmax_are_one_kernel_each() -> None:
    Ws, bs = layer(4, 3, seed=41)
    X = np.random.default_rng(42).normal(size=(7, 7)) * 2.0

    def fn(xs: list[Value]) -> list[Value]:
        z = [autograd.dot(w, xs[:3], bias=b) for w, b in zip(Ws, bs)]
        ce = autograd.logsumexp(z) - autograd.dot(xs[3:], z)  # nn.cross_entropy with probability targets
        y = [v * 0.5 for v in z]
        return [ce, *autograd.log_softmax(z[:2] + [xs[0]]), *autograd.softmax(y)]

    graph = assert_matches_scalar(fn, X, flat(Ws, bs), seed=np.random.default_rng(43).normal(size=(7, 8)))
    program = graph.describe()
    assert "cross_entropy×1 (rows of 4)" in program and "log_softmax×1 (rows of 3)" in program
    assert "level 3: softmax×1 (rows of 4)" in program
    assert not any(op in program for op in ("sub", "exp", "logsumexp", "reducing"))


def test_patterns_whose_inner_nodes_are_read_elsewhere_are_replayed_node_by_node(wb) -> None:
    W, B = wb

    def fn(xs: list[Value]) -> list[Value]:
        z = [x * W + B for x in xs]
        lse = autograd.logsumexp(z)
        d = autograd.dot([0.2, 0.3, 0.5], z)
        probs = [(v - lse).exp() for v in z]
        return [lse - d, d * 2.0, *probs, probs[0] - lse]  # the dot and the subs are read twice: no fusion

    graph = assert_matches_scalar(fn, np.random.default_rng(44).normal(size=(5, 3)), [W, B])
    assert "cross_entropy" not in graph.describe() and "softmax" not in graph.describe()


@pytest.mark.parametrize("name", ["logsumexp", "sub", "exp"])
def test_a_replaced_rule_turns_fusion_off(name: str) -> None:
    z = [Value(v) for v in (0.1, 0.7, -0.3)]
    lse = autograd.logsumexp(z)
    outs = [(v - lse).exp() for v in z]
    assert [p.kind for p in fused.find(walk(outs)[::-1], outs)] == ["softmax"]
    original = OPS[name]
    try:
        OPS[name] = dataclasses.replace(original)  # what register_op(..., replace=True) does
        assert fused.find(walk(outs)[::-1], outs) == []
    finally:
        OPS[name] = original


def test_fused_cross_entropy_gives_target_gradients() -> None:
    Ws, bs = layer(4, 3, seed=45)

    def fn(xs: list[Value]) -> Value:
        z = [autograd.dot(w, xs[:3], bias=b) for w, b in zip(Ws, bs)]
        return autograd.logsumexp(z) - autograd.dot(z, xs[3:])  # logits first this time

    X = np.hstack([np.random.default_rng(46).normal(size=(6, 3)), np.random.default_rng(47).dirichlet(np.ones(4), 6)])
    graph = assert_matches_scalar(fn, X, flat(Ws, bs), seed=np.full(6, 1 / 6))
    assert graph.describe().splitlines()[-1] == "level 2: cross_entropy×1 (rows of 4)"


def test_a_layer_applied_at_two_levels_adds_both_weight_gradients() -> None:
    Ws, bs = layer(3, 3, seed=48)

    def fn(xs: list[Value]) -> list[Value]:  # the same weights at level 1 and level 3: δW has two terms
        h = [autograd.dot(w, xs, bias=b).tanh() for w, b in zip(Ws, bs)]
        return [autograd.dot(w, h, bias=b) for w, b in zip(Ws, bs)]

    graph = assert_matches_scalar(fn, np.random.default_rng(49).normal(size=(5, 3)), flat(Ws, bs))
    assert graph.describe().count("(3×3) matrix product") == 2


def test_parameters_are_listed_in_creation_order_whatever_order_the_function_reads_them() -> None:
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    graph = autograd.compile(lambda xs: [c * xs[0] + a, (b * xs[0]).tanh(), c], 1)
    assert graph.parameters == [a, b, c]
    np.testing.assert_allclose(graph.forward(np.array([[0.5]])), [[2.5, np.tanh(1.0), 3.0]])


def doubled(op: autograd.Op) -> autograd.Op:
    """``op`` with every rule changed: out = 2·op(x), so every partial derivative doubles too."""
    n = 2 if op.arity == autograd.registry.BINARY else 1  # operands before out
    arity = op.arity

    def twice(rule: Any) -> Any:
        def forward(*args: Any) -> Any:  # (operands..., [param])
            return 2 * rule(*args)

        return forward

    def twice_derivative(rule: Any) -> Any:
        def derivative(*args: Any) -> Any:  # (operands..., out, [param])
            partials = rule(*args[:n], args[n] / 2, *args[n + 1 :])
            return (
                2 * partials if arity == UNARY or not isinstance(partials, (tuple, list)) else [2 * d for d in partials]
            )

        return derivative

    return dataclasses.replace(
        op,
        forward=twice(op.forward),
        derivative=twice_derivative(op.derivative),
        array_forward=op.array_forward and twice(op.array_forward),
        array_derivative=op.array_derivative and twice_derivative(op.array_derivative),
    )


@pytest.fixture
def replaced_op(request: pytest.FixtureRequest) -> Any:
    """Replace the op named by the test's parameter with :func:`doubled` for the test, then restore it."""
    original = OPS[request.param]
    OPS[request.param] = doubled(original)  # what register_op(..., replace=True) does
    yield request.param
    OPS[request.param] = original


# not exp: logsumexp's float derivative calls F.exp, which reads the live table, so a doubled exp changes
# logsumexp's derivative in scalar mode but not its array form (the fusion test above covers exp)
@pytest.mark.parametrize("replaced_op", ["relu", "dot", "logsumexp", "sum", "mean", "sub"], indirect=True)
def test_a_replaced_rule_is_replayed_not_its_built_in_fast_path(replaced_op: str) -> None:
    Ws, bs = layer(3, 2, seed=49)

    def fn(xs: list[Value]) -> list[Value]:
        h = [autograd.dot(w, xs, bias=b).relu() for w, b in zip(Ws, bs)]
        lse = autograd.logsumexp(h)
        probs = [(v - lse).exp() for v in h]
        return [lse, autograd.sum(probs), autograd.mean(h), *probs]

    X = np.random.default_rng(50).normal(size=(6, 2))
    graph = assert_matches_scalar(fn, X, flat(Ws, bs))
    assert ("matrix product" in graph.describe()) == (replaced_op != "dot")


def test_a_model_and_its_deep_copy_in_one_graph() -> None:
    """copy.deepcopy keeps each Value's creation stamp, so the graph holds twins: each keeps its own place."""
    import copy

    import nn

    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    twin = copy.deepcopy(model)
    for p in twin.parameters():
        p.data += 0.5
    assert twin.parameters()[0]._id == model.parameters()[0]._id
    X = np.random.default_rng(51).normal(size=(4, 2))
    assert_matches_scalar(lambda xs: model(xs) + 2.0 * twin(xs), X, model.parameters() + twin.parameters())
