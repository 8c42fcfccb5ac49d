"""The math namespace derivative rules are written over, derived from the live op table.

:data:`F` holds every op of :data:`autograd.OPS` as a function that accepts floats, Values or numpy
arrays alike: ``F.cos(x)`` is ``math.cos``-like on a float (the op's forward rule, domain-checked), records
a ``cos`` node on a Value (so a derivative evaluated on Values is itself a graph: higher order), and runs the
op's array forward on a numpy array (compiled mode). Nothing is written per op: a newly registered op is
``F.<its name>`` at once. :func:`where` is the one non-op helper, a branch that also works elementwise.

So one derivative rule, such as sin's ``lambda x, out: F.cos(x)`` or relu's
``lambda x, out: where(x > 0.0, 1.0, 0.0)``, serves first-order backward, ``create_graph=True`` and the
compiled mode.

numpy is never imported here: :data:`np` imports it at its first use, which only array code reaches.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import partial
from typing import Any

from .registry import BINARY, NARY, OPS, UNARY
from .value import Value, record

__all__ = ["F", "OpFunctions", "where", "np"]


class _LazyNumpy:
    """numpy, imported when one of its attributes is first read (``np.exp(x)`` inside a rule)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(importlib.import_module("numpy"), name)


np: Any = _LazyNumpy()
"""numpy for array rules, imported at its first use: the scalar engine runs where numpy is not installed."""


def _is_number(x: Any) -> bool:
    return isinstance(x, (float, int))


def _call(name: str, *args: Any) -> Any:
    """Op ``name`` of :data:`OPS` on ``args`` (its operands, then its parameter if it has one)."""
    try:
        op = OPS[name]
    except KeyError:
        raise LookupError(f"F.{name}: op {name!r} is not in autograd.OPS (was it removed?)") from None
    n = 2 if op.arity == BINARY else 1
    operands, rest = args[:n], args[n:]
    if len(operands) != n or len(rest) != (op.param is not None):
        shape = {UNARY: "x", BINARY: "a, b", NARY: "xs"}[op.arity] + (f", {op.param}" if op.param else "")
        raise TypeError(f"F.{name}({shape}): got {len(args)} argument(s)")
    flat = operands[0] if op.arity == NARY else operands
    param = rest[0] if rest else None
    if any(isinstance(x, Value) for x in flat):
        return record(name, operands, param)
    if all(map(_is_number, flat)):
        return op.apply(operands, param)
    return (op.array_forward or op.forward)(*args)


class OpFunctions:
    """Every op of the live table as a function of floats, Values or arrays: ``F.exp(x)``, ``F.powc(x, c)``.

    Attributes are made on first use and forgotten when the table changes, so ``F`` always reflects
    :data:`autograd.OPS`.
    """

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("__") or name not in OPS:
            raise AttributeError(f"F.{name}: no op named {name!r} in autograd.OPS")
        function = partial(_call, name)
        self.__dict__[name] = function
        return function

    def __dir__(self) -> list[str]:
        return sorted(OPS)

    def forget(self) -> None:
        """Drop the functions made so far (called on every change of the table)."""
        self.__dict__.clear()


F = OpFunctions()
"""The ops of :data:`autograd.OPS` as functions of floats, Values or numpy arrays (see the module doc)."""
OPS.subscribe(F.forget)


def where(condition: Any, a: Any, b: Any) -> Any:
    """``a`` where ``condition`` holds, else ``b``: a plain branch for a bool (floats, Values compare to
    bools), ``numpy.where`` for an array of conditions (compiled mode)."""
    if condition is True:
        return a
    if condition is False:
        return b
    return np.where(condition, a, b)
