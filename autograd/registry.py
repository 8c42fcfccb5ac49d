"""Defining an op once: :func:`register_op` adds a row to the live op table, as the built-in ops are added."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from .maths import VALUE
from .ops import BINARY, FLOAT, OPS, UNARY, Op, register
from .value import Value, as_operand, values_only

__all__ = ["register_op"]


def _arity(name: str, derivative: Callable[..., Any]) -> int:
    """UNARY for ``derivative(x, out)``, BINARY for ``derivative(a, b, out)``, read from its signature."""
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
    if len(positional) == 2:
        return UNARY
    if len(positional) == 3:
        return BINARY
    raise TypeError(
        f"register_op: the derivative of {name!r} takes {len(positional)} argument(s); expected derivative(x, out) "
        "-> ∂out/∂x for a unary op, or derivative(a, b, out) -> (∂out/∂a, ∂out/∂b) for a binary op"
    )


def _rules(name: str, arity: int, forward: Callable[..., Any], derivative: Callable[..., Any]) -> tuple[Any, Any]:
    """The user's rules in the table's form ``rule(F, operands..., [out,] p)``.

    The user's functions take plain operands and rely on duck typing: floats in
    the forward pass and first-order backward, Values for higher order (where
    ``float(value)`` inside the derivative is an error, since it would silently
    cut the graph), numpy arrays in compiled mode.
    """

    def value_rule(F: Any, *args: Any) -> Any:
        if F is VALUE:
            try:
                with values_only(name):
                    return derivative(*args)
            except TypeError as e:
                raise TypeError(
                    f"higher-order gradients through {name!r}: its derivative does not accept Values ({e}); "
                    "write it with operators and Value methods (x.exp(), x.cos(), ...)"
                ) from e
        return derivative(*args)

    if arity == UNARY:
        return (lambda F, x, p: forward(x)), (lambda F, x, out, p: value_rule(F, x, out))
    return (lambda F, a, b, p: forward(a, b)), (lambda F, a, b, out, p: value_rule(F, a, b, out))


def register_op(
    name: str,
    forward: Callable[..., Any],
    derivative: Callable[..., Any],
    symbol: str | None = None,
    doc: str = "",
    replace: bool = False,
) -> Callable[..., Value]:
    """Add an op to the live op table and return the function that records it.

    ``forward(x) -> out`` and ``derivative(x, out) -> ∂out/∂x`` define a unary op;
    ``forward(a, b)`` and ``derivative(a, b, out) -> (∂out/∂a, ∂out/∂b)`` a binary
    one. The op then works wherever a built-in op does: backward, ``gradcheck``,
    ``viz`` (``symbol`` on its node, default the name; the local derivative on
    each edge), and also

    * higher order (``create_graph=True``, ``grad(grad(f))``, ``hessian``) when
      ``derivative`` is written with operators and Value methods, so that it
      accepts Values;
    * :func:`autograd.compile` when ``forward`` and ``derivative`` accept numpy
      arrays (``np.arctan`` rather than ``math.atan``); otherwise compiling a
      graph that uses the op is an error naming what it lacks.

    An existing name (built-in or not) is replaced only with ``replace=True``.

    >>> import math
    >>> atan = register_op("atan_example", forward=math.atan, derivative=lambda x, out: 1 / (1 + x * x))
    >>> y = atan(Value(1.0)); y.backward()
    >>> round(y.data, 6), y.inputs[0].grad
    (0.785398, 0.5)
    """
    if not callable(forward) or not callable(derivative):
        raise TypeError(f"register_op: forward and derivative of {name!r} must be functions")
    arity = _arity(name, derivative)
    forward_rule, derivative_rule = _rules(name, arity, forward, derivative)
    text = doc or f"{name}: registered with autograd.register_op"
    register(Op(name, name if symbol is None else symbol, arity, forward_rule, derivative_rule, text), replace)

    def record(*operands: Any) -> Value:
        if len(operands) != arity:
            raise TypeError(f"{name}: takes {arity} operand(s), got {len(operands)}")
        values = []
        for x in operands:
            v = as_operand(x)
            if v is None:
                raise TypeError(f"{name}: expected Values or numbers, got {type(x).__name__} {x!r}")
            values.append(v)
        data = [v.data for v in values]
        try:
            out = float(OPS[name].forward(FLOAT, *data, None))
        except (ArithmeticError, ValueError) as e:
            raise type(e)(f"{name}({', '.join(map(repr, data))}): {e}") from e
        if out != out:
            raise ValueError(f"{name}({', '.join(map(repr, data))}): the forward returned NaN")
        return Value._node(out, name, tuple(values))

    record.__name__ = record.__qualname__ = name
    record.__doc__ = f"{text}\n\nRecords op {name!r} of autograd.OPS on Values or numbers."
    return record
