"""Checking backward against central finite differences."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from .functional import grad
from .grad_mode import no_grad
from .value import Number, Value

__all__ = ["gradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Backward and finite differences disagree (PyTorch's name for it)."""


def _evaluate(f: Callable[..., Any], xs: list[float]) -> float:
    with no_grad():
        out = f(*(Value(x) for x in xs))
    return float(out)


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[Value | Number],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
) -> bool:
    """Compare ∂f/∂inputs from backward with central differences (f(x+ε) - f(x-ε)) / 2ε.

    ``f`` takes one Value per input and returns a Value. Returns True when every
    derivative agrees within ``atol + rtol·|numeric|``; otherwise raises
    :class:`GradcheckError` reporting the worst mismatch.

    >>> gradcheck(lambda x, y: (x * y).tanh(), [0.5, -1.5])
    True
    """
    xs = [float(x) for x in inputs]
    if not xs:
        raise ValueError("gradcheck: needs at least one input")
    for name, value in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if not 0.0 <= value < math.inf or (name == "eps" and value == 0.0):
            bound = "> 0" if name == "eps" else ">= 0"
            raise ValueError(f"gradcheck: {name} must be a finite number {bound}, got {value!r}")
    analytic = grad(lambda *vs: f(*vs), argnums=tuple(range(len(xs))))(*xs)
    worst: tuple[float, int, float, float] | None = None
    for i, x in enumerate(xs):
        plus, minus = list(xs), list(xs)
        plus[i], minus[i] = x + eps, x - eps
        numeric = (_evaluate(f, plus) - _evaluate(f, minus)) / (2 * eps)
        excess = abs(analytic[i] - numeric) - (atol + rtol * abs(numeric))
        if worst is None or excess > worst[0]:
            worst = (excess, i, analytic[i], numeric)
    assert worst is not None, "xs is not empty"
    excess, i, a, n = worst
    if excess > 0:
        raise GradcheckError(
            f"gradcheck: backward disagrees with finite differences; worst at input {i} (x = {xs[i]!r}): "
            f"backward {a!r}, numeric {n!r}, |difference| {abs(a - n):.3g} > atol + rtol·|numeric| = "
            f"{atol + rtol * abs(n):.3g}"
        )
    return True
