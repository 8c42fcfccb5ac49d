"""``autograd.compile``: the compiled batch mode (:mod:`autograd.compiled`, which needs numpy), imported
when first called, so that ``import autograd`` and the scalar engine need nothing but Python."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .value import Value

__all__ = ["compile"]


def compile(
    fn: Callable[[list[Value]], Any], n_inputs: int, example: Sequence[float] | None = None, dtype: Any = None
) -> Any:
    """Trace ``fn`` once on ``n_inputs`` placeholder Values and compile it for numpy batches: a
    :class:`autograd.compiled.CompiledGraph` (see :func:`autograd.compiled.compile`; ``dtype`` defaults to
    ``numpy.float64``). Imports numpy, and says so when it is not installed.

    >>> import numpy as np
    >>> from autograd import Value
    >>> w = Value(2.0)
    >>> compile(lambda x: w * x[0], n_inputs=1).forward(np.array([[1.0], [3.0]])).tolist()
    [2.0, 6.0]
    """
    try:
        from . import compiled  # numpy comes with it
    except ImportError as e:
        if e.name != "numpy" and "numpy" not in str(e):
            raise
        raise ImportError(
            "autograd.compile needs numpy (it replays the graph over whole batches of numpy arrays), which is "
            "not installed: pip install numpy. The scalar engine (Value, backward, grad, ...) works without it."
        ) from e
    if dtype is None:
        return compiled.compile(fn, n_inputs, example)
    return compiled.compile(fn, n_inputs, example, dtype)
