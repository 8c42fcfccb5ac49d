"""The live op table :data:`OPS`: every operation, built-in or a user's, as one :class:`Op` entry.

An entry is what :func:`autograd.register_op` was given, in one dialect for every op:

* ``forward(x)`` / ``forward(a, b)`` / ``forward(xs)`` on floats (plus the op's number ``p`` last, when the
  op declares a ``param``, such as a leaky-ReLU slope);
* ``derivative(x, out)`` → ∂out/∂x, ``derivative(a, b, out)`` → (∂out/∂a, ∂out/∂b), ``derivative(xs, out)``
  → one ∂out/∂xᵢ per input (plus ``p`` last). It is written with operators and the functions of
  :data:`autograd.maths.F`, so the same rule runs on floats (first-order backward), on Values
  (``create_graph=True``: the local derivatives are themselves graphs) and on numpy arrays (compiled mode);
* optional ``array_forward`` / ``array_derivative`` for the compiled mode, where the float rules do not
  take arrays or a faster numpy form exists; an n-ary op's array forms see its inputs along the last axis
  of a (batch × nodes × inputs) block;
* the graph symbol, a doc line, and what the tests need: the region each operand is drawn from
  (``domain``), parameter values to try (``test_params``) and the PyTorch function it must agree with
  (``torch``).

Backward applies the chain rule with the derivative: δ_input += δ_out · ∂out/∂input.

:data:`OPS` is live: every consumer (forward, backward, higher order, the math namespace ``F``, viz, the
compiled mode, the tests' per-op tables) looks an op up when it runs, so a registered or replaced op is
seen everywhere. This module knows nothing of Values: it is the table and its door, :func:`add`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Op",
    "OPS",
    "Registry",
    "add",
    "BUILT_IN",
    "is_built_in",
    "UNARY",
    "BINARY",
    "NARY",
    "CLOSURE",
    "CLOSURE_ARITY",
    "Region",
    "REAL",
    "WIDE",
    "POSITIVE",
    "NONZERO",
    "OFF_KINK",
    "NON_INTEGER",
]

UNARY, BINARY, NARY = 1, 2, 0
CLOSURE = "closure"
"""The op name of a node whose δ step is a user's Python closure (micrograd's ``out._backward = ...``).

Such a node carries its own :class:`Op` (arity ``CLOSURE_ARITY``, derivative = the closure) in
``param``; it is never in :data:`OPS`.
"""
CLOSURE_ARITY = -1

Region = tuple[tuple[float, float], ...]
"""Where a test may draw an operand: a union of open intervals (low, high)."""
REAL: Region = ((-2.0, 2.0),)
WIDE: Region = ((-6.0, 6.0),)
POSITIVE: Region = ((0.2, 3.0),)
NONZERO: Region = ((-2.0, -0.2), (0.2, 2.0))
OFF_KINK: Region = ((-2.0, -0.05), (0.05, 2.0))
"""Real numbers away from 0, for ops whose derivative jumps there (relu, abs, ...)."""
NON_INTEGER: Region = ((-2.0, -1.0), (-1.0, 0.0), (0.0, 1.0), (1.0, 2.0))
"""(-2, 2) without the integers (torch masks some higher derivatives of xʸ at integer y)."""


@dataclass(frozen=True, slots=True)
class Op:
    """One operation: its name, graph symbol, arity, rules, doc line and test declarations.

    ``arity`` is :data:`UNARY`, :data:`BINARY` or :data:`NARY` (a list of inputs). ``param`` names the
    op's number parameter (None for none), passed to every rule after the operands (and ``out``).
    """

    name: str
    symbol: str
    arity: int
    forward: Callable[..., Any]
    derivative: Callable[..., Any]
    doc: str
    param: str | None = None
    array_forward: Callable[..., Any] | None = None
    array_derivative: Callable[..., Any] | None = None
    domain: tuple[Region, ...] = ()
    test_params: tuple[Any, ...] = ()
    torch: str | None = None

    def apply(self, operands: Any, param: Any = None) -> Any:
        """The forward rule on ``operands`` (a sequence of the op's operands; an n-ary op's one list)."""
        return self.forward(*operands) if self.param is None else self.forward(*operands, param)

    def partials(self, operands: Any, out: Any, param: Any = None) -> tuple[Any, ...]:
        """∂out/∂operand for each operand (an n-ary op: for each input of its list), by the derivative rule."""
        d = self.derivative(*operands, out) if self.param is None else self.derivative(*operands, out, param)
        return (d,) if self.arity == UNARY else tuple(d)


class Registry(dict[str, Op]):
    """The type of :data:`OPS`: a dict that calls its subscribers after every change.

    A consumer that reads an op on every call keeps what it needs in hand and refreshes it when told
    (:meth:`subscribe`), so a replaced or removed op is still seen at once (the operators' forward
    rules; benchmarks/bench_core.py).
    """

    def __init__(self) -> None:
        """An empty table with no subscribers."""
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
        """Set the entry ``name``, then tell the subscribers."""
        super().__setitem__(name, op)
        self._changed()

    def __delitem__(self, name: str) -> None:
        """Remove the entry ``name``, then tell the subscribers."""
        super().__delitem__(name)
        self._changed()

    def __ior__(self, other: Any) -> Registry:  # type: ignore[override,misc]
        """``OPS |= entries``: :meth:`update`."""
        self.update(other)
        return self

    def clear(self) -> None:
        """Remove every entry, then tell the subscribers."""
        super().clear()
        self._changed()

    def update(self, *args: Any, **kwargs: Any) -> None:
        """dict.update, then tell the subscribers."""
        super().update(*args, **kwargs)
        self._changed()

    def pop(self, *args: Any) -> Any:
        """dict.pop, then tell the subscribers."""
        op = super().pop(*args)
        self._changed()
        return op

    def popitem(self) -> tuple[str, Op]:
        """dict.popitem, then tell the subscribers."""
        item = super().popitem()
        self._changed()
        return item

    def setdefault(self, *args: Any) -> Any:
        """dict.setdefault, then tell the subscribers."""
        op = super().setdefault(*args)
        self._changed()
        return op


OPS = Registry()
"""The live registry of ops, name → :class:`Op`. Add to it with :func:`autograd.register_op`."""


BUILT_IN: dict[str, Op] = {}
"""The ops deltagrad ships, name → entry: filled once by :mod:`autograd.ops` after its declarations."""


def is_built_in(op: Op | None) -> bool:
    """Whether ``op`` is the op deltagrad ships under its name, not one given by ``register_op(..., replace=True)``.

    A fast path that stands in for an op's rules (the compiled mode's matrix products and fused kernels, the
    backward pass calling a rule without checking what it returns) is taken only while :data:`OPS` holds the
    built-in op, so a replaced rule is honoured (and checked) everywhere.
    """
    return op is not None and BUILT_IN.get(op.name) is op


def add(op: Op, replace: bool = False) -> Op:
    """Put ``op`` into :data:`OPS` after checking it: the door :func:`autograd.register_op` goes through.

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
    for rule in ("array_forward", "array_derivative"):
        if getattr(op, rule) is not None and not callable(getattr(op, rule)):
            raise TypeError(f"register_op: the {rule} of op {op.name!r} must be callable or None")
    if op.name in OPS and not replace:
        raise ValueError(
            f"register_op: an op named {op.name!r} already exists ({OPS[op.name].doc}); pass replace=True to replace it"
        )
    OPS[op.name] = op
    return op
