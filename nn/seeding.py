"""Seeds for reproducibility: every random choice in ``nn`` draws from a numpy Generator.

>>> int(rng_from(0).integers(100)) == int(rng_from(0).integers(100))
True
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["Seed", "rng_from"]

Seed = int | np.random.Generator | None


def rng_from(seed: Seed) -> np.random.Generator:
    """A numpy Generator: ``seed`` itself if it is one, else ``default_rng(seed)`` (None: fresh entropy)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise TypeError(f"seed: expected an int, a numpy Generator or None, got {type(seed).__name__} {seed!r}")
    return np.random.default_rng(seed)
