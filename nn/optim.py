"""Optimisers that update parameters from their ``.grad``, and learning-rate schedules.

The update rules follow ``torch.optim`` (same names, same defaults), so a
trajectory can be checked step by step against PyTorch. Each optimiser reads
δ = ∂J/∂w from ``w.grad`` and writes the new ``w.data``; call
:meth:`Optimizer.zero_grad` before each backward pass, as in PyTorch.

Each rule is written once, in :meth:`Optimizer.update`, over numpy arrays of all
the parameters: :meth:`Optimizer.step` gathers the Values into arrays and writes
the result back, and the compiled trainer (:class:`nn.CompiledTrainer`) calls
``update`` on arrays it keeps between steps. Without numpy (a browser's Python) the
same rules run on :class:`nn.vectors.Vector` s, with the same numbers.

A step is all or nothing (the README's non-finite policy): if any new value, or any
entry of the optimiser's state (momentum, moments), would be inf or NaN, the step
raises :class:`~autograd.errors.NonFiniteError` naming the first such parameter and
changes nothing, neither a parameter nor the optimiser's state.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from autograd import Value
from autograd.errors import NonFiniteError

from . import vectors
from .parameter import clear_grads

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Optimizer", "SGD", "Adam", "LRScheduler", "LambdaLR", "StepLR"]


def _nonnegative(x: float, what: str) -> float:
    """``x`` as a float, or a ValueError naming ``what`` unless it is a finite number >= 0."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be a number, got {type(x).__name__} {x!r}") from None
    if not 0.0 <= x < math.inf:
        raise ValueError(f"{what} must be a finite number >= 0, got {x}")
    return x


def _first_non_finite(values: Any) -> int | None:
    """The index of the first inf or NaN in a numpy array or :class:`~nn.vectors.Vector`, or None."""
    if isinstance(values, vectors.Vector):
        return next((i for i, x in enumerate(values) if not math.isfinite(x)), None)
    np = vectors.namespace()
    # one sum over the array (inf and NaN survive a sum), the exact search only when it is not finite
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.add.reduce(values, dtype=float))
    if math.isfinite(total):
        return None
    bad = ~np.isfinite(values)
    return int(np.argmax(bad)) if bad.any() else None


def _overflow_allowed() -> contextlib.AbstractContextManager[Any]:
    """numpy's overflow warnings off (a non-finite result is reported by name instead); Vectors warn nothing."""
    np = vectors.namespace()
    return contextlib.nullcontext() if np is vectors else np.errstate(over="ignore", invalid="ignore")


class Optimizer:
    """Base class: holds the parameters and the learning rate ``lr`` (a schedule may change it)."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        for p in params:
            if not isinstance(p, Value):
                raise TypeError(f"{type(self).__name__}: parameters must be Values, got {type(p).__name__}")
        unique = list({id(p): p for p in params}.values())
        self.params: list[Value] = unique
        self.lr = lr
        self._buffers: dict[str, Any] = {}  # the arrays a step computes in, kept between steps (see _scratch)

    @property
    def lr(self) -> float:
        """The learning rate α; setting it (directly or by a schedule) checks it is finite and >= 0."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _nonnegative(value, f"{type(self).__name__}: lr")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Set every parameter's ``.grad`` to 0 (``set_to_none``: PyTorch's argument, see :meth:`Module.zero_grad`)."""
        clear_grads(self.params)

    def step(self) -> None:
        """One update of every parameter's ``.data`` from its ``.grad``, all or nothing.

        If a new value would not be finite, raises :class:`~autograd.errors.NonFiniteError` naming
        the parameter, and every parameter (and the optimiser's state) is left as it was.
        """
        n, arrays = len(self.params), vectors.namespace()
        data: Any
        grad: Any
        if arrays is vectors:
            data, grad = vectors.array(p.data for p in self.params), vectors.array(p.grad for p in self.params)
        else:
            data = arrays.fromiter((p.data for p in self.params), dtype=float, count=n)
            grad = arrays.fromiter((p.grad for p in self.params), dtype=float, count=n)
        for p, x in zip(self.params, self.checked(self.update(data, grad), data, grad).tolist()):
            p.data = x

    def update(self, data: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """The new parameter values from the current ones and δ (arrays in ``params`` order).

        The built-in rules write the new values into ``data`` and return it, and change the optimiser's
        state (momentum, moments), only once every new value and state entry is finite: otherwise they
        raise :class:`~autograd.errors.NonFiniteError` and change nothing.
        """
        raise NotImplementedError

    def checked(
        self, new: Any, data: Any, grad: Any, what: str = "value", restore: tuple[Any, Any] | None = None
    ) -> Any:
        """``new`` (values in ``params`` order) if every entry is finite, else a NonFiniteError naming the
        first parameter whose new ``what`` is inf or NaN, with its current value ``data`` and δ ``grad``
        (``restore``: an array changed in place and its saved values, copied back before raising)."""
        i = _first_non_finite(new)
        if i is not None:
            error = NonFiniteError(
                f"{type(self).__name__}.step: the new {what} of parameter {self._describe(i)} would be "
                f"{float(new[i])!r} (its value {float(data[i])!r}, gradient {float(grad[i])!r}, lr {self.lr!r}); "
                "the step was not taken: every parameter and the optimiser's state are as before"
            )
            if restore is not None and restore[0] is not restore[1]:
                vectors.namespace().copyto(*restore)
            raise error
        return new

    def _scratch(self, name: str, values: Any) -> Any:
        """A copy of ``values``: to compute a step in, or to put ``values`` back if the step fails.

        numpy: a buffer kept between steps (a new array of the model's size per step costs page faults:
        6 ms for 203,530 parameters against 0.1 ms for the copy into a kept one; bench_mnist's epochs).
        A :class:`~nn.vectors.Vector` is never changed in place, so it is its own copy.
        """
        if isinstance(values, vectors.Vector):
            return values
        buffer = self._buffers.get(name)
        if buffer is None or buffer is values or buffer.shape != values.shape or buffer.dtype != values.dtype:
            buffer = self._buffers[name] = vectors.namespace().empty_like(values)
        vectors.namespace().copyto(buffer, values)
        return buffer

    def _commit(self, new: Any, data: Any, before: Any, grad: Any) -> Any:
        """``new`` once checked (see :meth:`checked`); if it is not finite, ``data`` (numpy: changed in place into
        ``new``) gets its values ``before`` back and the NonFiniteError is raised."""
        return self.checked(new, before, grad, restore=(data, before))

    def _describe(self, i: int) -> str:
        """Parameter ``i`` for a message: its dotted name, else its label, else its position."""
        p = self.params[i]
        name = getattr(p, "name", "") or p.label
        return f"{name!r} (#{i})" if name else f"#{i}"

    def state_dict(self) -> dict[str, Any]:
        """The optimiser's settings and buffers as plain JSON-friendly values."""
        return {"lr": self.lr}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` gave: the learning rate (and a subclass's buffers)."""
        self.lr = state["lr"]


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum and weight decay.

    Without momentum the update is the slides' rule, computed literally:
    w ← (1 − αλ)·w − α·δw  (α = ``lr``, λ = ``weight_decay``), the gradient step
    on J + (λ/2)‖w‖² (see :func:`nn.losses.l2_penalty`).
    With momentum μ (PyTorch's form): g = δw + λw, v ← μv + g (v = g at the
    first step), w ← w − α·v; Nesterov uses w ← w − α(g + μv).

    >>> w = Value(1.0); w.grad = 0.5
    >>> SGD([w], lr=0.1, weight_decay=0.2).step()
    >>> round(w.data, 12)  # (1 - 0.1*0.2)*1 - 0.1*0.5
    0.93
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _nonnegative(momentum, "SGD: momentum")
        self.weight_decay = _nonnegative(weight_decay, "SGD: weight_decay")
        if nesterov and self.momentum == 0.0:
            raise ValueError("SGD: nesterov needs momentum > 0")
        self.nesterov = nesterov
        self.velocity: np.ndarray | None = None

    def update(self, data: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """w ← (1 − αλ)·w − α·δw; with momentum μ: g = δw + λw, v ← μv + g, w ← w − α·v (Nesterov: α(g + μv))."""
        lr, mu, lam = self.lr, self.momentum, self.weight_decay
        with _overflow_allowed():
            if mu == 0.0:
                before, new = self._scratch("data", data), data  # new: data itself, changed in place (numpy)
                if lam:
                    new *= 1.0 - lr * lam
                new -= lr * grad
                return self._commit(new, data, before, grad)
            g = grad + lam * data if lam else grad
            if self.velocity is None:
                velocity = vectors.namespace().array(g)
            else:
                velocity = self._scratch("velocity", self.velocity)
                velocity *= mu
                velocity += g
            before, new = self._scratch("data", data), data
            new -= lr * (g + mu * velocity if self.nesterov else velocity)
        self.checked(velocity, before, grad, "momentum buffer", restore=(data, before))
        new = self._commit(new, data, before, grad)
        self.velocity, self._buffers["velocity"] = velocity, self.velocity  # the old one: next step's scratch
        return new

    def state_dict(self) -> dict[str, Any]:
        """The learning rate and the momentum buffer v (None before the first step with momentum)."""
        return {"lr": self.lr, "velocity": None if self.velocity is None else self.velocity.tolist()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the learning rate and the momentum buffer from :meth:`state_dict`'s output (checked first)."""
        velocity = state.get("velocity")
        if velocity is not None and len(velocity) != len(self.params):
            raise ValueError(f"SGD.load_state_dict: {len(velocity)} velocities for {len(self.params)} parameters")
        super().load_state_dict(state)
        self.velocity = None if velocity is None else vectors.namespace().array(velocity, dtype=float)


class Adam(Optimizer):
    """Adam (Kingma & Ba), as ``torch.optim.Adam``: with g = δw + λw,

    m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²,
    w ← w − (α / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε).
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        beta1, beta2 = (float(b) for b in betas)
        if not (0.0 <= beta1 < 1.0 and 0.0 <= beta2 < 1.0):
            raise ValueError(f"Adam: betas must lie in [0, 1), got {betas}")
        self.betas = (beta1, beta2)
        self.eps = _nonnegative(eps, "Adam: eps")
        self.weight_decay = _nonnegative(weight_decay, "Adam: weight_decay")
        self.t = 0
        self.m = vectors.namespace().zeros(len(self.params))
        self.v = vectors.namespace().zeros(len(self.params))

    def update(self, data: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """One Adam step t: g = δw + λw, m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g²,
        w ← w − (α / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)."""
        t = self.t + 1
        beta1, beta2 = self.betas
        lam, eps = self.weight_decay, self.eps
        step_size = self.lr / (1.0 - beta1**t)
        root_correction = math.sqrt(1.0 - beta2**t)
        with _overflow_allowed():
            g = grad + lam * data if lam else grad
            m = self._scratch("m", self.m)
            m *= beta1
            m += (1.0 - beta1) * g
            v = self._scratch("v", self.v)
            v *= beta2
            v += (1.0 - beta2) * (g * g)
            denominator = vectors.namespace().sqrt(v)
            denominator /= root_correction
            denominator += eps
            step = m / denominator
            step *= step_size
            before, new = self._scratch("data", data), data
            new -= step
        self.checked(m, before, grad, "first moment m", restore=(data, before))
        self.checked(v, before, grad, "second moment v", restore=(data, before))
        new = self._commit(new, data, before, grad)
        self.t, self.m, self.v, self._buffers["m"], self._buffers["v"] = t, m, v, self.m, self.v  # old: scratch
        return new

    def state_dict(self) -> dict[str, Any]:
        """The learning rate, the step count t and the moment buffers m and v."""
        return {"lr": self.lr, "t": self.t, "m": self.m.tolist(), "v": self.v.tolist()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the learning rate, t, m and v from :meth:`state_dict`'s output (their sizes checked first)."""
        if len(state["m"]) != len(self.params) or len(state["v"]) != len(self.params):
            raise ValueError(f"Adam.load_state_dict: moment buffers do not match {len(self.params)} parameters")
        super().load_state_dict(state)
        self.t = int(state["t"])
        self.m = vectors.namespace().array(state["m"], dtype=float)
        self.v = vectors.namespace().array(state["v"], dtype=float)


class LRScheduler:
    """Changes ``optimizer.lr`` once per epoch: call :meth:`step` after each epoch (PyTorch's protocol).

    The learning rate for epoch e (counting from 0) is ``lr_at(e)``, computed
    from the optimiser's learning rate when the schedule was created.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0
        self._apply()

    def lr_at(self, epoch: int) -> float:
        """The learning rate for ``epoch`` (0 is the first); each schedule defines it."""
        raise NotImplementedError

    def step(self) -> None:
        """Move to the next epoch and set the optimiser's ``lr`` to :meth:`lr_at` of it."""
        self.last_epoch += 1
        self._apply()

    def _apply(self) -> None:
        """Set the optimiser's lr for ``last_epoch``; a negative or non-finite one is an error naming the epoch."""
        lr = self.lr_at(self.last_epoch)
        try:
            self.optimizer.lr = lr
        except (TypeError, ValueError) as e:
            raise ValueError(f"{type(self).__name__}: the schedule gives epoch {self.last_epoch} {e}") from None


class LambdaLR(LRScheduler):
    """lr = base_lr · f(epoch).

    >>> from autograd import Value
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> schedule = LambdaLR(opt, lambda e: 1.0 - 0.9 * e / 100)
    >>> schedule.step(); schedule.step(); round(opt.lr, 6)
    0.982
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float]) -> None:
        self.lr_lambda = lr_lambda
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        """base_lr · f(epoch)."""
        return self.base_lr * float(self.lr_lambda(epoch))


class StepLR(LRScheduler):
    """lr = base_lr · γ^⌊epoch / step_size⌋: divide by 1/γ every ``step_size`` epochs."""

    step_size: int
    gamma: float

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if isinstance(step_size, bool) or not isinstance(step_size, numbers.Integral) or step_size < 1:
            raise ValueError(f"StepLR: step_size must be an int >= 1, got {step_size!r}")
        gamma = _nonnegative(gamma, "StepLR: gamma")
        if gamma == 0.0:
            raise ValueError("StepLR: gamma must be > 0 (the factor applied every step_size epochs), got 0.0")
        self.step_size, self.gamma = int(step_size), gamma
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        """base_lr · γ^⌊epoch / step_size⌋."""
        return self.base_lr * self.gamma ** (epoch // self.step_size)
