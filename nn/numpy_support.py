"""numpy where it is installed: ``nn``'s scalar path runs without it (a browser's Python, Pyodide's core).

Arrays are used where they pay (the compiled mode, MNIST, array datasets); the scalar
path (modules, losses, optimisers, ``fit`` without ``compiled``, the toy datasets) falls
back to Python lists and floats when numpy cannot be imported.
"""

from __future__ import annotations

from typing import Any

__all__ = ["numpy_or_none", "require_numpy"]


def numpy_or_none() -> Any:
    """The numpy module, or None where it is not installed."""
    try:
        import numpy
    except ImportError:
        return None
    return numpy


def require_numpy(what: str) -> Any:
    """The numpy module; an ImportError naming ``what`` where it is not installed."""
    np = numpy_or_none()
    if np is None:
        raise ImportError(
            f"{what} needs numpy, which this Python does not have (pip install numpy); "
            "the scalar path (Values, nn's modules, losses, optimisers, fit without compiled=True, "
            "the toy datasets) runs without it"
        )
    return np
