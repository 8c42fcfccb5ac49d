"""The node of the graph: :class:`Value`, one float and its gradient δ."""

from __future__ import annotations

import itertools
import math
import numbers
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from operator import attrgetter
from typing import Any

from .errors import DivisionByZeroError, DomainError, FloatOverflowError, NonFiniteError, OutOfDomainError
from .grad_mode import GRAD_ENABLED, enable_grad, no_grad
from .registry import BINARY, CLOSURE, CLOSURE_ARITY, NARY, OPS, UNARY, Op, is_built_in

__all__ = ["Value", "Constant", "Number", "backprop", "local_grads", "op_of", "record", "walk"]

Number = int | float
# creation stamps (the order walk() sorts by) are floats, exact up to 2**53: 24 B each where an int takes 28
# (benchmarks/bench_core.py, memory per node)
_ids = itertools.count(0.0)
_new = object.__new__
_MAX = sys.float_info.max
creation_stamp = attrgetter("_id")
"""A Value's creation stamp (a counter): sorting by it in reverse is a topological order of any graph."""


def fill_node(v: Value, data: float, inputs: tuple[Value, ...], op: str, label: str, param: Any) -> None:
    """Write every field of the new node ``v``: the one place a node's fields are listed.

    ``Value.__init__`` calls it. The three paths that make nodes in bulk (:meth:`Value._node`, the binary
    operators, :meth:`Value._leaves`) carry these lines inline, since a call per node costs measurably
    (benchmarks/bench_core.py, benchmarks/bench_mnist.py); tests/autograd/test_node.py checks that each
    writes exactly these fields, in this order, with these values.
    """
    v.data = data
    v.grad = 0.0
    v.inputs = inputs
    v.op = op
    v.label = label
    v.param = param
    v._id = next(_ids)
    v._delta = None


def _real(x: Any, where: str) -> float:
    """``x`` as a float, or a TypeError naming ``where`` and the type."""
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        try:
            return float(x)
        except OverflowError:
            raise NonFiniteError(
                f"{where}: the int {_magnitude(math.trunc(x))} is too large for a float (max ~1.8e308)"
            ) from None
    raise TypeError(f"{where}: expected a real number (int, float or numpy scalar), got {type(x).__name__} {x!r}")


def _magnitude(n: Any) -> str:
    """An integer for a message: as digits, or by its size when Python would refuse to print it (> 4300 digits)."""
    n = int(n)
    digits = int(abs(n).bit_length() * 0.30103) + 1
    return str(n) if digits < 30 else f"of about {digits} digits"


def _finite(x: float, where: str) -> float:
    """``x`` unchanged if finite, else a NonFiniteError naming ``where``."""
    if not -_MAX <= x <= _MAX:  # False for inf and NaN; no float made, unlike x - x (benchmarks/bench_reliability.py)
        raise NonFiniteError(f"{where} is {x!r}; deltagrad stops at the first inf or NaN")
    return x


def _missing_forward(name: str) -> Callable[..., float]:
    """The forward rule of an op removed from the table: an error naming it."""

    def forward(*args: Any) -> float:
        raise LookupError(
            f"op {name!r} is not in autograd.OPS (was it removed?); register it with autograd.register_op"
        )

    return forward


def _binary_operator(name: str, reflected: bool = False) -> Callable[[Value, Any], Value]:
    """The operator method recording op ``name``: ``self op other``, or ``other op self`` when ``reflected``.

    Numbers become :class:`Constant` leaves; other types give NotImplemented, so
    Python raises its usual TypeError naming the operator and both types.
    """

    forward: Callable[..., float] = _missing_forward(name)

    def refresh() -> None:  # the op's forward in hand, renewed by every change of the live table
        nonlocal forward
        op = OPS.get(name)
        forward = _missing_forward(name) if op is None else op.forward

    OPS.subscribe(refresh)

    def operator(self: Value, other: Any) -> Value:
        if type(other) is not Value:
            other = as_operand(other)
            if other is None:
                return NotImplemented
        data = forward(self.data, other.data)
        # fill_node() inlined, as in Value._node (benchmarks/bench_core.py, mixed graph; tests/autograd/test_node.py)
        if not -_MAX <= data <= _MAX:  # False for inf and NaN
            raise _non_finite(data, name, (self, other))
        v = _new(Value)
        v.data = data
        v.grad = 0.0
        v.inputs = (self, other) if GRAD_ENABLED.get() else ()
        v.op = name
        v.label = ""
        v.param = None
        v._id = next(_ids)
        v._delta = None
        return v

    def reflected_operator(self: Value, other: Any) -> Value:
        operand = as_operand(other)
        return NotImplemented if operand is None else operator(operand, self)

    method = reflected_operator if reflected else operator
    dunder = name.replace("div", "truediv")
    method.__name__ = f"__r{dunder}__" if reflected else f"__{dunder}__"
    method.__qualname__ = f"Value.{method.__name__}"
    _DOCUMENTED[method] = (name, ("other", "self") if reflected else ("self", "other"))
    return method


_DOCUMENTED: dict[Callable[..., Any], tuple[str, tuple[str, str] | None]] = {}
"""Value methods documented by the doc line of the op they record (refreshed from the live table)."""


def _op_method(name: str) -> Callable[[Callable[..., Value]], Callable[..., Value]]:
    """Mark a Value method as the one recording op ``name``: its docstring is the op's doc line."""

    def mark(method: Callable[..., Value]) -> Callable[..., Value]:
        _DOCUMENTED[method] = (name, None)
        return method

    return mark


def _refresh_docs() -> None:
    """Document each op method of Value by its op's doc line: the marked ones, and any undocumented
    method named like an op (a built-in op's one-line method needs no docstring of its own)."""
    methods = dict(_DOCUMENTED)
    for name in OPS:
        method = Value.__dict__.get(name)
        if callable(method) and (method.__doc__ is None or method in methods):
            methods[method] = (name, None)
    for method, (name, operands) in methods.items():
        op = OPS.get(name)
        if op is None:
            continue
        doc = f"{op.doc}."
        method.__doc__ = doc if operands is None else f"{operands[0]} {op.symbol} {operands[1]}: {doc}"


class Value:
    """A scalar in a computational graph: ``data`` and its gradient ``grad``.

    ``grad`` is δ = ∂L/∂(this node), filled in by :meth:`backward` on the
    output L. Every operation on Values records a new node whose ``op`` names
    the operation and whose ``inputs`` are its operands.

    The constructor is micrograd's, ``Value(data, _children=(), _op='', label='')``.
    With ``_children`` (or ``_op``) it makes a *user op* node the micrograd way:
    set ``out._backward`` to a closure that adds into the children's ``.grad``,
    and :meth:`backward` runs it in its place in the reverse topological order
    (first order only: higher-order gradients and :func:`autograd.compile` need
    an op made with :func:`autograd.register_op`). Users may set attributes of
    their own on a Value (``p.m = 0.0``), as on micrograd's.

    ``<``, ``<=``, ``>``, ``>=`` compare ``data`` (so ``max(values)`` works), while
    ``==`` and hashing go by identity: a node is a place in the graph, so two
    nodes holding equal numbers are still two keys of a dict.

    >>> x = Value(2.0, label="x"); w = Value(-3.0, label="w")
    >>> y = (x * w + 1.0).tanh()
    >>> y.backward()
    >>> round(x.grad, 6), round(w.grad, 6)
    (-0.000545, 0.000363)
    """

    # "__dict__" lets users attach attributes (micrograd code does p.m = 0.0): 8 bytes per node,
    # and a dict only on the nodes that get one (benchmarks/bench_core.py measures it)
    __slots__ = ("data", "grad", "inputs", "op", "label", "param", "_id", "_delta", "__dict__")

    data: float
    grad: float
    inputs: tuple[Value, ...]
    op: str
    label: str
    param: Any
    grad_value: Value | None = None
    """δ as a differentiable Value, after ``backward(create_graph=True)``. An entry of the node's ``__dict__``, made
    only where set, not a slot: 8 B less per node (benchmarks/bench_core.py, memory per node)."""
    _id: float
    _delta: Any  # δ during a backward pass: a float, or a Value (or None) with create_graph; None after it

    def __init__(self, data: Number, _children: Iterable[Value] = (), _op: str = "", label: str = "") -> None:
        """A leaf holding ``data`` (a finite real number), or with ``_children``/``_op`` a user-op node."""
        data = _finite(_real(data, "Value"), "Value: data")
        if isinstance(_children, str):
            raise TypeError(
                f"Value: the second argument is _children (micrograd's signature Value(data, _children=(), _op='', "
                f"label='')), got the str {_children!r}: did you mean label={_children!r}?"
            )
        if not isinstance(label, str):
            raise TypeError(f"Value: label must be a str, got {type(label).__name__}")
        if not isinstance(_op, str):
            raise TypeError(f"Value: _op must be a str (the symbol shown for the op), got {type(_op).__name__}")
        children = tuple(_children)
        for child in children:
            if not isinstance(child, Value):
                raise TypeError(f"Value: _children must be Values, got {type(child).__name__} {child!r}")
        op, param = (CLOSURE, _UserStep(_op)) if children or _op else ("", None)
        fill_node(self, data, children, op, label, param)

    # ----------------------------------------------------------------- recording
    @classmethod
    def _node(cls, data: float, op: str, inputs: tuple[Value, ...], param: Any = None) -> Value:
        """A new node holding ``data``, computed by ``op`` from ``inputs`` (Values already), which it records only
        when grad mode is on; an inf or NaN ``data`` is a NonFiniteError naming the op and its inputs.

        :func:`fill_node` inlined (benchmarks/bench_core.py; tests/autograd/test_node.py checks the copy).
        """
        if not -_MAX <= data <= _MAX:  # False for inf and NaN (benchmarks/bench_reliability.py)
            raise _non_finite(data, op, inputs, param)
        v = _new(cls)
        v.data = data
        v.grad = 0.0
        v.inputs = inputs if GRAD_ENABLED.get() else ()
        v.op = op
        v.label = ""
        v.param = param
        v._id = next(_ids)
        v._delta = None
        return v

    @classmethod
    def _leaves(cls, data: Iterable[float], labels: Iterable[str]) -> list[Value]:
        """Leaves of this class holding ``data`` (finite floats: the caller has checked them), labelled ``labels``.

        A model's weights are made here, a layer at a time, with :func:`fill_node` inlined in one loop
        (benchmarks/bench_mnist.py, section 3; tests/autograd/test_node.py checks the copy).
        """
        new, ids = _new, _ids
        out = []
        for x, label in zip(data, labels):
            v = new(cls)
            v.data = x
            v.grad = 0.0
            v.inputs = ()
            v.op = ""
            v.label = label
            v.param = None
            v._id = next(ids)
            v._delta = None
            out.append(v)
        return out

    def _unary(self, name: str, param: Any = None) -> Value:
        """A new node of unary op ``name`` on this Value (``param``: the op's number, such as a slope)."""
        op = OPS[name]
        return _node(op.forward(self.data) if op.param is None else op.forward(self.data, param), name, (self,), param)

    # ------------------------------------------------------------ arithmetic
    __add__, __radd__ = _binary_operator("add"), _binary_operator("add", reflected=True)
    __sub__, __rsub__ = _binary_operator("sub"), _binary_operator("sub", reflected=True)
    __mul__, __rmul__ = _binary_operator("mul"), _binary_operator("mul", reflected=True)
    __truediv__, __rtruediv__ = _binary_operator("div"), _binary_operator("div", reflected=True)
    __rpow__ = _binary_operator("pow", reflected=True)

    def __pow__(self, other: Value | Number) -> Value:
        """``x ** c`` with a number c records op ``powc``; ``x ** y`` with a Value y records ``pow``."""
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return self._unary("powc", _finite(_real(other, "pow: exponent"), "pow: the exponent"))
        if type(other) is Constant:  # a number's leaf: x ** c, whose exponent needs no gradient
            return self._unary("powc", other.data)
        return _pow(self, other)

    @_op_method("neg")
    def __neg__(self) -> Value:
        return self._unary("neg")

    def __pos__(self) -> Value:
        """+x: the Value itself (no node)."""
        return self

    @_op_method("abs")
    def __abs__(self) -> Value:
        return self._unary("abs")

    # ------------------------------------------------------------ functions: one line per op, documented by
    # the op's doc line in autograd.OPS (see autograd/ops.py)
    def exp(self) -> Value:
        return self._unary("exp")

    def log(self) -> Value:
        return self._unary("log")

    def sqrt(self) -> Value:
        return self._unary("sqrt")

    def tanh(self) -> Value:
        return self._unary("tanh")

    def sigmoid(self) -> Value:
        return self._unary("sigmoid")

    def relu(self) -> Value:
        return self._unary("relu")

    def softplus(self) -> Value:
        return self._unary("softplus")

    def sin(self) -> Value:
        return self._unary("sin")

    def cos(self) -> Value:
        return self._unary("cos")

    def leaky_relu(self, slope: float = 0.01) -> Value:
        return self._unary("leaky_relu", _finite(_real(slope, "leaky_relu: slope"), "leaky_relu: slope"))

    def elu(self, alpha: float = 1.0) -> Value:
        return self._unary("elu", _finite(_real(alpha, "elu: alpha"), "elu: alpha"))

    # ------------------------------------------------------------ backward
    def backward(self, gradient: Value | Number | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:  # fmt: skip
        """Add ∂self/∂node, times ``gradient`` (default 1), into ``.grad`` of every node of the graph.

        Nodes are visited in reverse topological order (no recursion, so any
        depth works) and each applies the chain rule δ_input += δ · ∂self/∂input;
        a node reached along several paths receives the sum. Calling it again
        accumulates, as in PyTorch: call :meth:`zero_grad` in between.

        ``gradient`` is a number or a Value (PyTorch's 0-d tensor). ``retain_graph``
        is accepted for PyTorch code and does nothing: backward never frees a
        deltagrad graph, so it can always be run again. With ``create_graph=True``
        the gradients are also recorded as Values in ``.grad_value``, themselves
        differentiable (higher-order derivatives).
        """
        if self.op and not self.inputs and self.op != CLOSURE:
            raise RuntimeError(
                f"backward: this Value ({self.op}, data={self.data:.4g}) was computed under no_grad(), "
                "so no graph was recorded; compute it outside no_grad() to differentiate it"
            )
        seed = seed_of(gradient, create_graph, "backward: gradient")
        if create_graph:
            order, delta = backprop([self], [seed], True)
            _accumulate_values(order, delta)
        elif _SLOTS.acquire(blocking=False):  # the nodes' _delta slots are free: the fast pass
            try:
                _accumulate_slots(_slot_pass([self], [seed]))
            finally:
                _SLOTS.release()
        else:  # a pass nested in another one (a derivative or closure that differentiates), or in another thread
            order, delta = backprop([self], [seed])
            _accumulate(order, delta)

    def zero_grad(self, set_to_none: bool = False) -> None:
        """Reset ``.grad`` to 0 (and ``.grad_value`` to None) on every node of this Value's graph.

        ``set_to_none`` is accepted for PyTorch code: a deltagrad ``.grad`` is a
        plain float that costs nothing to keep, so both settings reset it to 0.0.
        """
        for v in self.walk():
            v.grad = 0.0
            if v.grad_value is not None:
                v.grad_value = None

    def walk(self) -> list[Value]:
        """Every node of this Value's graph, in reverse topological order (outputs first)."""
        return walk([self])

    # ------------------------------------------------------------ micrograd's surface
    @property
    def _prev(self) -> set[Value]:
        """micrograd's name: the set of this node's inputs (``inputs`` keeps order and repeats).

        Assigning it (``out._prev = {x}``, micrograd's way of building a node by hand) sets the
        inputs; a node of the table then becomes a user-op node, passing no gradient until its
        ``_backward`` is set. Set it before the node is read by others: a node is re-stamped to
        be newer than its inputs, which is what keeps backward's order topological.
        """
        return set(self.inputs)

    @_prev.setter
    def _prev(self, children: Iterable[Value]) -> None:
        if isinstance(children, (Value, str)):
            raise TypeError(f"_prev must be a set or tuple of Values, got {type(children).__name__}")
        new = tuple(children)
        for child in new:
            if not isinstance(child, Value):
                raise TypeError(f"_prev must hold Values, got {type(child).__name__} {child!r}")
        if set(new) == set(self.inputs):
            return  # v._prev = v._prev: nothing changes
        if self.op != CLOSURE:  # the table's rule was for the old inputs
            self.param, self.op = _UserStep(self._op), CLOSURE
        self.inputs = new
        if any(child._id >= self._id for child in new):
            self._id = next(_ids)

    _symbol: str | None = None
    """A symbol a user assigned to ``_op`` on a node of the table or a leaf (an entry of its ``__dict__``)."""

    @property
    def _op(self) -> str:
        """micrograd's name: the op's symbol as micrograd writes it (``'+'``, ``'*'``, ``'**2'``, ``'ReLU'``).

        Assigning it changes the symbol this node shows, not its op: backward keeps the table's rule.
        """
        if self.op == CLOSURE:
            symbol: str = self.param.symbol
            return symbol
        if self._symbol is not None:
            return self._symbol
        if self.op == "powc":
            c = self.param
            return f"**{int(c) if float(c).is_integer() else c}"
        return op_of(self).symbol if self.op else ""

    @_op.setter
    def _op(self, symbol: str) -> None:
        if not isinstance(symbol, str):
            raise TypeError(f"_op must be a str (the symbol shown for the op), got {type(symbol).__name__}")
        if self.op == CLOSURE:
            self.param.symbol = symbol
        else:
            self._symbol = symbol

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's name: this node's chain-rule step, adding δ·∂self/∂input from ``self.grad`` into
        each input's ``.grad``. Set it to a closure to define the node's op yourself (micrograd's way)."""
        if self.op == CLOSURE:
            step: Callable[[], None] = self.param.closure or _no_step
            return step
        return self._step

    @_backward.setter
    def _backward(self, closure: Callable[[], None]) -> None:
        if not callable(closure):
            raise TypeError(f"_backward must be a function of no arguments, got {type(closure).__name__}")
        if getattr(closure, "__self__", None) is self and getattr(closure, "__func__", None) is Value._step:
            return  # v._backward = v._backward on a node of the table: nothing changes
        if self.op == CLOSURE:
            self.param.closure = closure
        else:
            self.param, self.op = _UserStep(self._op, closure), CLOSURE

    def _step(self) -> None:
        """One node's chain-rule step by the op table, from ``self.grad`` into the inputs' ``.grad``."""
        for x, d in zip(self.inputs, local_grads(self)):
            x.grad += self.grad * d

    # ------------------------------------------------------------ conveniences
    @property
    def is_leaf(self) -> bool:
        """True for a node with no recorded inputs (created by the user, or under no_grad)."""
        return not self.inputs

    def detach(self) -> Value:
        """A new leaf with the same data, cut off from this graph."""
        return Value(self.data, label=self.label)

    def item(self) -> float:
        """The data as a Python float (PyTorch's name)."""
        return self.data

    def __float__(self) -> float:
        name = _values_only.get()
        if name is not None:
            raise TypeError(
                f"the derivative of op {name!r} converted a Value to a float (with math.* or float()), so its "
                "higher-order gradients would be silently wrong; write the derivative with operators and Value "
                "methods (x.exp(), x.cos(), ...) to differentiate it again"
            )
        return self.data

    def __bool__(self) -> bool:
        return self.data != 0.0

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"{type(self).__name__}(data={self.data:.4g}, grad={self.grad:.4g}{label})"

    def __lt__(self, other: Value | Number) -> bool:
        operand = as_operand(other)
        return NotImplemented if operand is None else self.data < operand.data

    def __le__(self, other: Value | Number) -> bool:
        operand = as_operand(other)
        return NotImplemented if operand is None else self.data <= operand.data

    def __gt__(self, other: Value | Number) -> bool:
        operand = as_operand(other)
        return NotImplemented if operand is None else self.data > operand.data

    def __ge__(self, other: Value | Number) -> bool:
        operand = as_operand(other)
        return NotImplemented if operand is None else self.data >= operand.data

    __hash__ = object.__hash__  # identity: a node is a place in the graph, not a number
    __array_ufunc__ = None  # numpy scalars defer to our reflected operators


def walk(roots: list[Value]) -> list[Value]:
    """Every node reachable from ``roots``, in reverse topological order (outputs first).

    An explicit stack collects the nodes, so any depth works; reverse creation
    order is a topological order of any graph built by forward calls.
    """
    seen = set(roots)
    stack = list(seen)
    order = []
    pop, push, add = stack.pop, stack.append, seen.add
    while stack:
        v = pop()
        order.append(v)
        for x in v.inputs:
            if x not in seen:
                add(x)
                push(x)
    order.sort(key=creation_stamp, reverse=True)
    return order


def _pass_order(roots: Sequence[Value]) -> list[Value]:
    """:func:`walk` for a backward pass: the nodes it reaches are marked in their ``_delta``, which belongs
    to the pass (holding :data:`_SLOTS`), instead of being kept in a set (benchmarks/bench_core.py, mixed graph)."""
    mark = object()
    stack = []
    for root in roots:
        if root._delta is not mark:
            root._delta = mark
            stack.append(root)
    order: list[Value] = []
    pop, push, append = stack.pop, stack.append, order.append
    while stack:
        v = pop()
        append(v)
        for x in v.inputs:
            if x._delta is not mark:
                x._delta = mark
                push(x)
    order.sort(key=creation_stamp, reverse=True)
    return order


class Constant(Value):
    """A leaf made from a plain number in an expression such as ``x * 2``."""

    __slots__ = ()


def as_operand(x: Any) -> Value | None:
    """``x`` as a Value (numbers become Constants), or None for an unsupported type."""
    if type(x) is float and x == x:
        return _constant(x)
    if isinstance(x, Value):
        return x
    if type(x) is float or type(x) is int or (isinstance(x, numbers.Real) and not isinstance(x, bool)):
        x = _real(x, "a constant in an expression")
        if x != x:
            raise _non_finite(x, "", ())
        return _constant(x)
    return None


def _constant(x: float) -> Value:
    return Constant._node(x, "", ())


_node = Value._node
_pow = _binary_operator("pow")


def record(name: str, operands: Sequence[Any], param: Any = None) -> Value:
    """A new node of op ``name`` of :data:`OPS` on ``operands`` (Values or numbers; an n-ary op takes one
    list), computed by the op's forward rule on their data."""
    try:
        op = OPS[name]
    except KeyError:
        raise LookupError(
            f"op {name!r} is not in autograd.OPS (was it removed?); register it with autograd.register_op"
        ) from None
    items = operands[0] if op.arity == NARY else operands
    values = []
    for x in items:
        value = as_operand(x)
        if value is None:
            raise TypeError(f"{name}: expected Values or numbers, got {type(x).__name__} {x!r}")
        values.append(value)
    data = [x.data for x in values]
    out = op.apply([data] if op.arity == NARY else data, param)
    if type(out) is not float:
        try:
            out = _one_number(out)
        except TypeError:
            raise TypeError(
                f"register_op: the forward of op {name!r} returned {repr(out)[:200]} ({type(out).__name__}); "
                "it must return one real number (float or int)"
            ) from None
    return _node(out, name, tuple(values), param)  # an inf or NaN result: a NonFiniteError naming the op


# ------------------------------------------------------------------ user ops written as closures
def _no_forward(*args: Any) -> float:
    raise TypeError("a closure op has no forward rule: user code computed its data")


def _no_step() -> None:
    """micrograd's default ``_backward``: a node nobody gave a rule passes no gradient."""


class _UserStep:
    """What a user-op node carries in ``param``: the ``_op`` symbol it was given and its ``_backward`` closure."""

    __slots__ = ("symbol", "closure")

    def __init__(self, symbol: str, closure: Callable[[], None] | None = None) -> None:
        self.symbol, self.closure = symbol, closure

    def op(self) -> Op:
        """The node's entry in the form of the table's (arity ``CLOSURE_ARITY``, derivative = the closure)."""
        doc = (
            f"user op {self.symbol!r}: its δ step is a Python closure set as _backward; first order only "
            "(autograd.register_op gives higher order and compiled mode)"
        )
        return Op(CLOSURE, self.symbol, CLOSURE_ARITY, _no_forward, self.closure or _no_step, doc)


def _closure_inputs(v: Value) -> tuple[Value, ...]:
    """The inputs of closure node ``v``, each once (micrograd's ``_prev`` is a set)."""
    return v.inputs if len(v.inputs) == 1 else tuple(dict.fromkeys(v.inputs))


def _run_closure(v: Value, g: float, deltas: list[float]) -> list[float]:
    """Run the user closure of ``v`` inside a backward pass, as micrograd would run it; returns the inputs' new δ.

    For the call, ``v.grad`` holds this pass's δ of ``v`` and the ``.grad`` of each of
    :func:`_closure_inputs` holds its running δ of this pass (``deltas``); whatever the
    closure leaves there (``+=`` or, by mistake, ``=``) becomes the input's δ, exactly as
    in micrograd. The nodes' real ``.grad`` values are restored afterwards, with whatever
    a pass nested in the closure (or in another thread) added to them meanwhile
    (:data:`_SWAPPED`). Closures run one at a time (:data:`_CLOSURE_LOCK`): they share
    the nodes' ``.grad``.
    """
    if v.op != CLOSURE:
        raise LookupError(
            f"backward: op {v.op!r} is not in autograd.OPS (was it removed?); register it with autograd.register_op"
        )
    closure = v.param.closure
    inputs = _closure_inputs(v)
    if closure is None:
        return deltas
    nodes = (v, *inputs)
    with _CLOSURE_LOCK:
        with GRAD_LOCK:
            saved = [_swap_in(x) for x in nodes]
            v.grad = g
            for x, d in zip(inputs, deltas):
                x.grad = d
        try:
            closure()
        finally:
            with GRAD_LOCK:
                out = [x.grad for x in inputs]
                for x, grad in zip(reversed(nodes), reversed(saved)):
                    _swap_out(x, grad)
    return out


_SWAPPED: dict[Value, list[Any]] = {}
"""Nodes whose ``.grad`` holds a running δ while a user closure runs: node → [its real ``.grad``, depth].
A pass that adds into such a node's ``.grad`` meanwhile adds into the real value here (under GRAD_LOCK)."""


def _swap_in(x: Value) -> float:
    """Note that ``x.grad`` is about to hold a running δ; returns the value to restore (the real one at depth 1)."""
    record = _SWAPPED.get(x)
    if record is None:
        _SWAPPED[x] = [x.grad, 1]
    else:
        record[1] += 1
    return x.grad


def _swap_out(x: Value, saved: float) -> None:
    record = _SWAPPED[x]
    if record[1] == 1:
        del _SWAPPED[x]
        x.grad = record[0]  # the real .grad, with what nested passes added meanwhile
    else:
        record[1] -= 1
        x.grad = saved


def _closure_grads(v: Value) -> tuple[float, ...]:
    """∂v/∂input of a closure node, read by running its closure once with δ = 1 and the inputs' δ at 0.

    An input listed twice gets the total on its first edge and 0 on the others.
    """
    inputs = _closure_inputs(v)
    found = dict(zip(inputs, _run_closure(v, 1.0, [0.0] * len(inputs))))
    grads = []
    for x in v.inputs:
        grads.append(float(found.pop(x, 0.0)))
    return tuple(grads)


# ------------------------------------------------------------------ the math namespace over Values
_values_only: ContextVar[str | None] = ContextVar("deltagrad_values_only", default=None)


@contextmanager
def values_only(name: str) -> Iterator[None]:
    """While evaluating op ``name``'s derivative on Values, make ``float(value)`` an error naming the op."""
    token = _values_only.set(name)
    try:
        yield
    finally:
        _values_only.reset(token)


def op_of(v: Value) -> Op:
    """The :class:`~autograd.ops.Op` that computed ``v``, read from the live registry (a leaf has none).

    A user-op node (``Value(data, children, 'sym')`` with a ``_backward`` closure)
    carries its own entry, whose ``symbol`` is the ``_op`` it was given.

    >>> op_of(Value(2.0) * 3).doc
    'a · b; δa += δ·b, δb += δ·a'
    """
    if v.op == CLOSURE:
        op: Op = v.param.op()
        return op
    if not v.op:
        raise ValueError(f"op_of: {v!r} is a leaf, computed by no op")
    try:
        return OPS[v.op]
    except KeyError:
        raise LookupError(f"op {v.op!r} is not in autograd.OPS (was it removed?)") from None


def assigned_symbol(v: Value) -> str | None:
    """The symbol assigned to ``v._op`` on a node of the op table (micrograd's habit, ``out._op = "ReLU"``), which
    pictures show in place of the table's symbol; None when none was assigned, and for a user-op node, whose
    ``_op`` is its own op's symbol (:func:`op_of`). The op itself, and so every derivative, stays the table's.

    >>> x = Value(2.0)
    >>> y = x * x
    >>> assigned_symbol(y), y._op
    (None, '*')
    >>> y._op = "square"
    >>> assigned_symbol(y), y._op, y.op
    ('square', 'square', 'mul')
    """
    return None if v.op == CLOSURE else v._symbol


def _scaled(g: Value, d: Any) -> Value:
    """δ · d for the Value path, without recording a node for d = ±1."""
    if isinstance(d, float):
        if d == 1.0:
            return g
        if d == -1.0:
            return -g
    return g * d


def local_grads(v: Value, create_graph: bool = False) -> tuple[Any, ...]:
    """∂v/∂input for each input of ``v``: floats, or Values when ``create_graph``.

    A derivative undefined at these inputs (∂(a ** b)/∂b for a < 0) is a DomainError, never a NaN.

    >>> a, b = Value(2.0), Value(3.0)
    >>> local_grads(a * b)
    (3.0, 2.0)
    """
    grads = _local_grads(v, create_graph)
    if not create_graph:
        for i, d in enumerate(grads):
            if d != d:
                raise _undefined_derivative(v, i)
    return grads


def _undefined_derivative(v: Value, i: int) -> Exception:
    """The error for ``v``'s local derivative for input ``i`` being NaN (undefined there), worded by the op's rule
    on Values where it explains itself."""
    try:
        with no_grad():
            _local_grads(v, create_graph=True)
    except DomainError as e:
        return _named(e, v)
    args = ", ".join(repr(x.data) for x in v.inputs)
    return OutOfDomainError(
        f"backward through {v.op}({args}): the local derivative for input {i + 1} is nan, undefined there "
        f"({op_of(v).doc})",
        v.op,
        v.inputs[i].data,
    )


def _local_grads(v: Value, create_graph: bool = False, checked: bool = True) -> tuple[Any, ...]:
    """:func:`local_grads` as the rules give them (a float may be NaN where the derivative is undefined); what a
    user's op returns is checked unless ``checked`` is False (a built-in's never is)."""
    if not v.inputs:
        return ()
    if v.op == CLOSURE:
        if create_graph:
            raise NotImplementedError(
                f"higher-order gradients through the user op {v.param.symbol!r}: its _backward closure computes "
                "numbers, not a graph; define the op with autograd.register_op(...) to differentiate it again"
            )
        return _closure_grads(v)
    op = op_of(v)
    if not create_graph:
        data = [x.data for x in v.inputs]
        if checked and not is_built_in(op):
            return _checked_partials(op, op.derivative(*_rule_args(op, data, v.data, v.param)), len(data), False)
        return op.partials([data] if op.arity == NARY else data, v.data, v.param)
    try:
        with values_only(op.name):
            result = op.derivative(*_rule_args(op, v.inputs, v, v.param))
    except TypeError as e:
        raise TypeError(
            f"higher-order gradients through {op.name!r}: its derivative does not accept Values ({e}); "
            "write it with operators, Value methods and autograd.maths.F (F.exp(x), F.cos(x), ...)"
        ) from e
    if checked and not is_built_in(op):
        return _checked_partials(op, result, len(v.inputs), True)
    return (result,) if op.arity == UNARY else tuple(result)


def _rule_args(op: Op, operands: Sequence[Any], out: Any, param: Any) -> list[Any]:
    """The arguments of ``op``'s derivative rule: the operands (an n-ary op's as one list), out, the param."""
    args = [list(operands)] if op.arity == NARY else list(operands)
    args.append(out)
    if op.param is not None:
        args.append(param)
    return args


_CONTRACT = {
    UNARY: "a unary op's derivative(x, out) must return one number, ∂out/∂x",
    BINARY: "a binary op's derivative(a, b, out) must return a pair (∂out/∂a, ∂out/∂b)",
    NARY: "an n-ary op's derivative(xs, out) must return one number per input",
}


def _checked_partials(op: Op, result: Any, n_inputs: int, on_values: bool) -> tuple[Any, ...]:
    """What a user's derivative rule returned, as one local derivative per input (floats in first order, where a
    numpy scalar becomes a float; Values or floats on Values), or a TypeError naming the op, the rule and what it
    returned: a wrong return would otherwise put an array, a Value or None into ``.grad`` or fail deep inside."""
    items: Any = (result,) if op.arity == UNARY else result
    try:
        if op.arity != UNARY and (isinstance(items, (str, bytes)) or len(items) != n_inputs):
            raise TypeError
        out = tuple(d if on_values and isinstance(d, Value) else _one_number(d) for d in items)
    except TypeError:
        got = repr(result)
        raise TypeError(
            f"register_op: the derivative of op {op.name!r} returned {got[:200]} ({type(result).__name__}); "
            f"{_CONTRACT[op.arity]}" + ("" if on_values else " as a float or int (first-order backward)")
        ) from None
    return out


def _one_number(x: Any) -> float:
    """``x`` as a float if it is one real number (int, float, a numpy scalar or 0-d array), else a TypeError."""
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return float(x)
    if getattr(x, "shape", None) == () and getattr(getattr(x, "dtype", None), "kind", "") in "iuf":
        return float(x)  # a 0-d numpy array
    raise TypeError(f"not a real number: {x!r}")


def seed_of(gradient: Any, create_graph: bool, where: str) -> Any:
    """The δ a backward pass starts from: 1.0 for None, a number as a float, a Value's data (or the
    Value itself when the pass records a graph)."""
    if gradient is None:
        return 1.0
    if isinstance(gradient, Value):
        return gradient if create_graph else gradient.data
    return _finite(_real(gradient, where), where)


def _rules() -> dict[str, tuple[int, Callable[..., Any]]]:
    """The live table read once per pass, as (kind, derivative) pairs (benchmarks/bench_core.py, mixed graph)."""
    return {name: (_kind(op), op.derivative) for name, op in OPS.items()}


def _slot_pass(roots: Sequence[Value], seeds: Sequence[float]) -> list[Value]:
    """One first-order reverse pass from ``roots`` leaving δ = Σ seed·∂root/∂node in each node's ``_delta``.

    The fast pass: the caller holds :data:`_SLOTS`, so the slots are this pass's alone. Returns the nodes in
    the order visited (reverse topological). :func:`backprop` is the same pass with δ in a dict.
    """
    order = _pass_order(roots)
    for v in order:
        v._delta = 0.0
    for root, seed in zip(roots, seeds):
        root._delta += seed
    rules = _rules()
    # The inf/NaN test of the pass's δ sums them over the leaves and the closure nodes only: a non-finite δ
    # of a table op's node makes its inputs' δ non-finite (inf·d and NaN·d are inf or NaN for every float d,
    # and sums keep them), so it always reaches a leaf, or a user closure, which may overwrite it.
    total = 0.0
    v = order[0]
    try:
        for v in order:
            g = v._delta
            ins = v.inputs
            if not ins:
                total += g
                continue
            if g == 0.0 and v.op != CLOSURE:  # a closure runs even at δ = 0, as in micrograd
                continue
            try:
                kind, rule = rules[v.op]
            except KeyError:
                total += g
                inputs = _closure_inputs(v)
                for x, d in zip(inputs, _run_closure(v, g, [x._delta for x in inputs])):
                    x._delta = d
                continue
            if kind == BINARY:
                a, b = ins
                da, db = rule(a.data, b.data, v.data)
                a._delta += g * da
                b._delta += g * db
            elif kind == UNARY:
                x = ins[0]
                x._delta += g * rule(x.data, v.data)
            elif kind == NARY:
                for x, d in zip(ins, rule([x.data for x in ins], v.data)):
                    x._delta += g * d
            elif kind == _NARY_WITH_PARAM:  # dot
                for x, d in zip(ins, rule([x.data for x in ins], v.data, v.param)):
                    x._delta += g * d
            else:  # an op with a parameter (leaky_relu's slope, powc's exponent, ...), or a user's op, checked
                for x, d in zip(ins, _local_grads(v, checked=kind == _USER)):
                    x._delta += g * d
    except (ArithmeticError, ValueError) as e:
        raise _named(e, v) from e
    if not -_MAX <= total <= _MAX:  # only then look for the op whose δ step overflowed
        error = _non_finite_gradient(order, {v: v._delta for v in order})
        if error is not None:
            raise error
    return order


def backprop(
    roots: Sequence[Value], seeds: Sequence[Any], create_graph: bool = False, wanted: Sequence[Value] | None = None
) -> tuple[list[Value], dict[Value, Any]]:
    """One reverse pass from ``roots``: δ = Σ seed·∂root/∂node for each node reached.

    Returns the nodes in the order visited (reverse topological) and their δ, a dict of
    the pass's own, so passes nest (a derivative or closure that differentiates, a
    pass in another thread) without touching each other. Touches no ``.grad``:
    :meth:`Value.backward` and :func:`autograd.grad` decide what to do with the δ. In
    the float path δ is a float; with ``create_graph`` it is a Value, or None for "no
    path". An inf or NaN δ is an error naming the step that made it; with ``wanted``,
    only if it reaches one of those nodes (the others' δ are not asked for).
    """
    delta: dict[Value, Any] = {}
    order = _dict_order(roots, delta)
    if create_graph:
        for root, seed in zip(roots, seeds):
            seed = seed if isinstance(seed, Value) else Constant(seed)
            delta[root] = seed if delta[root] is None else delta[root] + seed
        v = order[0]
        try:
            with enable_grad():
                for v in order:
                    g = delta[v]
                    if g is None or not v.inputs:
                        continue
                    for x, d in zip(v.inputs, local_grads(v, create_graph=True)):
                        contribution = _scaled(g, d)
                        delta[x] = contribution if delta[x] is None else delta[x] + contribution
        except (ArithmeticError, ValueError) as e:
            raise _named(e, v) from e
        return order, delta
    for v in order:
        delta[v] = 0.0
    for root, seed in zip(roots, seeds):
        delta[root] += seed
    rules = _rules()
    total = 0.0  # over the leaves and closures, as in _slot_pass
    v = order[0]
    try:
        for v in order:
            g = delta[v]
            ins = v.inputs
            if not ins:
                total += g
                continue
            if g == 0.0 and v.op != CLOSURE:
                continue
            try:
                kind, rule = rules[v.op]
            except KeyError:
                total += g
                inputs = _closure_inputs(v)
                for x, d in zip(inputs, _run_closure(v, g, [delta[x] for x in inputs])):
                    delta[x] = d
                continue
            if kind == BINARY:
                a, b = ins
                da, db = rule(a.data, b.data, v.data)
                delta[a] += g * da
                delta[b] += g * db
            elif kind == UNARY:
                x = ins[0]
                delta[x] += g * rule(x.data, v.data)
            elif kind == NARY:
                for x, d in zip(ins, rule([x.data for x in ins], v.data)):
                    delta[x] += g * d
            elif kind == _NARY_WITH_PARAM:  # dot
                for x, d in zip(ins, rule([x.data for x in ins], v.data, v.param)):
                    delta[x] += g * d
            else:  # an op with a parameter (leaky_relu's slope, powc's exponent, ...), or a user's op, checked
                for x, d in zip(ins, _local_grads(v, checked=kind == _USER)):
                    delta[x] += g * d
    except (ArithmeticError, ValueError) as e:
        raise _named(e, v) from e
    if not -_MAX <= total <= _MAX and (wanted is None or any(not -_MAX <= delta.get(x, 0.0) <= _MAX for x in wanted)):
        error = _non_finite_gradient(order, delta)
        if error is not None:
            raise error
    return order, delta


def _dict_order(roots: Sequence[Value], delta: dict[Value, Any]) -> list[Value]:
    """:func:`_pass_order` for :func:`backprop`: the nodes reached become keys of ``delta`` (value None)."""
    stack = []
    for root in roots:
        if root not in delta:
            delta[root] = None
            stack.append(root)
    order: list[Value] = []
    pop, push, append = stack.pop, stack.append, order.append
    while stack:
        v = pop()
        append(v)
        for x in v.inputs:
            if x not in delta:
                delta[x] = None
                push(x)
    order.sort(key=creation_stamp, reverse=True)
    return order


def _accumulate_slots(order: list[Value]) -> None:
    """Add each node's δ (in ``_delta``, from :func:`_slot_pass`) into its ``.grad``; an inf or NaN sum is an
    error naming the node, and then no ``.grad`` changes."""
    total = 0.0
    with GRAD_LOCK:
        if _SWAPPED:  # a closure is running somewhere: its nodes' real .grad is kept aside
            _accumulate(order, {v: v._delta for v in order})
            for v in order:
                v._delta = None
            return
        for v in order:
            d = v._delta
            # the δ float is freed and the old .grad kept for an undo: usually the shared 0.0, so no memory
            # (benchmarks/bench_core.py, memory per node)
            v._delta = v.grad
            v.grad += d
            total += v.grad  # one sum tests every new .grad for inf/NaN (may overflow alone: then a search)
        if not -_MAX <= total <= _MAX:
            bad = next((v for v in order if not -_MAX <= v.grad <= _MAX), None)
            if bad is not None:
                for v in order:
                    v.grad, v._delta = v._delta, None
                raise _grad_overflow(bad, bad.grad)


def _accumulate(order: list[Value], delta: dict[Value, Any]) -> None:
    """:func:`_accumulate_slots` for the δ of :func:`backprop`; a node whose ``.grad`` a running closure holds
    (:data:`_SWAPPED`) gets it in its real value."""
    with GRAD_LOCK:
        new = []
        for v in order:
            record = _SWAPPED.get(v)
            grad = v.grad if record is None else record[0]
            total = grad + delta[v]
            if not -_MAX <= total <= _MAX:
                raise _grad_overflow(v, total, grad)
            new.append((v, record, total))
        for v, record, total in new:
            if record is None:
                v.grad = total
            else:
                record[0] = total


def _accumulate_values(order: list[Value], delta: dict[Value, Any]) -> None:
    """Add the δ Values of a ``create_graph`` pass into ``.grad`` (their data) and ``.grad_value``."""
    with GRAD_LOCK:  # .grad and .grad_value of one pass together: concurrent passes lost updates without it
        _accumulate(order, {v: 0.0 if delta[v] is None else delta[v].data for v in order})
        for v in order:
            g = delta[v]
            if g is not None:
                v.grad_value = g if v.grad_value is None else v.grad_value + g


def _grad_overflow(v: Value, total: float, grad: float | None = None) -> NonFiniteError:
    """The error for adding a pass's δ into ``v.grad`` (then ``grad``) giving the non-finite ``total``."""
    name = f"{'leaf' if not v.inputs else v.op + ' node'}" + (f" {v.label!r}" if v.label else "")
    before = "" if grad is None else f" (it was {grad!r})"
    return NonFiniteError(
        f"backward: adding this pass's δ into .grad of the {name} gives {total!r}{before}; deltagrad stops at "
        "the first inf or NaN and left every .grad as it was (call zero_grad() between passes?)"
    )


def _non_finite(data: float, op: str, inputs: tuple[Value, ...], param: Any = None) -> NonFiniteError:
    """The error for a node of ``op`` whose forward result ``data`` is inf or NaN (its number parameter shown)."""
    if not op:
        return NonFiniteError(f"a constant {data!r} in an expression; deltagrad stops at the first inf or NaN")
    shown = [x.data for x in inputs] + ([param] if isinstance(param, float) else [])
    return NonFiniteError.result(op, shown, data)


def _non_finite_gradient(order: list[Value], delta: dict[Value, Any]) -> Exception | None:
    """The error naming the first node (in backward order) whose δ step gives an input an inf or NaN δ;
    None when no δ is non-finite (only their sum, which the cheap test adds up, overflowed).

    A local derivative that is itself NaN is undefined at that point (∂(a ** b)/∂b for a < 0): a
    DomainError, worded by the op's rule on Values where it explains itself."""
    for v in order:
        g = delta[v]
        if g - g or not v.inputs or v.op == CLOSURE:  # a non-finite δ of v itself was caused further up
            continue
        args = ", ".join(repr(x.data) for x in v.inputs)
        for i, d in enumerate(_local_grads(v)):
            if d != d:
                return _undefined_derivative(v, i)
            if g * d - g * d:
                return NonFiniteError(
                    f"backward through {v.op}({args}): δ {g!r} times the local derivative {d!r} gives {g * d!r}; "
                    "deltagrad stops at the first inf or NaN"
                )
    for v in order:
        if delta[v] - delta[v]:
            return NonFiniteError(
                f"backward: the δ of a {v.op or 'leaf'} node, summed over its paths, is {delta[v]!r}; "
                "deltagrad stops at the first inf or NaN"
            )
    return None


_NARY_WITH_PARAM, _WITH_PARAM, _USER = 3, -2, -3


def _kind(op: Op) -> int:
    """How :func:`backprop` calls ``op``'s derivative: by its arity, with or without the node's parameter; a
    user's op (not built in) through :func:`_local_grads`, which checks what its rule returns."""
    if not is_built_in(op):
        return _USER
    if op.param is None:
        return op.arity
    return _NARY_WITH_PARAM if op.arity == NARY else _WITH_PARAM


_SLOTS = threading.Lock()
"""Held by the one first-order ``backward()`` that keeps its δ in the nodes' ``_delta`` slots (the fast pass);
a pass that finds it taken (nested in a derivative or closure, or in another thread) keeps its δ in a dict
(:func:`backprop`), so passes never wait for each other."""

GRAD_LOCK = threading.RLock()
"""Held while a pass adds its δ into ``.grad`` and while a closure's nodes swap their ``.grad`` (short)."""

_CLOSURE_LOCK = threading.RLock()
"""User closures run one at a time: they read and write the nodes' ``.grad``."""


def _named(error: Exception, v: Value) -> Exception:
    """``error`` raised by ``v``'s derivative rule, re-made to name the op and its inputs."""
    args = ", ".join(f"{x.data!r}" for x in v.inputs)
    name = v._op if v.op == CLOSURE else v.op
    message = f"backward through {name}({args}): {error}"
    if isinstance(error, DomainError):
        return type(error)(message, error.op, error.value)
    value = v.inputs[0].data if len(v.inputs) == 1 else tuple(x.data for x in v.inputs)
    # Python's own errors from a derivative (0.5 / 0.0 for sqrt at 0) become deltagrad's DomainError kinds
    if isinstance(error, ZeroDivisionError):
        return DivisionByZeroError(f"{message}: the derivative is infinite there", name, value)
    if isinstance(error, OverflowError):
        return FloatOverflowError(message, name, value)
    if type(error) is ValueError:
        return OutOfDomainError(message, name, value)
    return type(error)(message)


OPS.subscribe(_refresh_docs)
