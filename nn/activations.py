"""Activation functions by name: a = g(z), each one node (a :class:`~autograd.Value` method).

``"linear"`` is the identity g(z) = z and records no node at all, so a linear
neuron's output is its pre-activation node z itself.

>>> from autograd import Value
>>> activation("relu")(Value(-2.0)).data
0.0
>>> z = Value(3.0)
>>> activation("linear")(z) is z
True
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from autograd import Value

from .excerpt import excerpt

__all__ = ["ACTIVATIONS", "activation"]


def _linear(z: Value) -> Value:
    return z


ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "linear": _linear,
    "relu": Value.relu,
    "leaky_relu": Value.leaky_relu,
    "elu": Value.elu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
}


def activation(name: str | None) -> Callable[[Value], Value]:
    """The function g for an activation name (``None`` means ``"linear"``).

    ``leaky_relu`` uses slope 0.01 and ``elu`` uses α = 1, PyTorch's defaults. An unknown
    name is a ValueError suggesting the nearest known one.
    """
    if name is None:
        name = "linear"
    if not isinstance(name, str):
        raise TypeError(f"activation: expected a name such as 'relu', got {type(name).__name__} {excerpt(name)}")
    try:
        return ACTIVATIONS[name]
    except KeyError:
        # a near name only for a name of a name's length: difflib's cost grows with the product of the lengths
        near = difflib.get_close_matches(name.lower(), ACTIVATIONS, n=1) if len(name) <= 40 else []
        hint = f"did you mean {near[0]!r}? " if near else ""
        raise ValueError(
            f"activation: unknown name {excerpt(name)}; {hint}choose one of {', '.join(ACTIVATIONS)}"
        ) from None
