"""A trainable weight: a :class:`~autograd.Value` that knows its place in its model."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from autograd import Value

if TYPE_CHECKING:
    from .module import Module

__all__ = ["Parameter", "clear_grads"]


class Parameter(Value):
    """A leaf Value the optimiser updates, named by its dotted path in the model.

    ``name`` is set by the outermost :class:`~nn.Module` (for example
    ``"layers.0.neurons.3.w.2"``); ``owner`` is the module that holds it as an
    attribute (None until one does). ``viz`` reads ``owner`` (and
    :attr:`Module.parent`) to group a graph into neurons and layers.

    >>> p = Parameter(0.5, label="w")
    >>> p.name, p.data, p.is_leaf, p.owner
    ('', 0.5, True, None)
    """

    __slots__ = ("name", "_owner")

    def __init__(self, data: float, label: str = "", name: str = "") -> None:
        super().__init__(data, label=label)
        self.name = name
        self._owner: Module | None = None

    @property
    def owner(self) -> Module | None:
        """The module holding this parameter as an attribute (the first one, if shared), or None."""
        return self._owner


def clear_grads(params: Iterable[Value]) -> None:
    """Set each parameter's ``.grad`` to 0 and forget its ``.grad_value``: what ``zero_grad`` does."""
    for p in params:
        p.grad = 0.0
        if p.grad_value is not None:  # set only where needed: a Value's grad_value lives in its __dict__
            p.grad_value = None
