"""N-ary helpers (one node each) and the functional API ``grad``, ``value_and_grad``, ``hessian``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, overload

from .grad_mode import differentiating, is_differentiating
from .registry import OPS, Op
from .value import Constant, Number, Value, as_operand, backprop, seed_of

__all__ = [
    "sum",
    "dot",
    "dot_values",
    "mean",
    "logsumexp",
    "softmax",
    "log_softmax",
    "grad",
    "value_and_grad",
    "hessian",
]

Scalar = Value | Number
_FLOAT_MAX = sys.float_info.max


def _as_values(values: Iterable[Scalar], where: str) -> list[Value]:
    """``values`` as a non-empty list of Values (numbers become Constants)."""
    if type(values) is not list and (isinstance(values, (Value, str, bytes)) or not isinstance(values, Iterable)):
        raise TypeError(f"{where}: expected a list of Values or numbers, got {type(values).__name__}")
    out = [x if isinstance(x, Value) else _number(x, where) for x in values]
    if not out:
        raise ValueError(f"{where}: needs at least one value, got an empty list")
    return out


def _number(x: Any, where: str) -> Value:
    v = as_operand(x)
    if v is None:
        raise TypeError(f"{where}: expected Values or numbers, got {type(x).__name__} {x!r}")
    return v


def _nary(op: Op, inputs: list[Value], param: Any = None) -> Value:
    return Value._node(op.apply([[x.data for x in inputs]], param), op.name, tuple(inputs), param)


def sum(values: Iterable[Scalar]) -> Value:
    """Σ xᵢ as a single node (δxᵢ += δ), not a chain of additions.

    >>> sum([Value(1.0), 2, Value(3.5)]).data
    6.5
    """
    return _nary(OPS["sum"], _as_values(values, "sum"))


def mean(values: Iterable[Scalar]) -> Value:
    """(1/n) Σ xᵢ as a single node (δxᵢ += δ/n).

    >>> mean([1.0, 2.0, 6.0]).data
    3.0
    """
    return _nary(OPS["mean"], _as_values(values, "mean"))


def dot(ws: Iterable[Scalar], xs: Iterable[Scalar], bias: Scalar | None = None) -> Value:
    """Σ wᵢxᵢ (+ b) as a single node: δwᵢ += δ·xᵢ, δxᵢ += δ·wᵢ, δb += δ.

    This is a neuron's pre-activation z = wᵀx + b in one node. The node's
    inputs are ``(w₁..wₙ, x₁..xₙ)``, then ``b`` when given; its ``param`` is n.

    >>> dot([Value(2.0), Value(3.0)], [4.0, 5.0]).data
    23.0
    >>> dot([2.0, 3.0], [4.0, 5.0], bias=Value(0.5)).data
    23.5
    """
    ws, xs = _as_values(ws, "dot: weights"), _as_values(xs, "dot: inputs")
    if len(ws) != len(xs):
        raise ValueError(f"dot: length mismatch, {len(ws)} weights and {len(xs)} inputs")
    inputs = ws + xs
    if bias is not None:
        b = as_operand(bias)
        if b is None:
            raise TypeError(f"dot: bias must be a Value or a number, got {type(bias).__name__}")
        inputs.append(b)
    return _nary(OPS["dot"], inputs, len(ws))


def dot_values(ws: Sequence[Value], xs: Sequence[Value], bias: Value | None = None) -> Value:
    """:func:`dot` for operands the caller has already checked: lists of Values of equal length.

    A layer checks its input list once per call and its weights are its own
    Parameters, so its neurons skip :func:`dot`'s per-element checks (a fifth
    of a digits epoch on the scalar path).

    >>> dot_values([Value(2.0), Value(3.0)], [Value(4.0), Value(5.0)], Value(0.5)).data
    23.5
    """
    # list + list copies both in one step, also for a list subclass (a module's weights), which [*ws, *xs] iterates
    inputs = ws + xs if isinstance(ws, list) and isinstance(xs, list) else [*ws, *xs]
    if bias is not None:
        inputs.append(bias)
    return _nary(OPS["dot"], inputs, len(ws))


def logsumexp(values: Iterable[Scalar]) -> Value:
    """log Σ exp xᵢ, shifted by max xᵢ so large inputs do not overflow; δxᵢ += δ·softmax(x)ᵢ.

    >>> round(logsumexp([1000.0, 1000.0]).data, 6)
    1000.693147
    """
    return _nary(OPS["logsumexp"], _as_values(values, "logsumexp"))


def _shifted(xs: list[Value], far: bool) -> tuple[list[Value], Value]:
    """(yᵢ = xᵢ − m, logsumexp(y)) with m = max x, a constant: log-probabilities are yᵢ − logsumexp(y).

    xᵢ − logsumexp(x) would lose what logsumexp adds to the largest x once |x| passes about 1e16
    (1e308 + log 2 is 1e308 in floats); y's largest entry is 0, so logsumexp(y) ∈ [0, log k] is exact to
    its last digit. The shift changes no derivative (softmax is shift-invariant, and m is a constant):
    δxᵢ = δyᵢ. With ``far``, an xᵢ − m past the float range (its probability is 0 in floats) enters as
    xᵢ/2 − m/2, as far below the others, finite, with derivatives 0 like PyTorch's.
    """
    m = max(x.data for x in xs)
    shift, half = as_operand(m), as_operand(m * 0.5)
    ys = [x - shift if not far or x.data - m >= -_FLOAT_MAX else x * 0.5 - half for x in xs]
    return ys, logsumexp(ys)


def log_softmax(values: Iterable[Scalar]) -> list[Value]:
    """log pᵢ = (xᵢ − m) − log Σⱼ exp(xⱼ − m) with m = max x: log-probabilities, exact for any input scale.

    δxⱼ = δoⱼ − pⱼ·Σᵢ δoᵢ. An entry whose log-probability is below the float range (PyTorch's −inf)
    raises :class:`~autograd.errors.NonFiniteError`.

    >>> [round(o.data, 6) for o in log_softmax([1e308, 1e308])]
    [-0.693147, -0.693147]
    """
    ys, lse = _shifted(_as_values(values, "log_softmax"), far=False)
    return [y - lse for y in ys]


def softmax(values: Iterable[Scalar]) -> list[Value]:
    """pᵢ = exp((xᵢ − m) − log Σⱼ exp(xⱼ − m)) with m = max x: probabilities that sum to 1, never overflowing.

    δxⱼ = pⱼ·(δpⱼ − Σᵢ δpᵢpᵢ). Subtracting the max first keeps ties among huge inputs exact
    (``softmax([1e308, 1e308])`` is [0.5, 0.5]); an entry whose xᵢ − m is past the float range has
    probability 0 in floats, as in PyTorch, and stays in the graph with derivatives 0.

    >>> [round(p.data, 4) for p in softmax([1.0, 2.0, 3.0])]
    [0.09, 0.2447, 0.6652]
    >>> [p.data for p in softmax([1e308, 1e308])], [p.data for p in softmax([1e308, -1e308])]
    ([0.5, 0.5], [1.0, 0.0])
    """
    ys, lse = _shifted(_as_values(values, "softmax"), far=True)
    return [(y - lse).exp() for y in ys]


# ------------------------------------------------------------------ functional API
def _is_sequence(x: Any) -> bool:
    """A list, tuple or numpy array (numpy is not imported for this: an array exists only if numpy is)."""
    if isinstance(x, (list, tuple)):
        return True
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(x, numpy.ndarray)


def _leaf(x: Any, where: str) -> tuple[Value, bool]:
    """``x`` as a Value to differentiate with respect to; True if it was already a Value."""
    if isinstance(x, Value):
        return x, True
    v = as_operand(x)
    if v is None:
        raise TypeError(f"{where}: can only differentiate with respect to numbers or Values, got {type(x).__name__}")
    return Value(v.data), False


def _deltas(out: Any, leaves: list[Value], create_graph: bool, where: str) -> list[Any]:
    """∂out/∂leaf for each leaf: floats, or Values when ``create_graph``."""
    zero: Any = Constant(0.0) if create_graph else 0.0
    if not isinstance(out, Value):
        if as_operand(out) is None:
            raise TypeError(f"{where}: the function must return a Value (or a number), got {type(out).__name__}")
        return [zero for _ in leaves]
    _, delta = backprop([out], [1.0], create_graph, wanted=leaves)
    return [zero if delta.get(leaf) is None else delta[leaf] for leaf in leaves]


def _grad_and_value(f: Callable[..., Any], argnums: int | Sequence[int], where: str) -> Callable[..., tuple[Any, Any]]:
    single = isinstance(argnums, int)
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)

    def run(*args: Any) -> tuple[Any, Any]:
        for i in nums:
            if not -len(args) <= i < len(args):
                raise IndexError(f"{where}: argnums {i} is out of range for {len(args)} argument(s)")
        argv = list(args)
        groups, sequences, nested = [], [], is_differentiating()
        for i in nums:
            is_sequence = _is_sequence(argv[i])
            pairs = [_leaf(x, where) for x in (argv[i] if is_sequence else [argv[i]])]
            nested = nested or any(was_value for _, was_value in pairs)
            leaves = [v for v, _ in pairs]
            groups.append(leaves)
            sequences.append(is_sequence)
            argv[i] = leaves if is_sequence else leaves[0]
        with differentiating():
            out = f(*argv)
        deltas = _deltas(out, [leaf for leaves in groups for leaf in leaves], nested, where)
        grads, start = [], 0
        for leaves, is_sequence in zip(groups, sequences):
            g = deltas[start : start + len(leaves)]
            start += len(leaves)
            grads.append(g if is_sequence else g[0])
        value = out if nested or not isinstance(out, Value) else out.data
        return value, (grads[0] if single else tuple(grads))

    return run


def value_and_grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., tuple[Any, Any]]:
    """Like :func:`grad`, but the returned function gives ``(f(*args), gradient)``."""
    return _grad_and_value(f, argnums, "value_and_grad")


@overload
def grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]: ...


@overload
def grad(
    outputs: Value | Sequence[Value],
    inputs: Value | Sequence[Value],
    grad_outputs: Value | Number | Sequence[Value | Number] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Value | None, ...]: ...


def grad(*args: Any, **kwargs: Any) -> Any:
    """Gradients in two forms: JAX's ``grad(f, argnums=0)`` and PyTorch's ``grad(outputs, inputs, ...)``.

    **JAX form** (first argument a function): returns the function computing
    ∂f/∂args[argnums]. Arguments may be numbers, Values or lists of them (the
    gradient is then a list). Called with numbers it returns floats; called
    with Values, or inside a function another ``grad`` is differentiating, it
    returns Values recorded in a graph, so calls compose: ``grad(grad(f))`` is
    the second derivative and ``grad(grad(f, 0), 1)`` a mixed partial. ``f``
    always records its graph, even under ``no_grad``.

    >>> f = lambda x: x ** 3
    >>> grad(f)(2.0), grad(grad(f))(2.0), grad(grad(grad(f)))(2.0)
    (12.0, 12.0, 6.0)

    **PyTorch form** (first argument a Value or a list of Values), as
    ``torch.autograd.grad(outputs, inputs, grad_outputs=None, retain_graph=None,
    create_graph=False, allow_unused=False)``: returns a tuple with
    Σₖ grad_outputsₖ·∂outputsₖ/∂input for each input (``grad_outputs``
    defaults to 1 for each output), as Values, without touching any ``.grad``.
    With ``create_graph=True`` they are recorded in a graph (differentiate them
    again); an input the outputs do not depend on is an error, or None with
    ``allow_unused=True``. ``retain_graph`` is accepted and does nothing: a
    deltagrad graph is never freed.

    >>> x = Value(2.0)
    >>> y = x ** 3
    >>> (dx,) = grad(y, [x], create_graph=True)
    >>> dx.data, grad(dx, x)[0].data
    (12.0, 12.0)
    """
    first = args[0] if args else kwargs.get("outputs", kwargs.get("f"))
    if _are_values(first):
        return _torch_grad(*args, **kwargs)
    if callable(first):
        return _jax_grad(*args, **kwargs)
    raise TypeError(
        "grad: expected a function (JAX form, grad(f)) or a Value or list of Values (PyTorch form, "
        f"grad(outputs, inputs)), got {type(first).__name__}"
    )


def _are_values(x: Any) -> bool:
    return isinstance(x, Value) or (
        isinstance(x, (list, tuple)) and len(x) > 0 and all(isinstance(v, Value) for v in x)
    )


def _jax_grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    run = _grad_and_value(f, argnums, "grad")
    return lambda *args: run(*args)[1]


def _value_list(x: Any, what: str) -> list[Value]:
    values = [x] if isinstance(x, Value) else list(x) if isinstance(x, (list, tuple)) else None
    if not values or not all(isinstance(v, Value) for v in values):
        raise TypeError(f"grad: {what} must be a Value or a non-empty list of Values, got {x!r}")
    return values


def _torch_grad(
    outputs: Value | Sequence[Value],
    inputs: Value | Sequence[Value],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Value | None, ...]:
    outs, ins = _value_list(outputs, "outputs"), _value_list(inputs, "inputs")
    if grad_outputs is None:
        grad_outputs = [None] * len(outs)
    elif isinstance(outputs, Value) and not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outs):
        raise ValueError(f"grad: {len(outs)} output(s) but {len(grad_outputs)} grad_outputs")
    seeds = [seed_of(g, create_graph, "grad: grad_outputs") for g in grad_outputs]
    _, delta = backprop(outs, seeds, create_graph, wanted=ins)  # the pass's δ is its own dict (README, "Threads")
    result: list[Value | None] = []
    for x in ins:
        if x not in delta:
            result.append(None)
        elif create_graph:
            result.append(Constant(0.0) if delta[x] is None else delta[x])
        else:
            result.append(Value(delta[x]))
    for i, (x, r) in enumerate(zip(ins, result)):
        if r is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} ({x!r}) is not in the graph of the outputs; pass allow_unused=True to get None for it"
            )
    return tuple(result)


def hessian(f: Callable[..., Any]) -> Callable[..., Any]:
    """The function computing the matrix of second derivatives H[i][j] = ∂²f/∂xᵢ∂xⱼ.

    Call it with one list of numbers (``f`` then receives a list of Values) or
    with several numbers (``f`` receives them as separate arguments). The matrix
    is a numpy array when numpy is installed, else a list of rows (lists of floats):
    the scalar engine itself needs no numpy.

    >>> hessian(lambda x, y: x * x * y)(3.0, 2.0).tolist()
    [[4.0, 6.0], [6.0, 0.0]]
    """

    def run(*args: Any) -> Any:
        as_list = len(args) == 1 and _is_sequence(args[0])
        xs = list(args[0]) if as_list else list(args)
        leaves = [Value(float(x)) for x in xs]
        with differentiating():
            out = f(leaves) if as_list else f(*leaves)
        first = _deltas(out, leaves, True, "hessian")
        rows = [[float(d) for d in _deltas(g, leaves, False, "hessian")] for g in first]
        try:
            import numpy
        except ImportError:
            return rows
        return numpy.array(rows, dtype=float)

    return run
