"""Every op's derivatives, orders 1 to 3, against central finite differences and PyTorch (float64).

``CASES`` drives every test here: one case per op of the live table ``autograd.OPS`` (and per declared test
parameter), read from the op's declaration (its test domain and PyTorch reference, tests/autograd/optable.py),
plus composed expressions (reflected operators, fan-out). A case is an expression written once over a *math
namespace* ``m`` and a list of inputs ``xs``; it is evaluated with deltagrad Values (``VALUE_MATH``)
and with torch tensors (``torch_math``), on inputs that hypothesis draws from the op's domain.

Derivatives of order k are flattened tensors: entry (i, j) of order k is ∂(entry i of order k-1)/∂x_j.
Order 1 comes from the fast float backward, orders >= 2 from ``backward(create_graph=True)``; the
finite-difference check of order k differentiates order k-1 numerically, so the float path and the
Value path check each other.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, no_grad
from autograd.testing import OpCase, op_cases

# ------------------------------------------------------------------ domains of the composed cases
REAL = st.floats(-2.0, 2.0)
WIDE = st.floats(-6.0, 6.0)
POSITIVE = st.floats(0.2, 3.0)
NONZERO = st.one_of(st.floats(-2.0, -0.2), st.floats(0.2, 2.0))
OFF_KINK = st.one_of(st.floats(-2.0, -0.05), st.floats(0.05, 2.0))  # piecewise ops: stay off x = 0
# torch's pow backward masks exponent == 0 (its δ rule for x**(y-k) is cut off from y there), so its mixed
# higher derivatives of xʸ are 0 instead of the true value at y = 0, 1, 2 (hence pow's declared domain,
# autograd.registry.NON_INTEGER): integer exponents are checked on their own against finite differences
# (test_pow_higher_derivatives_at_integer_exponents)
MIXED_EXPONENT = REAL.filter(lambda y: not (y * 0.5 + 1.5).is_integer())  # mixed() raises s to y/2 + 3/2

# ------------------------------------------------------------------ math namespaces
VALUE_MATH = SimpleNamespace(
    op=lambda case, xs: case.apply(xs),
    leaky_relu=Value.leaky_relu,
    elu=Value.elu,
    softplus=Value.softplus,
    sum=autograd.sum,
    mean=autograd.mean,
    dot=autograd.dot,
    logsumexp=autograd.logsumexp,
    softmax=autograd.softmax,
    log_softmax=autograd.log_softmax,
)


def torch_math(torch: Any) -> SimpleNamespace:
    """The same functions over 0-dim float64 tensors."""
    functional = torch.nn.functional

    def stack(xs: Sequence[Any]) -> Any:
        return torch.stack(list(xs))

    def dot(ws: Sequence[Any], xs: Sequence[Any], bias: Any = None) -> Any:
        z = (stack(ws) * stack(xs)).sum()
        return z if bias is None else z + bias

    return SimpleNamespace(
        op=lambda case, xs: case.torch_apply(torch, xs),
        leaky_relu=lambda x, slope: functional.leaky_relu(x, slope),
        elu=lambda x, alpha: functional.elu(x, alpha=alpha),
        softplus=functional.softplus,
        sum=lambda xs: stack(xs).sum(),
        mean=lambda xs: stack(xs).mean(),
        dot=dot,
        logsumexp=lambda xs: torch.logsumexp(stack(xs), 0),
        softmax=lambda xs: torch.softmax(stack(xs), 0).unbind(),
        log_softmax=lambda xs: torch.log_softmax(stack(xs), 0).unbind(),
    )


# ------------------------------------------------------------------ the table
@dataclass(frozen=True)
class Case:
    name: str
    op: str  # the OPS entry this case exercises; asserted to appear in the built graph
    build: Callable[[Any, list[Any]], Any]  # (math namespace, inputs) -> scalar
    domains: tuple[st.SearchStrategy[float], ...]

    def __str__(self) -> str:
        return self.name


def weighted(m: Any, ps: Sequence[Any]) -> Any:
    """A scalar that depends on every entry of a list output: Σ cᵢ·pᵢ with distinct cᵢ."""
    return m.sum([p * c for p, c in zip(ps, (1.0, -2.0, 3.0, 0.5))])


def shared_product(m: Any, x: Sequence[Any]) -> Any:
    h = x[0] * x[1]
    return h * h * h + h.exp() - m.sum([h, h, h, x[1]]) / h.sigmoid()


def mixed(m: Any, x: Sequence[Any]) -> Any:
    s = x[0] * x[0] + x[1] * x[1] + 1
    return s.sqrt() * s.log() + (x[0] / s).sin() - s ** (x[1] * 0.5 + 1.5)


def layer(m: Any, x: Sequence[Any]) -> Any:
    a = m.dot([x[0], x[1]], [x[2], x[0]], bias=x[1])
    return m.mean([a, a.sigmoid(), m.softplus(a) * a])


def table_case(case: OpCase) -> Case:
    """The case of one op of the table: the op applied to as many inputs as its domain declares."""
    return Case(case.name, case.op.name, lambda m, x: m.op(case, x), tuple(map(region_strategy, case.op.domain)))


def region_strategy(region: tuple[tuple[float, float], ...]) -> st.SearchStrategy[float]:
    return st.one_of(*(st.floats(lo, hi, exclude_min=True, exclude_max=True) for lo, hi in region))


CASES = [
    *(table_case(case) for case in op_cases()),
    # operator forms and composed expressions
    Case("operator_powc_fractional", "powc", lambda m, x: x[0] ** 2.5, (POSITIVE,)),
    Case("powc_cube_of_any_sign", "powc", lambda m, x: x[0] ** 3, (REAL,)),
    Case("powc_negative_int", "powc", lambda m, x: x[0] ** -2, (NONZERO,)),
    Case("reflected_sub", "sub", lambda m, x: 2 - x[0], (REAL,)),
    Case("reflected_div", "div", lambda m, x: 1 / x[0], (NONZERO,)),
    Case("reflected_pow", "pow", lambda m, x: 2 ** x[0], (REAL,)),
    Case("operator_neg", "neg", lambda m, x: -x[0], (REAL,)),
    Case("builtin_abs", "abs", lambda m, x: abs(x[0]), (OFF_KINK,)),
    Case("method_tanh", "tanh", lambda m, x: x[0].tanh(), (REAL,)),
    Case("method_leaky_relu", "leaky_relu", lambda m, x: m.leaky_relu(x[0], 0.2), (OFF_KINK,)),
    Case("sum_repeated_input", "sum", lambda m, x: m.sum([x[0], x[1], x[0], x[0]]), (REAL, REAL)),
    Case("dot_no_bias", "dot", lambda m, x: m.dot([x[0], x[1]], [x[2], x[3]]), (REAL,) * 4),
    Case("dot_squared_norm", "dot", lambda m, x: m.dot([x[0], x[1]], [x[0], x[1]]), (REAL, REAL)),
    Case("softmax", "logsumexp", lambda m, x: weighted(m, m.softmax([x[0], x[1], x[2]])), (WIDE, WIDE, WIDE)),
    Case("log_softmax", "logsumexp", lambda m, x: weighted(m, m.log_softmax([x[0], x[1], x[2]])), (WIDE,) * 3),
    # composed expressions where one node feeds many others (fan-out): δ is the sum over paths
    Case("fanout_tanh", "tanh", lambda m, x: x[0] * x[0] + x[0].tanh() * x[0], (REAL,)),
    Case("fanout_shared_product", "mul", lambda m, x: shared_product(m, x), (REAL, REAL)),
    Case("fanout_mixed", "div", lambda m, x: mixed(m, x), (REAL, MIXED_EXPONENT)),
    Case("fanout_layer", "dot", lambda m, x: layer(m, x), (REAL, REAL, REAL)),
]
CASES_BY_NAME = {case.name: case for case in CASES}
FIRST_ORDER = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HIGHER_ORDER = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------------ derivative helpers
def evaluate(case: Case, xs: Sequence[float]) -> float:
    """f(xs) as a float, recording no graph."""
    with no_grad():
        return case.build(VALUE_MATH, [Value(x) for x in xs]).data


def build(case: Case, xs: Sequence[float]) -> tuple[Value, list[Value]]:
    leaves = [Value(x) for x in xs]
    out = case.build(VALUE_MATH, leaves)
    assert case.op in {v.op for v in out.walk()}, f"case {case.name} does not exercise op {case.op}"
    return out, leaves


def float_gradient(case: Case, xs: Sequence[float]) -> list[float]:
    """Order 1 through the fast float backward."""
    out, leaves = build(case, xs)
    out.backward()
    return [leaf.grad for leaf in leaves]


def grad_values(out: Value, leaves: list[Value]) -> list[Value]:
    """∂out/∂leaf for each leaf as differentiable Values, via backward(create_graph=True)."""
    for leaf in leaves:
        leaf.grad_value = None
    out.zero_grad()
    out.backward(create_graph=True)
    return [Value(0.0) if leaf.grad_value is None else leaf.grad_value for leaf in leaves]


def value_derivatives(case: Case, xs: Sequence[float], order: int) -> list[float]:
    """Order ``order`` (>= 1) through the Value path, flattened."""
    out, leaves = build(case, xs)
    level = [out]
    for _ in range(order):
        level = [d for node in level for d in grad_values(node, leaves)]
    return [d.data for d in level]


def torch_derivatives(torch: Any, case: Case, xs: Sequence[float], order: int) -> list[float]:
    """The same flattened derivatives from torch.autograd.grad(..., create_graph=True)."""
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    level = [case.build(torch_math(torch), ts)]
    zero = torch.zeros((), dtype=torch.float64)
    for _ in range(order):
        nxt = []
        for node in level:
            grads = (
                torch.autograd.grad(node, ts, create_graph=True, allow_unused=True)
                if node.requires_grad
                else [None] * len(ts)
            )
            nxt.extend(zero if g is None else g for g in grads)
        level = nxt
    return [t.item() for t in level]


def finite_differences(lower: Callable[[list[float]], list[float]], xs: Sequence[float], eps: float) -> list[float]:
    """Central differences of every entry of ``lower`` (order k-1) along every input: order k, flattened."""
    columns = []
    for j in range(len(xs)):
        plus, minus = list(xs), list(xs)
        plus[j] += eps
        minus[j] -= eps
        columns.append([(p - q) / (2 * eps) for p, q in zip(lower(plus), lower(minus))])
    return [column[i] for i in range(len(columns[0])) for column in columns]


def lower_order(case: Case, order: int) -> Callable[[list[float]], list[float]]:
    """The order-``order`` derivative as a function of the inputs."""
    if order == 0:
        return lambda xs: [evaluate(case, xs)]
    if order == 1:
        return lambda xs: float_gradient(case, xs)
    return lambda xs: value_derivatives(case, xs, order)


def assert_close(actual: Sequence[float], expected: Sequence[float], rtol: float, atol: float, what: str) -> None:
    assert len(actual) == len(expected), what
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert math.isfinite(a), f"{what}: entry {i} is {a}"
        assert abs(a - e) <= atol + rtol * abs(e), f"{what}: entry {i}: got {a!r}, expected {e!r}"


def inputs(case: Case) -> st.SearchStrategy[tuple[float, ...]]:
    return st.tuples(*case.domains)


@pytest.fixture(scope="module")
def torch() -> Any:
    return pytest.importorskip("torch")


# ------------------------------------------------------------------ tests
def test_every_op_declares_what_its_tests_need() -> None:
    """The cases come from the table: an op declared without a test domain or a PyTorch reference fails here."""
    for name, op in autograd.OPS.items():
        assert op.domain, f"op {name!r} declares no test domain (register_op(..., domain=...))"
        assert op.torch, f"op {name!r} declares no PyTorch reference (register_op(..., torch=...))"
        assert not op.param or op.test_params, f"op {name!r} has a parameter but no test_params"
    assert {case.op for case in CASES} == set(autograd.OPS)
    assert len(CASES_BY_NAME) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=str)
@FIRST_ORDER
@given(data=st.data())
def test_gradient_matches_finite_differences(case: Case, data: st.DataObject) -> None:
    xs = data.draw(inputs(case), label="xs")
    numeric = finite_differences(lower_order(case, 0), xs, eps=1e-6)
    assert_close(float_gradient(case, xs), numeric, rtol=1e-5, atol=1e-6, what=f"∂{case.name}")


@pytest.mark.parametrize("case", CASES, ids=str)
@FIRST_ORDER
@given(data=st.data())
def test_create_graph_first_order_equals_float_path(case: Case, data: st.DataObject) -> None:
    xs = data.draw(inputs(case), label="xs")
    assert_close(value_derivatives(case, xs, 1), float_gradient(case, xs), rtol=1e-12, atol=1e-12, what=case.name)


@pytest.mark.parametrize("order", [2, 3])
@pytest.mark.parametrize("case", CASES, ids=str)
@HIGHER_ORDER
@given(data=st.data())
def test_higher_derivative_matches_finite_differences_of_lower(case: Case, order: int, data: st.DataObject) -> None:
    xs = data.draw(inputs(case), label="xs")
    numeric = finite_differences(lower_order(case, order - 1), xs, eps=1e-5)
    assert_close(value_derivatives(case, xs, order), numeric, rtol=1e-5, atol=1e-5, what=f"∂^{order} {case.name}")


@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("case", CASES, ids=str)
@HIGHER_ORDER
@given(data=st.data())
def test_derivatives_match_torch(torch: Any, case: Case, order: int, data: st.DataObject) -> None:
    xs = data.draw(inputs(case), label="xs")
    ours = float_gradient(case, xs) if order == 1 else value_derivatives(case, xs, order)
    expected = torch_derivatives(torch, case, xs, order)
    assert_close(ours, expected, rtol=1e-9, atol=1e-12, what=f"∂^{order} {case.name} vs torch")


@pytest.mark.parametrize("case", CASES, ids=str)
@FIRST_ORDER
@given(data=st.data())
def test_forward_matches_torch(torch: Any, case: Case, data: st.DataObject) -> None:
    xs = data.draw(inputs(case), label="xs")
    ts = [torch.tensor(x, dtype=torch.float64) for x in xs]
    expected = case.build(torch_math(torch), ts).item()
    assert_close([evaluate(case, xs)], [expected], rtol=1e-12, atol=1e-12, what=case.name)


# ------------------------------------------------------------------ conventions at kinks
AT_ZERO = [  # (case, a point at a kink or boundary, the orders on which we follow torch's convention)
    (Case("relu", "relu", lambda m, x: x[0].relu(), ()), [0.0], (1, 2)),
    (Case("abs", "abs", lambda m, x: abs(x[0]), ()), [0.0], (1, 2)),
    (Case("leaky_relu", "leaky_relu", lambda m, x: m.leaky_relu(x[0], 0.2), ()), [0.0], (1, 2)),
    # elu'(0) = α like torch; elu''(0) takes the same (left) branch, α, where torch switches to the right one, 0
    (Case("elu", "elu", lambda m, x: m.elu(x[0], 0.7), ()), [0.0], (1,)),
    (Case("powc_square", "powc", lambda m, x: x[0] ** 2, ()), [0.0], (1, 2, 3)),
    (Case("pow_zero_base", "pow", lambda m, x: x[0] ** x[1], ()), [0.0, 2.0], (1,)),
]


def test_relu_and_abs_have_derivative_zero_at_zero() -> None:
    """The subgradient convention PyTorch uses: relu'(0) = 0 and |x|'(0) = sign(0) = 0."""
    for make in (Value.relu, abs):
        x = Value(0.0)
        make(x).backward()
        assert x.grad == 0.0


@pytest.mark.parametrize(("case", "xs", "orders"), AT_ZERO, ids=[case.name for case, *_ in AT_ZERO])
def test_derivatives_at_kinks_follow_torch(torch: Any, case: Case, xs: list[float], orders: tuple[int, ...]) -> None:
    for order in orders:
        ours = float_gradient(case, xs) if order == 1 else value_derivatives(case, xs, order)
        assert_close(ours, torch_derivatives(torch, case, xs, order), 1e-12, 0.0, f"∂^{order} {case.name}")


def test_elu_derivatives_at_zero_take_the_left_branch() -> None:
    alpha = 0.7
    x = Value(0.0)
    x.elu(alpha).backward(create_graph=True)
    first = x.grad_value
    assert first.data == alpha
    x.zero_grad()
    first.backward()
    assert x.grad == alpha


def test_pow_mixed_second_derivative_at_zero_exponent() -> None:
    """At y = 0: ∂²(xʸ)/∂x² = y(y-1)x^(y-2) = 0, ∂²/∂x∂y = x^(y-1)(1 + y log x) = 1/x (torch: 0), ∂²/∂y² = (log x)²."""
    for x in (0.5, 1.0, 2.5):
        hessian = value_derivatives(CASES_BY_NAME["pow"], [x, 0.0], 2)
        assert_close(hessian, [0.0, 1 / x, 1 / x, math.log(x) ** 2], rtol=1e-12, atol=1e-12, what=f"x = {x}")


@pytest.mark.parametrize("order", [2, 3])
@pytest.mark.parametrize("y", [0.0, 1.0, 2.0])
def test_pow_higher_derivatives_at_integer_exponents(order: int, y: float) -> None:
    case = CASES_BY_NAME["pow"]
    for x in (0.5, 1.0, 2.5):
        numeric = finite_differences(lower_order(case, order - 1), [x, y], eps=1e-5)
        assert_close(value_derivatives(case, [x, y], order), numeric, rtol=1e-5, atol=1e-5, what=f"x={x}")
