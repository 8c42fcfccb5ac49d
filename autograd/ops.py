"""The op table: every operation described once.

Each :class:`Op` holds a name, the symbol drawn in graphs, how many inputs it
takes, a forward rule and a derivative rule. Both rules are written over a
*math namespace* ``F`` (:mod:`autograd.maths`: floats, Values or numpy arrays
behind one Protocol) so that one rule serves every consumer: the forward pass
and first-order backward on floats, ``create_graph=True`` on Values, the
compiled batch mode on arrays.

Rule signatures (``p`` is the op's parameter, such as a leaky-ReLU slope)::

    unary   forward(F, x, p)      derivative(F, x, out, p)     -> ∂out/∂x
    binary  forward(F, a, b, p)   derivative(F, a, b, out, p)  -> (∂out/∂a, ∂out/∂b)
    n-ary   forward(F, xs, p)     derivative(F, xs, out, p)    -> one ∂out/∂x per input

Backward applies the chain rule with these: δ_input += δ_out · ∂out/∂input.

:data:`OPS` is the live registry: the built-in rows below and a user's
:func:`autograd.register_op` go through the same door, :func:`register`, and
every consumer (forward, backward, higher order, viz, the compiled mode) looks
an op up in it when it runs, so a registered or replaced op is seen everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .maths import FLOAT

__all__ = [
    "Op",
    "OPS",
    "Registry",
    "register",
    "array_rule_error",
    "UNARY",
    "BINARY",
    "NARY",
    "CLOSURE",
    "CLOSURE_ARITY",
]

UNARY, BINARY, NARY = 1, 2, 0
CLOSURE = "closure"
"""The op name of a node whose δ step is a user's Python closure (micrograd's ``out._backward = ...``).

Such a node carries its own :class:`Op` (arity ``CLOSURE_ARITY``, derivative = the closure) in
``param``; it is never in :data:`OPS`.
"""
CLOSURE_ARITY = -1


@dataclass(frozen=True, slots=True)
class Op:
    """One operation: its name, graph symbol, arity and its two rules."""

    name: str
    symbol: str
    arity: int
    forward: Callable[..., Any]
    derivative: Callable[..., Any]
    doc: str


def _pow_dx(F, x, c):
    """∂(x**c)/∂x = c·x**(c-1), and 0 for c = 0 (x**0 is the constant 1)."""
    return 0.0 if c == 0 else c * F.pow(x, c - 1)


def _pow_dy(F, x, out):
    """∂(x**y)/∂y = x**y·log(x); 0 where x = 0 (PyTorch's convention)."""
    if float(x) == 0.0:
        return 0.0
    if float(x) < 0.0:
        raise ValueError(
            f"pow: the derivative with respect to the exponent needs log(base), undefined for base {float(x)!r}"
        )
    return out * F.log(x)


def _logsumexp(F, xs, p):
    m = F.max(xs)
    return m + F.log(F.sum([F.exp(x - m) for x in xs]))


_TABLE: list[tuple[Any, ...]] = [
    # name, symbol, arity, forward, derivative, doc
    ("add", "+", BINARY, lambda F, a, b, p: a + b, lambda F, a, b, out, p: (1.0, 1.0), "a + b; δa += δ, δb += δ"),
    ("sub", "-", BINARY, lambda F, a, b, p: a - b, lambda F, a, b, out, p: (1.0, -1.0), "a - b; δa += δ, δb -= δ"),
    ("mul", "*", BINARY, lambda F, a, b, p: a * b, lambda F, a, b, out, p: (b, a), "a · b; δa += δ·b, δb += δ·a"),
    (
        "div",
        "/",
        BINARY,
        lambda F, a, b, p: F.div(a, b),
        lambda F, a, b, out, p: (1.0 / b, -out / b),
        "a / b; δa += δ/b, δb -= δ·a/b²",
    ),
    (
        "pow",
        "^",
        BINARY,
        lambda F, a, b, p: F.pow(a, b),
        lambda F, a, b, out, p: (_pow_dx(F, a, b), _pow_dy(F, a, out)),
        "a ** b; δa += δ·b·a^(b-1), δb += δ·a^b·log a",
    ),
    (
        "powc",
        "^",
        UNARY,
        lambda F, x, p: F.pow(x, p),
        lambda F, x, out, p: _pow_dx(F, x, p),
        "x ** c for a constant c; δx += δ·c·x^(c-1)",
    ),
    ("neg", "-", UNARY, lambda F, x, p: -x, lambda F, x, out, p: -1.0, "-x; δx -= δ"),
    (
        "abs",
        "abs",
        UNARY,
        lambda F, x, p: abs(x),
        lambda F, x, out, p: F.where_pos(x, 1.0, F.where_nonneg(x, 0.0, -1.0)),
        "|x|; δx += δ·sign(x), with sign(0) = 0 as in PyTorch",
    ),
    (
        "exp",
        "exp",
        UNARY,
        lambda F, x, p: F.exp(x),
        lambda F, x, out, p: out,
        "eˣ; δx += δ·eˣ. Raises OverflowError past x ≈ 709.78",
    ),
    (
        "log",
        "log",
        UNARY,
        lambda F, x, p: F.log(x),
        lambda F, x, out, p: 1.0 / x,
        "natural log ln x; δx += δ/x. Raises ValueError for x <= 0",
    ),
    (
        "sqrt",
        "√",
        UNARY,
        lambda F, x, p: F.sqrt(x),
        lambda F, x, out, p: 0.5 / out,
        "√x; δx += δ/(2√x). Raises ValueError for x < 0",
    ),
    (
        "tanh",
        "tanh",
        UNARY,
        lambda F, x, p: F.tanh(x),
        lambda F, x, out, p: 1.0 - out * out,
        "tanh x; δx += δ·(1 - tanh²x)",
    ),
    (
        "sigmoid",
        "σ",
        UNARY,
        lambda F, x, p: F.sigmoid(x),
        lambda F, x, out, p: out * (1.0 - out),
        "σ(x) = 1/(1 + e⁻ˣ), computed without overflow; δx += δ·σ(x)(1 - σ(x))",
    ),
    (
        "relu",
        "ReLU",
        UNARY,
        lambda F, x, p: F.where_pos(x, x, 0.0),
        lambda F, x, out, p: F.where_pos(x, 1.0, 0.0),
        "max(0, x); δx += δ for x > 0, else 0 (0 at x = 0, PyTorch's choice)",
    ),
    (
        "leaky_relu",
        "LReLU",
        UNARY,
        lambda F, x, p: F.where_pos(x, x, p * x),
        lambda F, x, out, p: F.where_pos(x, 1.0, p),
        "x for x > 0, else slope·x; δx += δ, or δ·slope",
    ),
    (
        "elu",
        "ELU",
        UNARY,
        lambda F, x, p: F.elu(x, p),
        lambda F, x, out, p: F.where_pos(x, 1.0, out + p),
        "x for x > 0, else α(eˣ - 1); δx += δ, or δ·αeˣ",
    ),
    (
        "softplus",
        "softplus",
        UNARY,
        lambda F, x, p: F.softplus(x),
        lambda F, x, out, p: F.sigmoid(x),
        "ln(1 + eˣ), computed without overflow; δx += δ·σ(x)",
    ),
    ("sin", "sin", UNARY, lambda F, x, p: F.sin(x), lambda F, x, out, p: F.cos(x), "sin x; δx += δ·cos x"),
    ("cos", "cos", UNARY, lambda F, x, p: F.cos(x), lambda F, x, out, p: -F.sin(x), "cos x; δx -= δ·sin x"),
    ("sum", "Σ", NARY, lambda F, xs, p: F.sum(xs), lambda F, xs, out, p: (1.0,) * len(xs), "Σ xᵢ; δxᵢ += δ"),
    (
        "mean",
        "mean",
        NARY,
        lambda F, xs, p: F.sum(xs) / len(xs),
        lambda F, xs, out, p: (1.0 / len(xs),) * len(xs),
        "(1/n) Σ xᵢ; δxᵢ += δ/n",
    ),
    (
        "dot",
        "·",
        NARY,
        lambda F, xs, p: F.dot(xs[:p], xs[p : 2 * p], xs[2 * p :]),
        lambda F, xs, out, p: (*xs[p : 2 * p], *xs[:p], *(1.0,) * (len(xs) - 2 * p)),
        "Σ wᵢxᵢ (+ b) over inputs (w₁..wₙ, x₁..xₙ[, b]); δwᵢ += δ·xᵢ, δxᵢ += δ·wᵢ, δb += δ",
    ),
    (
        "logsumexp",
        "LSE",
        NARY,
        _logsumexp,
        lambda F, xs, out, p: tuple(F.exp(x - out) for x in xs),
        "log Σ exp xᵢ (shifted by max for stability); δxᵢ += δ·softmax(x)ᵢ",
    ),
]


class Registry(dict[str, Op]):
    """The type of :data:`OPS`: a dict that calls its subscribers after every change.

    A consumer that reads an op on every call keeps what it needs in hand and
    refreshes it when told (:meth:`subscribe`), so a replaced or removed op is
    still seen at once: the operators' forward rules do this (a dict lookup per
    ``a * b`` was a seventh of its time, benchmarks/bench_core.py).
    """

    def __init__(self) -> None:
        super().__init__()
        self._subscribers: list[Callable[[], None]] = []

    def subscribe(self, refresh: Callable[[], None]) -> None:
        """Call ``refresh()`` now and after every change of the table."""
        self._subscribers.append(refresh)
        refresh()

    def _changed(self) -> None:
        for refresh in self._subscribers:
            refresh()

    def __setitem__(self, name: str, op: Op) -> None:
        super().__setitem__(name, op)
        self._changed()

    def __delitem__(self, name: str) -> None:
        super().__delitem__(name)
        self._changed()

    def __ior__(self, other: Any) -> Registry:  # type: ignore[override,misc]
        self.update(other)
        return self

    def clear(self) -> None:
        super().clear()
        self._changed()

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def pop(self, *args: Any) -> Any:
        op = super().pop(*args)
        self._changed()
        return op

    def popitem(self) -> tuple[str, Op]:
        item = super().popitem()
        self._changed()
        return item

    def setdefault(self, *args: Any) -> Any:
        op = super().setdefault(*args)
        self._changed()
        return op


OPS = Registry()
"""The live registry of ops, name → :class:`Op`. Add to it with :func:`register` (or :func:`autograd.register_op`)."""


def register(op: Op, replace: bool = False) -> Op:
    """Add ``op`` to :data:`OPS`: the one door for the built-in ops and for :func:`autograd.register_op`.

    An existing name is replaced only with ``replace=True``; otherwise it is a ValueError.
    """
    if not isinstance(op.name, str) or not op.name.isidentifier():
        raise ValueError(f"register_op: an op name must be a Python identifier such as 'atan', got {op.name!r}")
    if op.name == CLOSURE:
        raise ValueError(f"register_op: {CLOSURE!r} is reserved for nodes with a user-set _backward closure")
    if op.arity not in (UNARY, BINARY, NARY):
        raise ValueError(f"register_op: op {op.name!r} has arity {op.arity!r}; expected UNARY, BINARY or NARY")
    for rule in ("forward", "derivative"):
        if not callable(getattr(op, rule)):
            raise TypeError(f"register_op: the {rule} of op {op.name!r} must be callable, got {getattr(op, rule)!r}")
    if op.name in OPS and not replace:
        raise ValueError(
            f"register_op: an op named {op.name!r} already exists ({OPS[op.name].doc}); pass replace=True to replace it"
        )
    OPS[op.name] = op
    return op


for _row in _TABLE:
    register(Op(*_row))
_SHIPPED = dict(OPS)


def is_built_in(op: Op | None) -> bool:
    """Whether ``op`` is the op deltagrad ships under its name, not one given by ``register_op(..., replace=True)``.

    A fast path that stands in for an op's rules (the compiled mode's ufuncs, matrix products, row-wise and fused
    kernels) is taken only while :data:`OPS` holds the built-in op, so a replaced rule is honoured everywhere.
    """
    return op is not None and _SHIPPED.get(op.name) is op


def array_rule_error(op: Op, F: Any, operands: Sequence[float], param: Any) -> str | None:
    """Why ``op``'s rules cannot run elementwise on numpy arrays in namespace ``F``, or None when they can.

    The compiled mode calls this at compile time: the rules are tried on (2 × 2)
    blocks filled with one traced node's operands and compared with the float
    rules on the same numbers, so a rule written with ``math.*`` (or a numpy
    namespace missing a function) is reported before any batch runs. Unary and
    binary ops only (the n-ary ops are reductions the compiled mode knows).
    """
    if op.arity not in (UNARY, BINARY):
        return None
    blocks = [np.full((2, 2), float(x)) for x in operands]

    def mismatch(got: Any, expected: Any) -> bool:
        try:
            got = np.broadcast_to(np.asarray(got, dtype=float), (2, 2))
        except (TypeError, ValueError):
            return True
        return not np.allclose(got, expected, rtol=1e-9, atol=1e-12, equal_nan=True)

    def failure(rule: str, e: Exception) -> str:
        if isinstance(e, AttributeError) and e.obj is F:
            return f"its {rule} calls F.{e.name}, which the numpy namespace {type(F).__name__} lacks"
        return f"its {rule} does not accept numpy arrays ({type(e).__name__}: {e})"

    with np.errstate(all="ignore"):
        try:
            out = op.forward(F, *blocks, param)
        except Exception as e:  # any failure here means the rule does not take arrays
            return failure("forward", e)
        expected = op.forward(FLOAT, *operands, param)
        if mismatch(out, expected):
            return f"its forward is not elementwise on numpy arrays (gives {out!r}, each entry should be {expected!r})"
        try:
            partials = op.derivative(F, *blocks, np.full((2, 2), expected), param)
        except Exception as e:
            return failure("derivative", e)
        try:
            expected_partials = op.derivative(FLOAT, *operands, expected, param)
        except (ArithmeticError, ValueError):
            return None  # undefined at this point in float too: nothing to compare
        if op.arity == UNARY:
            partials, expected_partials = (partials,), (expected_partials,)
        if len(partials) != len(expected_partials) or any(map(mismatch, partials, expected_partials)):
            return f"its derivative is not elementwise on numpy arrays (gives {partials!r})"
    return None
