"""Elementwise float vectors for the optimisers' rules where numpy is missing (a browser's Python).

:class:`nn.optim.Optimizer.update` is written once with arithmetic operators over whole
vectors of parameters. With numpy the vectors are float64 arrays; without it they are
:class:`Vector` s, which compute the same IEEE operations one element at a time, so the
numbers are the same. :func:`namespace` picks one: it offers ``array``, ``zeros`` and ``sqrt``.

>>> v = Vector([1.0, 4.0])
>>> (2.0 * v + v / 2.0).tolist(), sqrt(v).tolist()
([2.5, 10.0], [1.0, 2.0])
"""

from __future__ import annotations

import math
import operator
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .numpy_support import numpy_or_none

__all__ = ["Vector", "array", "zeros", "sqrt", "namespace"]


class Vector:
    """A list of floats with numpy's elementwise ``+ - * /`` (with a number or a vector of the same length)."""

    __slots__ = ("items",)

    def __init__(self, items: Iterable[float]) -> None:
        self.items = [float(x) for x in items]

    def _apply(self, other: Any, op: Callable[[float, float], float], swap: bool = False) -> Vector:
        if isinstance(other, Vector):
            if len(other.items) != len(self.items):
                raise ValueError(f"vectors of lengths {len(self.items)} and {len(other.items)}")
            pairs = zip(other.items, self.items) if swap else zip(self.items, other.items)
            return Vector(op(a, b) for a, b in pairs)
        return Vector(op(other, a) if swap else op(a, other) for a in self.items)

    def __add__(self, other: Any) -> Vector:
        return self._apply(other, operator.add)

    def __radd__(self, other: Any) -> Vector:
        return self._apply(other, operator.add, swap=True)

    def __sub__(self, other: Any) -> Vector:
        return self._apply(other, operator.sub)

    def __rsub__(self, other: Any) -> Vector:
        return self._apply(other, operator.sub, swap=True)

    def __mul__(self, other: Any) -> Vector:
        return self._apply(other, operator.mul)

    def __rmul__(self, other: Any) -> Vector:
        return self._apply(other, operator.mul, swap=True)

    def __truediv__(self, other: Any) -> Vector:
        return self._apply(other, operator.truediv)

    def __rtruediv__(self, other: Any) -> Vector:
        return self._apply(other, operator.truediv, swap=True)

    def __neg__(self) -> Vector:
        return Vector(-a for a in self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[float]:
        return iter(self.items)

    def __getitem__(self, i: int) -> float:
        return self.items[i]

    def tolist(self) -> list[float]:
        """The elements as a list of Python floats."""
        return list(self.items)

    def __repr__(self) -> str:
        return f"Vector({self.items!r})"


def array(values: Iterable[float], dtype: Any = float) -> Vector:
    """A new vector holding ``values`` (numpy's ``array`` for a flat list of floats)."""
    return Vector(values)


def zeros(n: int) -> Vector:
    """A vector of ``n`` zeros."""
    return Vector([0.0] * n)


def sqrt(x: Any) -> Any:
    """√x, elementwise for a vector."""
    return Vector(math.sqrt(a) for a in x) if isinstance(x, Vector) else math.sqrt(x)


def namespace() -> Any:
    """numpy where it is installed, else this module: the same ``array``, ``zeros`` and ``sqrt``."""
    np = numpy_or_none()
    return sys.modules[__name__] if np is None else np
