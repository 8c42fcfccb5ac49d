"""Declaring an op: :func:`register_op`, the one public call that the built-in ops are declared with too."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from .registry import BINARY, NARY, OPS, UNARY, Op, Region, add
from .value import Value, record

__all__ = ["register_op"]


def _arity(name: str, derivative: Callable[..., Any], param: str | None) -> int:
    """UNARY for ``derivative(x, out)``, BINARY for ``derivative(a, b, out)`` (one more with a ``param``)."""
    try:
        parameters = inspect.signature(derivative).parameters.values()
    except (TypeError, ValueError):
        raise TypeError(
            f"register_op: cannot read the signature of the derivative of {name!r}; pass a function "
            "derivative(x, out) for a unary op or derivative(a, b, out) for a binary op"
        ) from None
    positional = [
        p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    n = len(positional) - (param is not None)
    if n == 2:
        return UNARY
    if n == 3:
        return BINARY
    extra = f", {param}" if param else ""
    raise TypeError(
        f"register_op: the derivative of {name!r} takes {len(positional)} argument(s); expected derivative(x, out"
        f"{extra}) -> ∂out/∂x for a unary op, or derivative(a, b, out{extra}) -> (∂out/∂a, ∂out/∂b) for a binary op"
    )


def _forward_arity(forward: Callable[..., Any]) -> int | None:
    """How many arguments ``forward`` takes (a numpy ufunc's ``nin``, else its required positional parameters),
    or None when it cannot tell (``*args``, or no readable signature)."""
    nin = getattr(forward, "nin", None)
    if isinstance(nin, int):
        return nin
    try:
        parameters = list(inspect.signature(forward).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind == p.VAR_POSITIONAL for p in parameters):
        return None
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for p in parameters if p.kind in positional and p.default is p.empty)


_KIND = {UNARY: "unary", BINARY: "binary", NARY: "n-ary"}


def _check_arities(name: str, forward: Callable[..., Any], arity: int, param: str | None) -> None:
    """A forward whose arity is not the derivative's, or a replacement of an op of another arity: a TypeError
    at registration, before any ``a + b`` fails."""
    expected = (1 if arity == NARY else arity) + (param is not None)
    n_forward = _forward_arity(forward)
    if n_forward is not None and n_forward != expected:
        rule = {UNARY: "derivative(x, out)", BINARY: "derivative(a, b, out)", NARY: "derivative(xs, out)"}[arity]
        raise TypeError(
            f"register_op: the forward of {name!r} takes {n_forward} argument(s) but its derivative is "
            f"{_KIND[arity]} ({rule}), so forward should take {expected}; forward(x) goes with derivative(x, out), "
            "forward(a, b) with derivative(a, b, out)"
        )
    existing = OPS.get(name)
    if existing is not None and (existing.arity, existing.param is None) != (arity, param is None):
        raise TypeError(
            f"register_op: {name!r} is a {_KIND[existing.arity]} op"
            + (f" with a parameter ({existing.param})" if existing.param else "")
            + f"; replacing it with a {_KIND[arity]} one"
            + (f" with a parameter ({param})" if param else "")
            + " would break every use of it; register the new op under another name"
        )


def register_op(
    name: str,
    forward: Callable[..., Any],
    derivative: Callable[..., Any],
    symbol: str | None = None,
    doc: str = "",
    replace: bool = False,
    *,
    arity: int | None = None,
    param: str | None = None,
    array_forward: Callable[..., Any] | None = None,
    array_derivative: Callable[..., Any] | None = None,
    domain: tuple[Region, ...] = (),
    test_params: tuple[Any, ...] = (),
    torch: str | None = None,
) -> Callable[..., Value]:
    """Add an op to the live op table :data:`autograd.OPS` and return the function that records it.

    ``forward(x) -> out`` and ``derivative(x, out) -> ∂out/∂x`` define a unary op; ``forward(a, b)`` and
    ``derivative(a, b, out) -> (∂out/∂a, ∂out/∂b)`` a binary one (the arity is read from the derivative's
    signature); with ``arity=0`` (``autograd.registry.NARY``) ``forward(xs)`` and ``derivative(xs, out)``
    take a list of inputs and give one ∂out/∂xᵢ each. With ``param="slope"`` every rule takes the op's
    number last (``forward(x, slope)``, ``derivative(x, out, slope)``). Backward then applies the chain
    rule δ_input += δ_out · ∂out/∂input. The op works wherever a built-in op does (the built-in ops are
    declared with this call, in ``autograd/ops.py``): backward, ``gradcheck``, ``viz`` (``symbol`` on its
    node, default the name; the local derivative on each edge), ``autograd.maths.F.<name>``, and also

    * higher order (``create_graph=True``, ``grad(grad(f))``, ``hessian``) when ``derivative`` is written
      with operators, Value methods and ``autograd.maths.F`` (so that it accepts Values);
    * :func:`autograd.compile` when the rules accept numpy arrays (``np.arctan`` rather than
      ``math.atan``) or ``array_forward`` / ``array_derivative`` give array forms; otherwise compiling a
      graph that uses the op is an error naming what it lacks.

    ``domain`` (one :data:`autograd.registry.Region` per operand), ``test_params`` and ``torch`` (the
    dotted name of the PyTorch function it equals, e.g. ``"torch.atan"``) are read by deltagrad's test
    suite, which tests every op of the table from them. An existing name (built-in or not) is replaced
    only with ``replace=True``.

    >>> import math
    >>> atan = register_op("atan_example", forward=math.atan, derivative=lambda x, out: 1 / (1 + x * x))
    >>> y = atan(Value(1.0)); y.backward()
    >>> round(y.data, 6), y.inputs[0].grad
    (0.785398, 0.5)
    """
    if not callable(forward) or not callable(derivative):
        raise TypeError(f"register_op: forward and derivative of {name!r} must be functions")
    if arity is None:
        arity = _arity(name, derivative, param)
    _check_arities(name, forward, arity, param)
    text = doc or f"{name}: registered with autograd.register_op"
    op = Op(
        name,
        name if symbol is None else symbol,
        arity,
        forward,
        derivative,
        text,
        param,
        array_forward,
        array_derivative,
        tuple(domain),
        tuple(test_params),
        torch,
    )
    add(op, replace)
    n_args = (2 if arity == BINARY else 1) + (param is not None)

    def recorder(*args: Any) -> Value:
        if len(args) != n_args:
            what = "operand(s)" if param is None else f"argument(s) (operands, then {param})"
            raise TypeError(f"{name}: takes {n_args} {what}, got {len(args)}")
        operands, p = (args[:-1], args[-1]) if param is not None else (args, None)
        try:
            out = record(name, operands, p)
        except (ArithmeticError, ValueError) as e:
            items = operands[0] if arity == NARY else operands
            shown = ", ".join(repr(getattr(x, "data", x)) for x in items)
            raise type(e)(f"{name}({shown}): {e}") from e
        return out

    recorder.__name__ = recorder.__qualname__ = name
    recorder.__doc__ = f"{text}\n\nRecords op {name!r} of autograd.OPS on Values or numbers."
    return recorder
