"""A trainable weight: a :class:`~autograd.Value` that knows its place in its model."""

from __future__ import annotations

from collections.abc import Iterable

from autograd import Value

__all__ = ["Parameter", "clear_grads"]


class Parameter(Value):
    """A leaf Value the optimiser updates, named by its dotted path in the model.

    ``name`` is set by the outermost :class:`~nn.Module` (for example
    ``"layers.0.neurons.3.w.2"``); ``viz`` uses it to group a graph into
    neurons and layers.

    >>> p = Parameter(0.5, label="w")
    >>> p.name, p.data, p.is_leaf
    ('', 0.5, True)
    """

    __slots__ = ("name",)

    def __init__(self, data: float, label: str = "", name: str = "") -> None:
        super().__init__(data, label=label)
        self.name = name


def clear_grads(params: Iterable[Value]) -> None:
    """Set each parameter's ``.grad`` to 0 and forget its ``.grad_value``: what ``zero_grad`` does."""
    for p in params:
        p.grad = 0.0
        p.grad_value = None
