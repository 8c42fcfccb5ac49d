"""Switching graph recording on and off: ``no_grad`` and ``enable_grad``.

The switch lives in a :class:`contextvars.ContextVar`, so each thread (and each
asyncio task) has its own: ``no_grad()`` in one thread never disables
recording in another.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from contextlib import ContextDecorator
from typing import Any

__all__ = ["no_grad", "enable_grad", "is_grad_enabled"]

_grad_enabled: contextvars.ContextVar[bool] = contextvars.ContextVar("deltagrad_grad_enabled", default=True)


def is_grad_enabled() -> bool:
    """True when operations record a graph (the default)."""
    return _grad_enabled.get()


class _GradMode(ContextDecorator):
    _enabled: bool

    def __new__(cls, func: Callable[..., Any] | None = None) -> Any:
        """``@no_grad`` works with or without parentheses, as in PyTorch."""
        mode = super().__new__(cls)
        return mode if func is None else mode(func)

    def _recreate_cm(self) -> _GradMode:
        return type(self)()  # a fresh instance per decorated call: safe across threads

    def __enter__(self) -> None:
        self._token = _grad_enabled.set(self._enabled)

    def __exit__(self, *exc: object) -> None:
        _grad_enabled.reset(self._token)


class no_grad(_GradMode):
    """Context manager (and decorator) under which operations record no graph.

    Results are plain values: fast inference, no memory held for backward.

    >>> from autograd import Value, no_grad
    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.data, y.inputs
    (4.0, ())
    """

    _enabled = False


class enable_grad(_GradMode):
    """Context manager (and decorator) that turns recording back on inside ``no_grad``."""

    _enabled = True
