"""Pausing Python's cyclic garbage collector while a large acyclic structure is built.

Creating a model's ~200k Parameters (784-256-10) or tracing its graph allocates objects that hold no
reference cycles, yet each allocation burst triggers the collector, whose full collections rescan
everything alive. Paused for the build, construction is several times faster and tracing 10-25%
(benchmarks/bench_mnist.py, section 3). Reference counting still frees everything as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused"]


@contextmanager
def paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block; restore its previous state afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
