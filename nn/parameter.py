"""A trainable weight: a :class:`~autograd.Value` that knows its place in its model."""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from autograd import Value

if TYPE_CHECKING:
    from .module import Module

__all__ = ["Parameter", "clear_grads"]


class Parameter(Value):
    """A leaf Value the optimiser updates, named by its dotted path in the model.

    ``name`` is the path from the outermost :class:`~nn.Module` (for example
    ``"layers.0.neurons.3.w.2"``); ``owner`` is the module that holds it as an
    attribute (None until one does, and once it is gone: the parameter holds it by a
    weak reference, so a model is freed by reference counting alone). ``viz`` reads
    ``owner`` (and :attr:`Module.parent`) to group a graph into neurons and layers.

    >>> p = Parameter(0.5, label="w")
    >>> p.name, p.data, p.is_leaf, p.owner
    ('', 0.5, True, None)
    """

    __slots__ = ("_name", "_owner")

    def __init__(self, data: float, label: str = "", name: str = "") -> None:
        super().__init__(data, label=label)
        self._name: str | None = name
        self._owner: weakref.ref[Module] | None = None

    @classmethod
    def _owned(cls, data: list[float], labels: list[str], owner: Module) -> list[Parameter]:
        """Parameters of ``owner`` holding ``data`` (finite floats), labelled ``labels``, named on first read."""
        params = cast("list[Parameter]", cls._leaves(data, labels))
        ref = weakref.ref(owner)
        for p in params:
            p._name, p._owner = None, ref
        return params

    def __getstate__(self) -> tuple[Any, dict[str, Any]]:
        """The owner as a plain reference, for ``copy`` and ``pickle`` (a weak reference is neither)."""
        attributes, slots = cast("tuple[Any, dict[str, Any]]", super().__getstate__())
        return attributes, {**slots, "_owner": self.owner}

    def __setstate__(self, state: tuple[Any, dict[str, Any]]) -> None:
        attributes, slots = state
        if attributes:
            vars(self).update(attributes)
        for name, value in slots.items():
            object.__setattr__(self, name, value)
        if self._owner is not None:
            self._owner = weakref.ref(self._owner)  # type: ignore[arg-type]

    @property
    def name(self) -> str:
        """The dotted path from the outermost module, ``""`` outside any.

        Building or changing a model leaves its parameters unnamed: the first read
        names all of them from the outermost module (one pass, instead of one per
        module level while building 784-256-10's 203,530 Parameters: bench_mnist,
        section 3).
        """
        if self._name is None:
            root = self.owner
            if root is None:
                return ""
            while root.parent is not None:
                root = root.parent
            root._name_parameters()
            if self._name is None:  # its module was taken out of the model (model.layers[0] = ...)
                self._name = ""
        return self._name

    @name.setter
    def name(self, name: str) -> None:
        self._name = name

    @property
    def owner(self) -> Module | None:
        """The module holding this parameter as an attribute (the first one, if shared), or None."""
        return None if self._owner is None else self._owner()

    def _set_owner(self, owner: Module) -> None:
        self._owner = weakref.ref(owner)


def clear_grads(params: Iterable[Value]) -> None:
    """Set each parameter's ``.grad`` to 0 and forget its ``.grad_value``: what ``zero_grad`` does."""
    for p in params:
        p.grad = 0.0
        if p.grad_value is not None:  # set only where needed: a Value's grad_value lives in its __dict__
            p.grad_value = None
