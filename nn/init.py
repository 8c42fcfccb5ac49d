"""Weight initialisers: each draws a layer's weight matrix W of shape (fan_out, fan_in).

Every initialiser takes a random generator (:func:`nn.seeding.rng_from`: a numpy
Generator, or without numpy a :class:`~nn.seeding.ScalarRandom`), so a seed makes a
model reproducible. Biases always start at 0, as in the lectures.

* ``zeros()`` and ``constant(c)``: every weight equal. All neurons of a layer
  then compute the same thing and receive the same δ, so they stay identical
  forever (the symmetry problem): fine for a demonstration, useless for training.
* ``normal(std=0.01)``: N(0, std²), the lectures' "small random numbers".
* ``uniform(low=-1, high=1)``: U(low, high), micrograd's choice.
* ``xavier()`` (Glorot): N(0, 2/(fan_in + fan_out)), suited to tanh and sigmoid.
* ``he()``: N(0, 2/fan_in), which keeps the variance of ReLU activations constant across layers.

>>> import numpy as np
>>> W = he()(fan_in=4, fan_out=3, rng=np.random.default_rng(0))
>>> W.shape
(3, 4)
>>> get("zeros")(2, 2, np.random.default_rng()).tolist()
[[0.0, 0.0], [0.0, 0.0]]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from .numpy_support import numpy_or_none

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Initializer", "InitLike", "zeros", "constant", "normal", "uniform", "xavier", "he", "get"]


@dataclass(frozen=True)
class Initializer:
    """A named rule drawing W (fan_out × fan_in) from a random generator."""

    name: str
    draw: Callable[[int, int, Any], Any] = field(repr=False)
    options: dict[str, float] = field(default_factory=dict)

    def __call__(self, fan_in: int, fan_out: int, rng: Any) -> Any:
        """W of shape (fan_out, fan_in): a numpy array, or without numpy a list of rows of floats."""
        drawn = self.draw(fan_in, fan_out, rng)
        np = numpy_or_none()
        if np is None:
            W = [[float(w) for w in row] for row in drawn]
            shape = (len(W), len(W[0]) if W and all(len(row) == len(W[0]) for row in W) else -1)
        else:
            W = np.asarray(drawn, dtype=float)
            shape = W.shape
        if shape != (fan_out, fan_in):
            raise ValueError(f"init {self.name}: drew shape {shape}, expected {(fan_out, fan_in)}")
        return W


def zeros() -> Initializer:
    """Every weight 0."""
    return constant(0.0, name="zeros")


def constant(value: float, name: str = "constant") -> Initializer:
    """Every weight equal to ``value``."""
    value = float(value)
    return Initializer(name, lambda fan_in, fan_out, rng: [[value] * fan_in for _ in range(fan_out)], {"value": value})


def normal(std: float = 0.01, mean: float = 0.0) -> Initializer:
    """Weights drawn from N(mean, std²)."""
    if std < 0:
        raise ValueError(f"init normal: std must be >= 0, got {std}")
    return Initializer(
        "normal", lambda fan_in, fan_out, rng: rng.normal(mean, std, (fan_out, fan_in)), {"std": std, "mean": mean}
    )


def uniform(low: float = -1.0, high: float = 1.0) -> Initializer:
    """Weights drawn from U(low, high)."""
    if not low < high:
        raise ValueError(f"init uniform: needs low < high, got low={low}, high={high}")
    return Initializer(
        "uniform", lambda fan_in, fan_out, rng: rng.uniform(low, high, (fan_out, fan_in)), {"low": low, "high": high}
    )


def xavier() -> Initializer:
    """Glorot: N(0, σ²) with σ = √(2/(fan_in + fan_out))."""
    return Initializer(
        "xavier", lambda fan_in, fan_out, rng: rng.normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), (fan_out, fan_in))
    )


def he() -> Initializer:
    """He (Kaiming): N(0, σ²) with σ = √(2/fan_in)."""
    return Initializer("he", lambda fan_in, fan_out, rng: rng.normal(0.0, math.sqrt(2.0 / fan_in), (fan_out, fan_in)))


_FACTORIES: dict[str, Callable[[], Initializer]] = {
    "zeros": zeros,
    "normal": normal,
    "uniform": uniform,
    "xavier": xavier,
    "glorot": xavier,
    "he": he,
    "kaiming": he,
}


InitFunction: TypeAlias = "Callable[[int, int, Any], np.ndarray]"
#: What ``init=`` accepts: a name, an :class:`Initializer` or any ``(fan_in, fan_out, rng) -> array``, or a factory.
InitLike: TypeAlias = "str | InitFunction | Callable[[], Initializer]"


def get(init: InitLike) -> InitFunction:
    """An initialiser from a name (``"he"``), an :class:`Initializer`, a factory such as ``he``,
    or any callable ``(fan_in, fan_out, rng) -> array``."""
    if isinstance(init, str):
        try:
            return _FACTORIES[init]()
        except KeyError:
            raise ValueError(f"init: unknown name {init!r}; choose one of {', '.join(_FACTORIES)}") from None
    for factory in _FACTORIES.values():
        if init is factory:
            return factory()
    if callable(init):
        return cast(InitFunction, init)  # not one of the factories: a (fan_in, fan_out, rng) -> array
    raise TypeError(f"init: expected a name or a callable (fan_in, fan_out, rng) -> array, got {type(init).__name__}")
