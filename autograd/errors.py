"""deltagrad's exception types.

The non-finite policy, in one place
-----------------------------------
deltagrad never lets an ``inf`` or a NaN pass silently: a NaN or infinity
poisons every gradient downstream of it, and a learner would only see the
damage many steps later. So the first non-finite number stops the
computation with a :class:`NonFiniteError` that says where it came from:

* compiled mode (:func:`autograd.compile`): a non-finite input row, parameter,
  intermediate result, output seed or gradient; the message names the op, its
  inputs, the batch row and the graph level (or the row and column of X);
* ``nn.fit`` / ``predict`` / ``accuracy`` / ``evaluate``: a non-finite feature
  or label, named by its row and column, before any work is done.

Inputs outside an op's domain (``log(-1)``, ``1 / 0``, ``exp(800)``) keep their
own, more precise, errors (``ValueError``, ``ZeroDivisionError``,
``OverflowError``) naming the op and the value.

:class:`NonFiniteError` subclasses ``ValueError`` and ``FloatingPointError``
(an ``ArithmeticError``), so code written against the built-in types keeps
working.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["NonFiniteError"]


class NonFiniteError(ValueError, FloatingPointError):
    """An inf or NaN appeared where deltagrad needs finite numbers; the message says where.

    >>> raise NonFiniteError.result("mul", [1e200, 1e200], float("inf"))
    Traceback (most recent call last):
    ...
    autograd.errors.NonFiniteError: mul(1e+200, 1e+200) gives inf: deltagrad stops at the first non-finite number
    """

    @classmethod
    def result(cls, op: str, inputs: Sequence[float], out: float, where: str = "") -> NonFiniteError:
        """The error for op ``op`` giving the non-finite ``out`` from ``inputs``; ``where`` prefixes the message."""
        args = ", ".join(repr(float(x)) for x in inputs)
        return cls(f"{where}{op}({args}) gives {float(out)!r}: deltagrad stops at the first non-finite number")

    @classmethod
    def entry(cls, where: str, name: str, value: float) -> NonFiniteError:
        """The error for a non-finite input ``value`` found at ``name`` (such as ``X[3, 1]``)."""
        return cls(f"{where}: {name} is {float(value)!r}; inputs must be finite numbers (no inf or NaN)")
