"""The :class:`Module` base: parameters, their names, state dicts and JSON files.

A module's parameters are found from its attributes, as in PyTorch: an
attribute holding a :class:`~nn.Parameter`, a :class:`Module`, or a list/tuple
of them (a list is kept as a :class:`HeldList`, which reports changes made in
place). Their names are dotted paths (``"layers.0.neurons.3.w.2"``):
``Parameter.name`` always gives the path from the outermost module, worked out
again after any change of the structure.

The structure is public: :meth:`Module.named_modules` and
:meth:`Module.named_children` walk it downwards, ``Parameter.owner`` and
:attr:`Module.parent` upwards (the first holder wins when a parameter or module is shared).

The ways up are weak references (:mod:`weakref`): a child never keeps its owner alive, so a model
is freed by reference counting alone as soon as the last reference to it goes, without waiting for
the cyclic collector (a 784-256-10 MLP holds about 100 MB). Copies and pickles store them as plain
references (``__getstate__``), and get weak ones back.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import numbers
import os
import weakref
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple, SupportsIndex

from autograd import Value

from .atomic import write_atomically
from .excerpt import cut, excerpt
from .files import read_json
from .parameter import Parameter, clear_grads

__all__ = ["Module", "HeldList", "IncompatibleKeys", "register", "load", "FORMAT", "FORMAT_VERSION"]

FORMAT = "deltagrad.nn"
FORMAT_VERSION = 1
_REGISTRY: dict[str, type[Module]] = {}
_STRUCTURE_CLOCK = itertools.count(1)  # structure versions: every change of any module takes the next number


def register(cls: type[Module]) -> type[Module]:
    """Class decorator: let :func:`load` rebuild this Module class from a saved ``config()``."""
    _REGISTRY[cls.__name__] = cls
    return cls


class IncompatibleKeys(NamedTuple):
    """What :meth:`Module.load_state_dict` did not match (PyTorch's name)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class HeldList(list[Any]):
    """A module's list attribute of parameters or modules (``model.layers``, ``neuron.w``).

    Changed in place (``model.layers[0] = Layer(...)``, ``append``, ``del``, ...), it tells its module as
    assigning the attribute does: the new items get their owner or parent, the structure version changes
    (so ``nn.predict(compiled=True)`` traces again) and the names follow. PyTorch's ``ModuleList`` plays
    this part; here the attribute stays a list. Assigning a list stores a ``HeldList`` copy of it.

    >>> from nn import MLP, Layer
    >>> model = MLP(2, [3, 1], seed=0)
    >>> before = model.structure_version
    >>> model.layers[1] = Layer(3, 2, None, seed=1, layer=2)
    >>> model.structure_version == before, model.parameters()[-1].name
    (False, 'layers.1.neurons.1.b')
    """

    __slots__ = ("_holder",)

    def __init__(self, items: Iterable[Any], holder: Module | None) -> None:
        super().__init__(items)
        self._holder = None if holder is None else weakref.ref(holder)

    @property
    def holder(self) -> Module | None:
        """The module holding this list as an attribute (None once that module is gone)."""
        ref: weakref.ref[Module] | None = getattr(self, "_holder", None)  # unset while pickle refills a copy
        return None if ref is None else ref()

    def __getstate__(self) -> tuple[None, dict[str, Any]]:
        """The holder as a plain reference, for ``copy`` and ``pickle`` (a weak reference is neither)."""
        return None, {"holder": self.holder}

    def __setstate__(self, state: tuple[None, dict[str, Any]]) -> None:
        holder = state[1]["holder"]
        self._holder = None if holder is None else weakref.ref(holder)

    def _changed(self) -> None:
        holder = self.holder
        if holder is not None:
            holder._adopt(self)

    def __setitem__(self, index: Any, value: Any) -> None:
        super().__setitem__(index, value)
        self._changed()

    def __delitem__(self, index: Any) -> None:
        super().__delitem__(index)
        self._changed()

    def __iadd__(self, items: Iterable[Any]) -> HeldList:  # type: ignore[override,misc]
        super().__iadd__(items)
        self._changed()
        return self

    def __imul__(self, n: SupportsIndex) -> HeldList:
        super().__imul__(n)
        self._changed()
        return self

    def append(self, item: Any) -> None:
        """Add ``item`` at the end, and tell the module its structure changed."""
        super().append(item)
        self._changed()

    def extend(self, items: Iterable[Any]) -> None:
        """Add ``items`` at the end, and tell the module its structure changed."""
        super().extend(items)
        self._changed()

    def insert(self, index: SupportsIndex, item: Any) -> None:
        """Put ``item`` before position ``index``, and tell the module its structure changed."""
        super().insert(index, item)
        self._changed()

    def pop(self, index: SupportsIndex = -1) -> Any:
        """Remove and return the item at ``index`` (the last by default), and tell the module."""
        item = super().pop(index)
        self._changed()
        return item

    def remove(self, item: Any) -> None:
        """Remove the first item equal to ``item``, and tell the module its structure changed."""
        super().remove(item)
        self._changed()

    def clear(self) -> None:
        """Remove every item, and tell the module its structure changed."""
        super().clear()
        self._changed()

    def sort(self, *, key: Any = None, reverse: bool = False) -> None:
        """Sort in place (as ``list.sort``), and tell the module its structure changed."""
        super().sort(key=key, reverse=reverse)
        self._changed()

    def reverse(self) -> None:
        """Reverse in place, and tell the module its structure changed."""
        super().reverse()
        self._changed()

    def __deepcopy__(self, memo: dict[int, Any]) -> HeldList:
        """A copy held by the copy of its module (``copy.deepcopy(model)``), built without telling it."""
        copied = HeldList((), copy.deepcopy(self.holder, memo))
        memo[id(self)] = copied
        list.extend(copied, (copy.deepcopy(item, memo) for item in self))
        return copied


def _holds_parameters(value: Any) -> bool:
    if isinstance(value, (Module, Parameter)):
        return True
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(x, (Module, Parameter)) for x in value)


class Module:
    """Base class of every model: :class:`Neuron`, :class:`Layer`, :class:`MLP` and your own.

    Subclasses define ``forward``; calling the module calls it. They store
    their parameters and sub-modules as attributes and, to be saved and
    rebuilt by :func:`load`, return their constructor arguments from ``config()``.
    """

    training: bool = True
    # The ways up, weak (see the module's docstring): the parent, and the modules holding this one besides
    # it (a shared module). Each is a weakref.ref; call it for the module (None once that module is gone).
    _parent: weakref.ref[Module] | None = None
    _holders: tuple[weakref.ref[Module], ...] = ()
    _structure_stamp: int = 0

    def __setattr__(self, name: str, value: Any) -> None:
        if not _holds_parameters(value):
            object.__setattr__(self, name, value)
            return
        if isinstance(value, list) and not (isinstance(value, HeldList) and value.holder is self):
            value = HeldList(value, self)
        object.__setattr__(self, name, value)
        self._adopt(value)

    def _adopt(self, value: Any) -> None:
        """Take the parameters and modules of ``value`` (one, or a list or tuple of them) as this module's
        attribute: their owner or parent, a new structure version, and new names (given on first read)."""
        items = value if isinstance(value, (list, tuple)) else (value,)
        for item in items:
            if isinstance(item, Parameter):
                if item.owner is None:
                    item._set_owner(self)
                item._name = None
            elif isinstance(item, Module):
                if item.parent is None:
                    object.__setattr__(item, "_parent", weakref.ref(self))
                elif item.parent is not self and self not in item._holding_modules():
                    object.__setattr__(item, "_holders", (*item._holders, weakref.ref(self)))
                for p in item.parameters():
                    p._name = None
        self._structure_changed()

    def _name_parameters(self) -> None:
        """Give every parameter below this module its path from here as its ``name`` (called on the outermost)."""
        for path, p in self.named_parameters():
            p.name = path

    def _structure_changed(self) -> None:
        """Give this module and every module holding it, up to the outermost, a new structure version."""
        stamp = next(_STRUCTURE_CLOCK)
        seen: set[int] = set()
        stack: list[Module] = [self]
        while stack:
            m = stack.pop()
            if id(m) not in seen:
                seen.add(id(m))
                object.__setattr__(m, "_structure_stamp", stamp)
                stack.extend(m._holding_modules())
                if m.parent is not None:
                    stack.append(m.parent)

    def _holding_modules(self) -> list[Module]:
        """The modules still alive that hold this one besides its parent."""
        return [m for m in (ref() for ref in self._holders) if m is not None]

    def __getstate__(self) -> dict[str, Any]:
        """``vars(self)`` with the ways up as plain references, for ``copy`` and ``pickle`` (a weak reference
        is neither); :meth:`__setstate__` makes them weak again."""
        state = dict(vars(self))
        if "_parent" in state:
            state["_parent"] = self.parent
        if "_holders" in state:
            state["_holders"] = tuple(self._holding_modules())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        parent, holders = state.pop("_parent", None), state.pop("_holders", ())
        vars(self).update(state)
        if parent is not None:
            object.__setattr__(self, "_parent", weakref.ref(parent))
        if holders:
            object.__setattr__(self, "_holders", tuple(weakref.ref(m) for m in holders))

    @property
    def structure_version(self) -> int:
        """A number that changes whenever this module, or any module below it, gets an attribute holding
        modules or parameters (``model.layers = [...]``) or such a list changes in place
        (``model.layers[0] = ...``, see :class:`HeldList`), and only then: caches of a traced model
        (``nn.predict(compiled=True)``) are rebuilt when it changes. Another model's change leaves it alone.

        >>> from nn import MLP, Layer
        >>> a, b = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=0)
        >>> before = a.structure_version
        >>> b.layers[1].neurons = [b.layers[1].neurons[0]]
        >>> a.structure_version == before
        True
        >>> a.layers = [a.layers[0], Layer(3, 2, None, seed=1, layer=2)]
        >>> a.structure_version == before
        False
        """
        return self._structure_stamp

    @property
    def parent(self) -> Module | None:
        """The module holding this one as an attribute (the first one, if shared), or None for the outermost
        (or once the module holding it is gone: the reference up is weak)."""
        return None if self._parent is None else self._parent()

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The module's computation on its inputs; ``module(x)`` calls it. Every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """``forward(*args, **kwargs)``; each output Value keeps this module alive while the graph lives.

        A graph does not need its model to compute or differentiate, but ``viz`` reads the model's structure
        (``Parameter.owner``, :attr:`parent`: weak references) to group the graph into neurons and layers, so
        ``viz.draw_graph(nn.mse(nn.MLP(2, [3, 1])(x), 1.0))`` still knows its model once no name refers to it.
        One reference per output node (in its ``__dict__``): the model holds no reference to its graphs, so
        nothing forms a cycle.
        """
        out = self.forward(*args, **kwargs)
        for v in (out,) if isinstance(out, Value) else out if isinstance(out, (list, tuple)) else ():
            if isinstance(v, Value):
                vars(v)["_made_by"] = self
        return out

    # ------------------------------------------------------------------ parameters
    def _children(self, prefix: str) -> Iterator[tuple[str, Parameter | Module]]:
        for attr, value in vars(self).items():
            if attr in ("_parent", "_holders"):  # the ways up, not children
                continue
            if isinstance(value, (Module, Parameter)):
                yield prefix + attr, value
            elif _holds_parameters(value):
                for i, item in enumerate(value):
                    yield f"{prefix}{attr}.{i}", item

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` pairs in a stable order; a shared parameter is listed once."""
        seen: set[int] = set()
        stack: list[tuple[str, Parameter | Module]] = [(prefix, self)]
        while stack:
            path, item = stack.pop()
            if isinstance(item, Parameter):
                if id(item) not in seen:
                    seen.add(id(item))
                    yield path, item
            else:
                stack.extend(reversed(list(item._children(f"{path}." if path else ""))))

    def parameters(self) -> list[Parameter]:
        """Every trainable parameter, in the order of :meth:`named_parameters`."""
        return [p for _, p in self.named_parameters()]

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """``(attribute name, module)`` for each module held directly (``"layers.0"`` for a list item), in order.

        >>> from nn import MLP
        >>> [name for name, _ in MLP(2, [3, 1], seed=0).named_children()]
        ['layers.0', 'layers.1']
        """
        for name, item in self._children(""):
            if isinstance(item, Module):
                yield name, item

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """``(dotted path, module)`` for this module (path ``prefix``) and every module below it, depth first.

        A module reachable twice is listed once (PyTorch's ``named_modules``).

        >>> from nn import MLP
        >>> [name for name, _ in MLP(2, [2, 1], seed=0).named_modules()]
        ['', 'layers.0', 'layers.0.neurons.0', 'layers.0.neurons.1', 'layers.1', 'layers.1.neurons.0']
        """
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            path, m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            yield path, m
            children = [(f"{path}.{name}" if path else name, c) for name, c in m.named_children()]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        """This module and every module below it."""
        for _, m in self.named_modules():
            yield m

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient to 0 before the next backward pass.

        ``set_to_none`` is PyTorch's argument, accepted so its code runs: a deltagrad ``.grad`` is a
        plain float that costs nothing to keep, so both settings reset it to 0.0.
        """
        clear_grads(self.parameters())

    def train(self, mode: bool = True) -> Module:
        """Set the ``training`` flag on this module and all below it (PyTorch's API); returns self."""
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Same as ``train(False)``."""
        return self.train(False)

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, float]:
        """Every parameter's value by name, as plain floats."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values from ``state`` into the parameters with the same names.

        Everything is checked before anything is written, so on error the
        model is untouched. With ``strict`` (the default) the names must match
        exactly; otherwise matching names are loaded and the rest reported.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict: expected a mapping name -> float, got {type(state).__name__}")
        params = dict(self.named_parameters())
        missing = [name for name in params if name not in state]
        unexpected = [name for name in state if name not in params]
        if strict and (missing or unexpected):
            raise ValueError(
                f"load_state_dict: the names do not match {type(self).__name__}'s parameters; "
                f"missing {_some(missing)}, unexpected {_some(unexpected)}"
            )
        values = {name: _checked_float(state[name], name) for name in params if name in state}
        for name, value in values.items():
            params[name].data = value
        return IncompatibleKeys(missing, unexpected)

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this architecture (JSON-serialisable)."""
        raise NotImplementedError(f"{type(self).__name__} must define config() to be saved")

    @classmethod
    def parameter_count(cls, config: Mapping[str, Any]) -> int | None:
        """How many parameters ``cls(**config)`` has, computed without building it (None: unknown).

        :func:`load` compares it with the parameters a file holds *before* building
        the model, so a small file cannot make it allocate a huge one. A class
        that leaves it None is built first and checked afterwards.
        """
        return None

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the architecture and every parameter to ``path`` as JSON (exact: floats round-trip).

        The write is atomic: the text goes to a temporary file in the same folder,
        which then replaces ``path`` in one step, so a failed save (a full disk, an
        interrupted process) leaves any previous file at ``path`` intact.
        """
        document = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "model": type(self).__name__,
            "config": self.config(),
            "parameters": self.state_dict(),
        }
        try:
            text = json.dumps(document, indent=1, allow_nan=False)
        except ValueError as e:
            raise ValueError(f"save {os.fspath(path)!r}: a parameter is not finite ({e})") from None
        write_atomically(path, text)

    def load(self, path: str | os.PathLike[str]) -> Module:
        """Read parameters saved by :meth:`save` into this model; returns self.

        Raises a ValueError naming the file if it is not a deltagrad model, was
        saved from another architecture, or has missing or extra parameters;
        the model is then left untouched.
        """
        return self._load_document(_read(path), path)

    def _load_document(self, document: dict[str, Any], path: str | os.PathLike[str]) -> Module:
        model, config = document["model"], document["config"]
        if model != type(self).__name__ or config != self.config():
            raise ValueError(
                f"load {os.fspath(path)!r}: the file holds {cut(model, 100)}({_kwargs(config)}), "
                f"but this model is {type(self).__name__}({_kwargs(self.config())})"
            )
        try:
            self.load_state_dict(document["parameters"])
        except (TypeError, ValueError) as e:
            raise ValueError(f"load {os.fspath(path)!r}: {cut(str(e))}") from None
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_kwargs(self.config())}) with {len(self.parameters())} parameters"


def load(path: str | os.PathLike[str]) -> Module:
    """Rebuild a model saved by :meth:`Module.save`: its class and architecture come from the file.

    Before anything is built, the number of parameters the file's config
    describes (:meth:`Module.parameter_count`) must equal the number of
    parameter values the file holds: a small file cannot ask for a huge model.
    """
    document = _read(path)
    where, config = f"load {os.fspath(path)!r}", document["config"]
    cls = _REGISTRY.get(document["model"])
    name = cut(document["model"], 100)  # for messages
    if cls is None:
        raise ValueError(
            f"{where}: unknown model class {excerpt(document['model'])}; known: {', '.join(_REGISTRY)} "
            "(decorate your class with nn.register)"
        )
    try:
        expected = cls.parameter_count(config)
        if expected is not None and expected != len(document["parameters"]):
            raise ValueError(
                f"its config describes {_count(expected)} parameters, but the file holds {len(document['parameters'])}"
            )
        model = cls(**config)
    except KeyError as e:
        raise ValueError(
            f"{where}: cannot rebuild {name} from its config: it has no {excerpt(e.args[0])} entry"
        ) from None
    except (TypeError, ValueError, ArithmeticError, RecursionError) as e:
        raise ValueError(f"{where}: cannot rebuild {name} from its config: {cut(str(e))}") from None
    return model._load_document(document, path)


def _count(n: int) -> str:
    """An int for a message; ones too long to print (Python refuses > 4300 digits) by their magnitude."""
    return str(n) if abs(n) < 10**18 else f"about 10^{int(abs(n).bit_length() * math.log10(2))}"


def _read(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The checked JSON document of a saved model; every failure is worded ``load '<path>': ...``."""
    where = f"load {os.fspath(path)!r}"
    document = read_json(path, where)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f'{where}: not a deltagrad model file (no "format": "{FORMAT}" entry)')
    if document.get("version") != FORMAT_VERSION:
        raise ValueError(
            f"{where}: format version {excerpt(document.get('version'))}, this deltagrad reads {FORMAT_VERSION}"
        )
    for key, kind in (("model", str), ("config", dict), ("parameters", dict)):
        if not isinstance(document.get(key), kind):
            raise ValueError(f"{where}: entry {key!r} is missing or not a {kind.__name__}")
    return document


def _checked_float(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"load_state_dict: {excerpt(name)} must be a number, got {type(value).__name__} {excerpt(value)}"
        )
    try:
        number = float(value)
    except OverflowError:
        raise ValueError(
            f"load_state_dict: {excerpt(name)} must be a finite float, got an integer {_count(int(math.trunc(value)))}"
        ) from None
    if not math.isfinite(number):
        raise ValueError(f"load_state_dict: {excerpt(name)} must be finite, got {number!r}")
    return number


def _some(names: list[str], limit: int = 5) -> str:
    if not names:
        return "none"
    shown = ", ".join(excerpt(n) for n in names[:limit])
    return f"{shown} and {len(names) - limit} more" if len(names) > limit else shown


def _kwargs(config: Mapping[str, Any]) -> str:
    return cut(", ".join(f"{cut(str(k), 40)}={excerpt(v)}" for k, v in config.items()))
