"""Switching graph recording on and off: ``no_grad`` and ``enable_grad``; and ``differentiating``, the mode
in which the functional transforms (``grad``, ``jvp``, ``jacobian`` ...) evaluate the function they differentiate.

The switch lives in a :class:`contextvars.ContextVar`, so each thread (and each
asyncio task) has its own: ``no_grad()`` in one thread never disables
recording in another.

Both work as context managers and as decorators (with or without
parentheses). A decorated generator or async generator runs each of its
steps in the mode and gives the caller's mode back at every ``yield``, as
``torch.no_grad`` does; a decorated ``async def`` runs its body in the mode.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import AsyncGenerator, Callable, Generator, Iterator
from contextlib import ContextDecorator, contextmanager
from typing import Any

__all__ = ["no_grad", "enable_grad", "is_grad_enabled", "differentiating", "is_differentiating"]

GRAD_ENABLED: contextvars.ContextVar[bool] = contextvars.ContextVar("deltagrad_grad_enabled", default=True)
"""Whether operations record their inputs (per thread and task); the hot path reads it with ``.get()``."""


def is_grad_enabled() -> bool:
    """True when operations record a graph (the default)."""
    return GRAD_ENABLED.get()


def _in_mode(enabled: bool, step: Callable[..., Any], *args: Any) -> Any:
    """``step(*args)`` with recording set to ``enabled``, the previous mode restored after it."""
    token = GRAD_ENABLED.set(enabled)
    try:
        return step(*args)
    finally:
        GRAD_ENABLED.reset(token)


class _GradMode(ContextDecorator):
    _enabled: bool

    def __new__(cls, func: Callable[..., Any] | None = None) -> Any:
        """``@no_grad`` works with or without parentheses, as in PyTorch."""
        mode = super().__new__(cls)
        return mode if func is None else mode(func)

    def __call__(self, func: Callable[..., Any]) -> Callable[..., Any]:  # type: ignore[override]
        """Decorate ``func``: plain, ``async def``, generator and async generator functions."""
        if inspect.isgeneratorfunction(func):
            return self._generator(func)
        if inspect.isasyncgenfunction(func):
            return self._async_generator(func)
        if inspect.iscoroutinefunction(func):
            return self._coroutine(func)
        return super().__call__(func)

    def _generator(self, func: Callable[..., Generator[Any, Any, Any]]) -> Callable[..., Generator[Any, Any, Any]]:
        enabled = self._enabled

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            gen = func(*args, **kwargs)
            try:
                response = _in_mode(enabled, gen.send, None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        _in_mode(enabled, gen.close)
                        raise
                    except BaseException as error:
                        response = _in_mode(enabled, gen.throw, error)
                    else:
                        response = _in_mode(enabled, gen.send, request)
            except StopIteration as stop:
                return stop.value

        return wrapper

    def _async_generator(
        self, func: Callable[..., AsyncGenerator[Any, Any]]
    ) -> Callable[..., AsyncGenerator[Any, Any]]:
        enabled = self._enabled

        async def step(awaitable: Any) -> Any:
            token = GRAD_ENABLED.set(enabled)
            try:
                return await awaitable
            finally:
                GRAD_ENABLED.reset(token)

        @functools.wraps(func)
        async def wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
            agen = func(*args, **kwargs)
            try:
                response = await step(agen.asend(None))
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        await step(agen.aclose())
                        raise
                    except BaseException as error:
                        response = await step(agen.athrow(error))
                    else:
                        response = await step(agen.asend(request))
            except StopAsyncIteration:
                return

        return wrapper

    def _coroutine(self, func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self._recreate_cm():
                return await func(*args, **kwargs)

        return wrapper

    def _recreate_cm(self) -> _GradMode:
        return type(self)()  # a fresh instance per decorated call: safe across threads

    def __enter__(self) -> None:
        self._token = GRAD_ENABLED.set(self._enabled)

    def __exit__(self, *exc: object) -> None:
        GRAD_ENABLED.reset(self._token)


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


_differentiating: contextvars.ContextVar[bool] = contextvars.ContextVar("deltagrad_differentiating", default=False)


@contextmanager
def differentiating() -> Iterator[None]:
    """Evaluate a function being differentiated: the graph is recorded (even under ``no_grad``), and the
    transforms called inside it (``grad``, ``jvp``, ``jacobian``) return differentiable Values, so an outer
    transform sees through them (mixed partials ``grad(grad(f, 0), 1)``, ``jvp`` of ``grad``, closures over
    outer arguments)."""
    token = _differentiating.set(True)
    try:
        with enable_grad():
            yield
    finally:
        _differentiating.reset(token)


def is_differentiating() -> bool:
    """True inside :func:`differentiating`: a transform's results must then stay in the graph (Values)."""
    return _differentiating.get()
