"""Seeds for reproducibility: every random choice in ``nn`` draws from one generator made from the seed
(without one, from Python's global :mod:`random` state, as micrograd does).

With numpy (CPython) the generator is a numpy Generator. Without numpy (a browser's
Python: Pyodide's core), it is a :class:`ScalarRandom` over Python's :mod:`random` with
the few draws ``nn`` makes; the same seed is then reproducible too, though it gives
other numbers than numpy's generator does.

>>> int(rng_from(0).integers(100)) == int(rng_from(0).integers(100))
True
"""

from __future__ import annotations

import numbers
import random
from typing import TYPE_CHECKING, Any, TypeAlias

from .numpy_support import numpy_or_none

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Seed", "ScalarRandom", "rng_from"]

Seed: TypeAlias = "int | np.random.Generator | ScalarRandom | None"


class ScalarRandom:
    """Seeded draws over Python's :mod:`random`, shaped as numpy's: an int gives a list, a (rows, columns) pair
    a list of rows. ``nn`` uses it where numpy is missing.

    >>> rng = ScalarRandom(0)
    >>> len(rng.normal(0.0, 1.0, (2, 3))[1]), sorted(rng.permutation(4))
    (3, [0, 1, 2, 3])
    """

    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed)

    def _shaped(self, draw: Any, size: int | tuple[int, ...] | None) -> Any:
        if size is None:
            return draw()
        if isinstance(size, int):
            return [draw() for _ in range(size)]
        if len(size) == 1:
            return [draw() for _ in range(size[0])]
        return [self._shaped(draw, tuple(size[1:])) for _ in range(size[0])]

    def normal(self, loc: float = 0.0, scale: float = 1.0, size: int | tuple[int, ...] | None = None) -> Any:
        """Draws from N(loc, scale²)."""
        return self._shaped(lambda: self._random.gauss(loc, scale), size)

    def uniform(self, low: float = 0.0, high: float = 1.0, size: int | tuple[int, ...] | None = None) -> Any:
        """Draws from U(low, high)."""
        return self._shaped(lambda: low + (high - low) * self._random.random(), size)

    def integers(self, high: int, size: int | tuple[int, ...] | None = None) -> Any:
        """Whole numbers drawn uniformly from 0..high-1."""
        return self._shaped(lambda: self._random.randrange(high), size)

    def permutation(self, n: int) -> list[int]:
        """0..n-1 in a random order."""
        order = list(range(n))
        self._random.shuffle(order)
        return order


def rng_from(seed: Any) -> Any:
    """The generator for ``seed``: a generator itself, else a new one seeded with ``seed``.

    A numpy Generator (``default_rng(seed)``) where numpy is installed, else a :class:`ScalarRandom`.
    ``None`` seeds it from Python's global :mod:`random` state (64 bits drawn from it), so
    ``random.seed(1337)`` before ``nn.MLP(...)`` reproduces a run, as it does in micrograd.
    """
    if isinstance(seed, ScalarRandom):
        return seed
    np = numpy_or_none()
    if np is not None and isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise TypeError(f"seed: expected an int, a numpy Generator or None, got {type(seed).__name__} {seed!r}")
    if seed is None:
        seed = random.getrandbits(64)
    return ScalarRandom(None if seed is None else int(seed)) if np is None else np.random.default_rng(seed)
