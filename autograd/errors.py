"""deltagrad's exception types.

Inputs outside an op's domain
-----------------------------
Raised when an op's input lies outside its domain, in the scalar engine and in
compiled mode alike, each naming the op and the offending value
(``log: input must be > 0, got -1.0`` rather than ``math domain error``).
Catch them all with ``except DomainError``; each is also the built-in error
Python raises for the same mistake, so ``except ValueError`` (or
``ZeroDivisionError``, ``OverflowError``) keeps working:

============================  =====================  ================================
error                         also a                 raised by
============================  =====================  ================================
:class:`OutOfDomainError`     ``ValueError``         log x≤0, sqrt x<0, (-8) ** 0.5
:class:`DivisionByZeroError`  ``ZeroDivisionError``  a / 0, 0 ** negative
:class:`FloatOverflowError`   ``OverflowError``      exp, pow past the largest float
============================  =====================  ================================

>>> from autograd import Value
>>> try:
...     Value(-1.0).log()
... except DomainError as e:
...     print(type(e).__name__, e.op, e.value, isinstance(e, ValueError))
OutOfDomainError log -1.0 True

The non-finite policy, in one place
-----------------------------------
deltagrad never computes on with an ``inf`` or a NaN: one poisons every gradient
downstream of it, and a learner would only see the damage many steps later. So
the first one raises a :class:`NonFiniteError` that says where it came from:

* scalar engine: a leaf (``Value(inf)``, ``Value(10**400)``), a constant in an
  expression (``x * nan``), an op's result from finite inputs
  (``mul(1e+200, 1e+200) gives inf``: checked where every node is made,
  ``Value._node``), a gradient seed (``backward(gradient=nan)``) or a δ step
  (``backward through mul(...)``: one sum over the pass's δ, then a search);
* compiled mode (:func:`autograd.compile`): an entry of X (by row and column), a
  parameter, an op's result (with its operands, batch row and level), a seed or
  a δ; one whole-block test per batch, then a search only when it fails;
* ``nn.fit`` / ``predict`` / ``accuracy`` / ``evaluate``: a feature or label, by
  row and column, before any work is done.

Inputs outside an op's domain (``log(-1)``, ``1 / 0``, ``exp(800)``) keep their
own, more precise, :class:`DomainError` types (above).

:class:`NonFiniteError` subclasses ``ValueError`` and ``FloatingPointError``
(an ``ArithmeticError``), so code written against the built-in types keeps
working. The README's "Reliability" section tells users the same.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["NonFiniteError", "DomainError", "OutOfDomainError", "DivisionByZeroError", "FloatOverflowError"]


class NonFiniteError(ValueError, FloatingPointError):
    """An inf or NaN appeared where deltagrad needs finite numbers; the message says where.

    >>> raise NonFiniteError.result("mul", [1e200, 1e200], float("inf"))
    Traceback (most recent call last):
    ...
    autograd.errors.NonFiniteError: mul(1e+200, 1e+200) gives inf: deltagrad stops at the first inf or NaN
    """

    @classmethod
    def result(cls, op: str, inputs: Sequence[float], out: float, where: str = "") -> NonFiniteError:
        """The error for op ``op`` giving the non-finite ``out`` from ``inputs``; ``where`` prefixes the message."""
        args = ", ".join(repr(float(x)) for x in inputs)
        return cls(f"{where}{op}({args}) gives {float(out)!r}: deltagrad stops at the first inf or NaN")

    @classmethod
    def entry(cls, where: str, name: str, value: float) -> NonFiniteError:
        """The error for a non-finite input ``value`` found at ``name`` (such as ``X[3, 1]``)."""
        return cls(f"{where}: {name} is {float(value)!r}; inputs must be finite numbers (no inf or NaN)")


class DomainError(ArithmeticError):
    """An op's input outside its domain; ``op`` names the op and ``value`` holds the offending input.

    The class methods build the error of each case, worded once for every math
    namespace (floats and numpy arrays).
    """

    def __init__(self, message: str = "", op: str = "", value: object = None) -> None:
        """The error ``message``, the ``op`` it names and the offending ``value`` (kept as attributes)."""
        super().__init__(message)
        self.op, self.value = op, value

    @staticmethod
    def exp_overflow(x: float) -> FloatOverflowError:
        """eˣ overflows a float: x > ln(max float) ≈ 709.78."""
        return FloatOverflowError(f"exp: overflow, exp({x!r}) is larger than the largest float", "exp", x)

    @staticmethod
    def log(x: float) -> OutOfDomainError:
        """ln x is undefined for x <= 0."""
        return OutOfDomainError(f"log: input must be > 0, got {x!r}", "log", x)

    @staticmethod
    def sqrt(x: float) -> OutOfDomainError:
        """√x is undefined for x < 0."""
        return OutOfDomainError(f"sqrt: input must be >= 0, got {x!r}", "sqrt", x)

    @staticmethod
    def div(a: float, b: float) -> DivisionByZeroError:
        """a / b with b = 0."""
        return DivisionByZeroError(f"div: division by zero ({a!r} / {b!r})", "div", b)

    @staticmethod
    def pow_zero(c: float) -> DivisionByZeroError:
        """0 ** c with c < 0, which is 1 / 0 ** |c|."""
        return DivisionByZeroError(f"pow: 0.0 cannot be raised to the negative power {c!r}", "pow", 0.0)

    @staticmethod
    def pow_negative(x: float, c: float) -> OutOfDomainError:
        """x ** c with x < 0 and c not an integer (not a real number)."""
        return OutOfDomainError(f"pow: negative base {x!r} cannot be raised to the non-integer power {c!r}", "pow", x)

    @staticmethod
    def pow_exponent(x: float) -> OutOfDomainError:
        """∂(aᵇ)/∂b = aᵇ·ln a is undefined for a < 0."""
        return OutOfDomainError(
            f"pow: the derivative with respect to the exponent, a ** b · log(a), is undefined for the negative base "
            f"{x!r} (PyTorch gives nan); write the power with a number exponent (x ** 2.0) when its gradient is "
            "not needed",
            "pow",
            x,
        )

    @staticmethod
    def pow_overflow(x: float, c: float) -> FloatOverflowError:
        """x ** c larger than the largest float."""
        return FloatOverflowError(f"pow: overflow, {x!r} ** {c!r} is larger than the largest float", "pow", x)


class OutOfDomainError(DomainError, ValueError):
    """An input where the function is undefined (log of 0, square root of a negative): a ``ValueError``."""


class DivisionByZeroError(DomainError, ZeroDivisionError):
    """A division by zero, or 0 raised to a negative power: a ``ZeroDivisionError``."""


class FloatOverflowError(DomainError, OverflowError):
    """A result larger than the largest float (exp, pow): an ``OverflowError``."""
