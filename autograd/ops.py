"""The built-in ops: one :func:`~autograd.declare.register_op` call each, the call users have.

Each declaration gives the forward on floats, the derivative written with operators and
:data:`~autograd.maths.F` (so it also runs on Values, for higher order, and on numpy arrays), array forms
for the compiled mode where the float rules do not take arrays, the graph symbol, a doc line, and what the
test suite reads: each operand's test region, parameter values to try, and the PyTorch function to agree
with. Everything else (the Value methods' docs, ``F``, the compiled mode's dispatch, viz's symbols and
∂ labels, the tests' per-op tables) reads the live table :data:`autograd.OPS`.

To add a built-in op, add one declaration here (and, for a method such as ``x.atan()``, one line in
:class:`~autograd.value.Value`); the README's contributor section shows it.
"""

from __future__ import annotations

import math
import operator
from typing import Any

from .declare import register_op
from .errors import DomainError
from .maths import F, np, where
from .registry import BUILT_IN, NARY, NON_INTEGER, NONZERO, OFF_KINK, OPS, POSITIVE, REAL, WIDE, is_built_in

__all__ = ["is_built_in"]


# ------------------------------------------------------------------ float forwards with their domain checks
def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise DomainError.exp_overflow(x) from None


def _log(x: float) -> float:
    if x <= 0.0:
        raise DomainError.log(x)
    return math.log(x)


def _sqrt(x: float) -> float:
    if x < 0.0:
        raise DomainError.sqrt(x)
    return math.sqrt(x)


def _div(a: float, b: float) -> float:
    if b == 0.0:
        raise DomainError.div(a, b)
    return a / b


def _pow(x: float, c: float) -> float:
    if x == 0.0 and c < 0.0:
        raise DomainError.pow_zero(c)
    if x < 0.0 and not float(c).is_integer():
        raise DomainError.pow_negative(x, c)
    try:
        return float(x**c)
    except OverflowError:
        raise DomainError.pow_overflow(x, c) from None


def _sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _sigmoid_array(x: Any) -> Any:
    z = np.exp(-np.abs(x))  # never overflows
    return np.where(x >= 0.0, 1.0 / (1.0 + z), z / (1.0 + z))


def _powc_dx(x: Any, c: float) -> Any:
    """∂(x**c)/∂x = c·x**(c-1) for a number c, and 0 for c = 0 (x**0 is the constant 1)."""
    return 0.0 if c == 0 else c * F.powc(x, c - 1)


def _pow_arrays(x: Any, y: Any) -> Any:
    """Value ** Value has no array form: its exponent rule branches on one float base at a time."""
    raise NotImplementedError(
        "Value ** Value (op 'pow') is not supported in compiled mode: its rule for the exponent's derivative "
        "branches on one float base at a time; use x ** c with a number c (op 'powc'), or (y * x.log()).exp()"
    )


def _pow_dx(x: Any, y: Any) -> Any:
    """∂(x**y)/∂x = y·x**(y-1), and 0 for y = 0 (x**0 is the constant 1)."""
    return 0.0 if y == 0 else y * F.pow(x, y - 1)


def _pow_dy(x: Any, out: Any) -> Any:
    """∂(x**y)/∂y = x**y·log(x); 0 where x = 0 (PyTorch's convention).

    Undefined for a negative base (PyTorch gives nan): on floats it is nan, which the backward pass reports as
    an error only where the exponent's gradient is needed (``backward()`` writes it, ``grad(out, [x])`` does
    not ask for it); on Values (``create_graph=True``) it is an error at once. ``x ** c`` with a number c
    (op powc) never asks for it.
    """
    if not (x > 0.0 or x < 0.0):
        return 0.0
    if x < 0.0:
        if isinstance(x, float):
            return math.nan
        raise DomainError.pow_exponent(x.data if hasattr(x, "data") else x)
    return out * F.log(x)


def _dot(xs: list[float], n: int) -> float:
    return sum(map(operator.mul, xs[:n], xs[n : 2 * n]), *xs[2 * n :])


def _dot_array(xs: Any, n: int) -> Any:
    out = np.einsum("bkn,bkn->bk", xs[..., :n], xs[..., n : 2 * n])
    return out + xs[..., 2 * n :].sum(axis=-1) if xs.shape[-1] > 2 * n else out


def _dot_array_derivative(xs: Any, out: Any, n: int) -> Any:
    d = np.empty_like(xs)
    d[..., :n], d[..., n : 2 * n], d[..., 2 * n :] = xs[..., n : 2 * n], xs[..., :n], 1.0
    return d


def _logsumexp(xs: list[float]) -> float:
    m = max(xs)
    return m + _log(sum(_exp(x - m) for x in xs))


def _logsumexp_array(xs: Any) -> Any:
    m = xs.max(axis=-1, keepdims=True)
    return (m + np.log(np.exp(xs - m).sum(axis=-1, keepdims=True)))[..., 0]


# ------------------------------------------------------------------ the declarations
# binary: forward(a, b), derivative(a, b, out) -> (∂out/∂a, ∂out/∂b)
register_op(
    "add",
    forward=lambda a, b: a + b,
    derivative=lambda a, b, out: (1.0, 1.0),
    symbol="+",
    doc="a + b; δa += δ, δb += δ",
    domain=(REAL, REAL),
    torch="torch.add",
)
register_op(
    "sub",
    forward=lambda a, b: a - b,
    derivative=lambda a, b, out: (1.0, -1.0),
    symbol="-",
    doc="a - b; δa += δ, δb -= δ",
    domain=(REAL, REAL),
    torch="torch.sub",
)
register_op(
    "mul",
    forward=lambda a, b: a * b,
    derivative=lambda a, b, out: (b, a),
    symbol="*",
    doc="a · b; δa += δ·b, δb += δ·a",
    domain=(REAL, REAL),
    torch="torch.mul",
)
register_op(
    "div",
    forward=_div,
    derivative=lambda a, b, out: (1.0 / b, -out / b),
    symbol="/",
    doc="a / b; δa += δ/b, δb -= δ·a/b²",
    array_forward=lambda a, b: a / b,
    domain=(REAL, NONZERO),
    torch="torch.div",
)
register_op(
    "pow",
    forward=_pow,
    derivative=lambda a, b, out: (_pow_dx(a, b), _pow_dy(a, out)),
    symbol="^",
    doc="a ** b; δa += δ·b·a^(b-1), δb += δ·a^b·log a",
    array_forward=_pow_arrays,
    domain=(POSITIVE, NON_INTEGER),
    torch="torch.pow",
)
# unary: forward(x), derivative(x, out) -> ∂out/∂x; with a param p, forward(x, p) and derivative(x, out, p)
register_op(
    "powc",
    forward=_pow,
    derivative=lambda x, out, c: _powc_dx(x, c),
    symbol="^",
    doc="x ** c for a constant c; δx += δ·c·x^(c-1)",
    param="c",
    array_forward=lambda x, c: np.power(x, c),
    domain=(POSITIVE,),
    test_params=(3.0, 2.5, -1.5, -2.0, 0.0),
    torch="torch.pow",
)
register_op("neg", lambda x: -x, lambda x, out: -1.0, "-", "-x; δx -= δ", domain=(REAL,), torch="torch.neg")
register_op(
    "abs",
    forward=abs,
    derivative=lambda x, out: where(x > 0.0, 1.0, where(x < 0.0, -1.0, 0.0)),
    symbol="abs",
    doc="|x|; δx += δ·sign(x), with sign(0) = 0 as in PyTorch",
    domain=(OFF_KINK,),
    torch="torch.abs",
)
register_op(
    "exp",
    forward=_exp,
    derivative=lambda x, out: out,
    symbol="exp",
    doc="eˣ; δx += δ·eˣ. Raises OverflowError past x ≈ 709.78",
    array_forward=lambda x: np.exp(x),
    domain=(REAL,),
    torch="torch.exp",
)
register_op(
    "log",
    forward=_log,
    derivative=lambda x, out: 1.0 / x,
    symbol="log",
    doc="natural log ln x; δx += δ/x. Raises ValueError for x <= 0",
    array_forward=lambda x: np.log(x),
    domain=(POSITIVE,),
    torch="torch.log",
)
register_op(
    "sqrt",
    forward=_sqrt,
    derivative=lambda x, out: 0.5 / out,
    symbol="√",
    doc="√x; δx += δ/(2√x). Raises ValueError for x < 0",
    array_forward=lambda x: np.sqrt(x),
    domain=(POSITIVE,),
    torch="torch.sqrt",
)
register_op(
    "tanh",
    forward=math.tanh,
    derivative=lambda x, out: 1.0 - out * out,
    symbol="tanh",
    doc="tanh x; δx += δ·(1 - tanh²x)",
    array_forward=lambda x: np.tanh(x),
    domain=(REAL,),
    torch="torch.tanh",
)
register_op(
    "sigmoid",
    forward=_sigmoid,
    derivative=lambda x, out: out * (1.0 - out),
    symbol="σ",
    doc="σ(x) = 1/(1 + e⁻ˣ), computed without overflow; δx += δ·σ(x)(1 - σ(x))",
    array_forward=_sigmoid_array,
    domain=(WIDE,),
    torch="torch.sigmoid",
)
register_op(
    "relu",
    forward=lambda x: x if x > 0.0 else 0.0,
    derivative=lambda x, out: where(x > 0.0, 1.0, 0.0),
    symbol="ReLU",
    doc="max(0, x); δx += δ for x > 0, else 0 (0 at x = 0, PyTorch's choice)",
    # one ufunc each way, the mask multiplied in as booleans: half the passes of np.where (bench_mnist)
    array_forward=lambda x: np.maximum(x, 0.0),
    array_derivative=lambda x, out: x > 0.0,
    domain=(OFF_KINK,),
    torch="torch.relu",
)
register_op(
    "leaky_relu",
    forward=lambda x, slope: x if x > 0.0 else slope * x,
    derivative=lambda x, out, slope: where(x > 0.0, 1.0, slope),
    symbol="LReLU",
    doc="x for x > 0, else slope·x; δx += δ, or δ·slope",
    param="slope",
    array_forward=lambda x, slope: np.where(x > 0.0, x, slope * x),
    domain=(OFF_KINK,),
    test_params=(0.2,),
    torch="torch.nn.functional.leaky_relu",
)
register_op(
    "elu",
    forward=lambda x, alpha: x if x > 0.0 else alpha * math.expm1(x),
    derivative=lambda x, out, alpha: where(x > 0.0, 1.0, out + alpha),
    symbol="ELU",
    doc="x for x > 0, else α(eˣ - 1); δx += δ, or δ·αeˣ",
    param="alpha",
    array_forward=lambda x, alpha: np.where(x > 0.0, x, alpha * np.expm1(np.minimum(x, 0.0))),
    domain=(OFF_KINK,),
    test_params=(0.7,),
    torch="torch.nn.functional.elu",
)
register_op(
    "softplus",
    forward=lambda x: max(x, 0.0) + math.log1p(math.exp(-abs(x))),
    derivative=lambda x, out: F.sigmoid(x),
    symbol="softplus",
    doc="ln(1 + eˣ), computed without overflow; δx += δ·σ(x)",
    array_forward=lambda x: np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x))),
    domain=(WIDE,),
    torch="torch.nn.functional.softplus",
)
register_op(
    "sin",
    forward=math.sin,
    derivative=lambda x, out: F.cos(x),
    symbol="sin",
    doc="sin x; δx += δ·cos x",
    array_forward=lambda x: np.sin(x),
    domain=(WIDE,),
    torch="torch.sin",
)
register_op(
    "cos",
    forward=math.cos,
    derivative=lambda x, out: -F.sin(x),
    symbol="cos",
    doc="cos x; δx -= δ·sin x",
    array_forward=lambda x: np.cos(x),
    domain=(WIDE,),
    torch="torch.cos",
)
# n-ary: forward(xs), derivative(xs, out) -> one ∂out/∂xᵢ per input; array forms over the last axis of a
# (batch × nodes × inputs) block, one pass each instead of 2n small ones (benchmarks/bench_mnist.py)
register_op(
    "sum",
    forward=sum,
    derivative=lambda xs, out: (1.0,) * len(xs),
    symbol="Σ",
    doc="Σ xᵢ; δxᵢ += δ",
    arity=NARY,
    array_forward=lambda xs: xs.sum(axis=-1),
    array_derivative=lambda xs, out: 1.0,
    domain=(REAL, REAL, REAL),
    torch="torch.sum",
)
register_op(
    "mean",
    forward=lambda xs: sum(xs) / len(xs),
    derivative=lambda xs, out: (1.0 / len(xs),) * len(xs),
    symbol="mean",
    doc="(1/n) Σ xᵢ; δxᵢ += δ/n",
    arity=NARY,
    array_forward=lambda xs: xs.sum(axis=-1) / xs.shape[-1],
    array_derivative=lambda xs, out: 1.0 / xs.shape[-1],
    domain=(REAL, REAL, REAL),
    torch="torch.mean",
)
register_op(
    "dot",
    forward=_dot,
    derivative=lambda xs, out, n: (*xs[n : 2 * n], *xs[:n], *(1.0,) * (len(xs) - 2 * n)),
    symbol="·",
    doc="Σ wᵢxᵢ (+ b) over inputs (w₁..wₙ, x₁..xₙ[, b]); δwᵢ += δ·xᵢ, δxᵢ += δ·wᵢ, δb += δ",
    arity=NARY,
    param="n",
    array_forward=_dot_array,
    array_derivative=_dot_array_derivative,
    domain=(REAL,) * 5,
    test_params=(2,),
    torch="torch.dot",
)
register_op(
    "logsumexp",
    forward=_logsumexp,
    derivative=lambda xs, out: tuple(F.exp(x - out) for x in xs),
    symbol="LSE",
    doc="log Σ exp xᵢ (shifted by max for stability); δxᵢ += δ·softmax(x)ᵢ",
    arity=NARY,
    array_forward=_logsumexp_array,
    array_derivative=lambda xs, out: np.exp(xs - out[..., None]),
    domain=(WIDE, WIDE, WIDE),
    torch="torch.logsumexp",
)

BUILT_IN.update(OPS)
