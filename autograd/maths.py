"""The math namespaces the op table's rules are written over: floats, Values and numpy arrays.

An op's rules call ``F.exp(x)``, ``F.where_pos(x, a, b)`` … on the namespace
they are given, so one rule serves three consumers:

* :data:`FLOAT` (:class:`FloatMath`): scalar floats, domain-checked, for the
  forward pass and the fast first-order backward;
* :data:`VALUE` (:class:`ValueMath`): Values, for ``create_graph=True``, where
  the local derivatives are themselves differentiable graphs;
* :data:`NUMPY` (:class:`NumpyMath`): numpy arrays, elementwise, for the
  compiled batch mode.

:class:`MathNamespace` is the Protocol all three implement; the test suite
checks that each implements all of it and that the table uses nothing else, so
a function missing from one namespace is found by a test, not by a user.
Domain errors have the same types and messages in every namespace
(:mod:`autograd.errors`).
"""

from __future__ import annotations

import functools
import math
import operator
from typing import Any, Protocol

import numpy as np

from .errors import DomainError

__all__ = ["MathNamespace", "FloatMath", "ValueMath", "NumpyMath", "FLOAT", "VALUE", "NUMPY"]


class MathNamespace(Protocol):
    """What an op's rules may call on ``F``. Elementwise functions take numbers, Values or arrays alike."""

    def exp(self, x: Any) -> Any: ...
    def log(self, x: Any) -> Any: ...
    def sqrt(self, x: Any) -> Any: ...
    def div(self, a: Any, b: Any) -> Any: ...
    def pow(self, x: Any, c: Any) -> Any: ...
    def tanh(self, x: Any) -> Any: ...
    def sin(self, x: Any) -> Any: ...
    def cos(self, x: Any) -> Any: ...
    def sigmoid(self, x: Any) -> Any: ...
    def softplus(self, x: Any) -> Any: ...
    def elu(self, x: Any, alpha: float) -> Any: ...
    def where_pos(self, x: Any, a: Any, b: Any) -> Any:
        """``a`` where ``x > 0``, else ``b``."""
        ...

    def where_nonneg(self, x: Any, a: Any, b: Any) -> Any:
        """``a`` where ``x >= 0``, else ``b``."""
        ...

    # reductions over the inputs of an n-ary node (a list of scalars; an inputs × nodes × batch block in numpy)
    def sum(self, xs: Any) -> Any: ...
    def max(self, xs: Any) -> Any: ...
    def dot(self, ws: Any, xs: Any, bias: Any) -> Any:
        """Σ wᵢxᵢ, plus the bias when ``bias`` holds one."""
        ...


class FloatMath:
    """Scalar math on floats, checking each function's domain (errors from :class:`DomainError`)."""

    @staticmethod
    def exp(x: float) -> float:
        try:
            return math.exp(x)
        except OverflowError:
            raise DomainError.exp_overflow(x) from None

    @staticmethod
    def log(x: float) -> float:
        if x <= 0.0:
            raise DomainError.log(x)
        return math.log(x)

    @staticmethod
    def sqrt(x: float) -> float:
        if x < 0.0:
            raise DomainError.sqrt(x)
        return math.sqrt(x)

    @staticmethod
    def div(a: float, b: float) -> float:
        if b == 0.0:
            raise DomainError.div(a, b)
        return a / b

    @staticmethod
    def pow(x: float, c: float) -> float:
        if x == 0.0 and c < 0.0:
            raise DomainError.pow_zero(c)
        if x < 0.0 and not float(c).is_integer():
            raise DomainError.pow_negative(x, c)
        try:
            return x**c
        except OverflowError:
            raise DomainError.pow_overflow(x, c) from None

    tanh = staticmethod(math.tanh)
    sin = staticmethod(math.sin)
    cos = staticmethod(math.cos)

    @staticmethod
    def sigmoid(x: float) -> float:
        if x >= 0.0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)

    @staticmethod
    def softplus(x: float) -> float:
        return max(x, 0.0) + math.log1p(math.exp(-abs(x)))

    @staticmethod
    def elu(x: float, alpha: float) -> float:
        return x if x > 0.0 else alpha * math.expm1(x)

    @staticmethod
    def where_pos(x: float, a: Any, b: Any) -> Any:
        """``a`` where ``x > 0``, else ``b``."""
        return a if x > 0.0 else b

    @staticmethod
    def where_nonneg(x: float, a: Any, b: Any) -> Any:
        """``a`` where ``x >= 0``, else ``b``."""
        return a if x >= 0.0 else b

    # reductions over the inputs of an n-ary node (a list here; an inputs × nodes × batch block in numpy)
    sum = staticmethod(sum)
    max = staticmethod(max)

    @staticmethod
    def dot(ws: list[float], xs: list[float], bias: list[float]) -> float:
        """Σ wᵢxᵢ, plus the bias when ``bias`` holds one."""
        return sum(map(operator.mul, ws, xs), *bias)


FLOAT = FloatMath()


class ValueMath:
    """The math namespace over Values: derivative rules evaluated here build graphs (Value methods and operators)."""

    @staticmethod
    def exp(x: Any) -> Any:
        return x.exp()

    @staticmethod
    def log(x: Any) -> Any:
        return x.log()

    @staticmethod
    def sqrt(x: Any) -> Any:
        return x.sqrt()

    @staticmethod
    def div(a: Any, b: Any) -> Any:
        return a / b

    @staticmethod
    def pow(x: Any, c: Any) -> Any:
        return x**c

    @staticmethod
    def tanh(x: Any) -> Any:
        return x.tanh()

    @staticmethod
    def sin(x: Any) -> Any:
        return x.sin()

    @staticmethod
    def cos(x: Any) -> Any:
        return x.cos()

    @staticmethod
    def sigmoid(x: Any) -> Any:
        return x.sigmoid()

    @staticmethod
    def softplus(x: Any) -> Any:
        return x.softplus()

    @staticmethod
    def elu(x: Any, alpha: float) -> Any:
        return x.elu(alpha)

    @staticmethod
    def where_pos(x: Any, a: Any, b: Any) -> Any:
        return a if x.data > 0.0 else b

    @staticmethod
    def where_nonneg(x: Any, a: Any, b: Any) -> Any:
        return a if x.data >= 0.0 else b

    @staticmethod
    def sum(xs: Any) -> Any:
        return functools.reduce(operator.add, xs)

    max = staticmethod(max)  # Values compare by data: the largest input itself

    @staticmethod
    def dot(ws: Any, xs: Any, bias: Any) -> Any:
        return functools.reduce(operator.add, [*map(operator.mul, ws, xs), *bias])


VALUE = ValueMath()


def _first(x: Any, bad: np.ndarray) -> float:
    """The first element of ``x`` where ``bad`` holds, as a float for error messages."""
    return float(np.broadcast_to(x, bad.shape)[bad][0])


class NumpyMath:
    """The op table's math namespace over numpy arrays (elementwise).

    Domain errors have the types and messages of :class:`~autograd.ops.FloatMath`,
    quoting the first offending element.

    >>> NUMPY.sigmoid(np.array([-800.0, 0.0, 800.0])).tolist()
    [0.0, 0.5, 1.0]
    """

    tanh = staticmethod(np.tanh)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)

    @staticmethod
    def exp(x: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            out = np.exp(x)
        overflow = np.isinf(out) & np.isfinite(x)
        if overflow.any():
            raise DomainError.exp_overflow(_first(x, overflow))
        return out

    @staticmethod
    def log(x: np.ndarray) -> np.ndarray:
        bad = x <= 0.0
        if bad.any():
            raise DomainError.log(_first(x, bad))
        return np.log(x)

    @staticmethod
    def sqrt(x: np.ndarray) -> np.ndarray:
        bad = x < 0.0
        if bad.any():
            raise DomainError.sqrt(_first(x, bad))
        return np.sqrt(x)

    @staticmethod
    def div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        bad = np.asarray(b == 0.0)
        if bad.any():
            bad = np.broadcast_to(bad, np.broadcast_shapes(np.shape(a), bad.shape))
            raise DomainError.div(_first(a, bad), _first(b, bad))
        return a / b

    @staticmethod
    def pow(x: np.ndarray, c: float) -> np.ndarray:
        bad = (x == 0.0) & (c < 0.0)
        if bad.any():
            raise DomainError.pow_zero(c)
        bad = (x < 0.0) & (not float(c).is_integer())
        if bad.any():
            raise DomainError.pow_negative(_first(x, bad), c)
        with np.errstate(over="ignore"):
            out = np.power(x, c)
        overflow = np.isinf(out) & np.isfinite(x)
        if overflow.any():
            raise DomainError.pow_overflow(_first(x, overflow), c)
        return out

    @staticmethod
    def sigmoid(x: np.ndarray) -> np.ndarray:
        """1/(1 + e⁻ˣ) for x >= 0 and eˣ/(1 + eˣ) otherwise: never overflows."""
        z = np.exp(-np.abs(x))
        return np.where(x >= 0.0, 1.0 / (1.0 + z), z / (1.0 + z))

    @staticmethod
    def softplus(x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))

    @staticmethod
    def elu(x: np.ndarray, alpha: float) -> np.ndarray:
        return np.where(x > 0.0, x, alpha * np.expm1(np.minimum(x, 0.0)))

    @staticmethod
    def where_pos(x: np.ndarray, a: Any, b: Any) -> np.ndarray:
        """``a`` where ``x > 0``, else ``b``."""
        return np.where(x > 0.0, a, b)

    @staticmethod
    def where_nonneg(x: np.ndarray, a: Any, b: Any) -> np.ndarray:
        """``a`` where ``x >= 0``, else ``b``."""
        return np.where(x >= 0.0, a, b)

    # reductions over axis 0 of an (inputs × nodes × batch) block: the n-ary ops' inputs
    @staticmethod
    def sum(xs: Any) -> np.ndarray:
        return np.sum(xs, axis=0)

    @staticmethod
    def max(xs: np.ndarray) -> np.ndarray:
        return xs.max(axis=0)

    @staticmethod
    def dot(ws: np.ndarray, xs: np.ndarray, bias: np.ndarray) -> np.ndarray:
        return np.einsum("nkb,nkb->kb", ws, xs) + bias.sum(axis=0)


NUMPY = NumpyMath()
