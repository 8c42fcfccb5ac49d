"""The node of the graph: :class:`Value`, one float and its gradient δ."""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Callable
from functools import partial
from operator import attrgetter
from typing import Any

from .grad_mode import _grad_enabled, enable_grad
from .ops import BINARY, FLOAT, OPS, UNARY, Op

__all__ = ["Value", "Constant", "Number", "backprop", "local_grads", "walk"]

Number = int | float
_ids = itertools.count()
_new = object.__new__
_by_id = attrgetter("_id")


def _real(x: Any, where: str) -> float:
    """``x`` as a float, or a TypeError naming ``where`` and the type."""
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return float(x)
    raise TypeError(f"{where}: expected a real number (int, float or numpy scalar), got {type(x).__name__} {x!r}")


def _binary_operator(name: str, reflected: bool = False) -> Callable[[Value, Any], Value]:
    """The operator method recording op ``name``: ``self op other``, or ``other op self`` when ``reflected``.

    Numbers become :class:`Constant` leaves; other types give NotImplemented, so
    Python raises its usual TypeError naming the operator and both types.
    """
    op = OPS[name]
    forward = op.forward

    def operator(self: Value, other: Any) -> Value:
        if type(other) is not Value:
            other = _operand(other)
            if other is None:
                return NotImplemented
        return _node(forward(FLOAT, self.data, other.data, None), name, (self, other))

    def reflected_operator(self: Value, other: Any) -> Value:
        other = _operand(other)
        if other is None:
            return NotImplemented
        return _node(forward(FLOAT, other.data, self.data, None), name, (other, self))

    method = reflected_operator if reflected else operator
    left, right = ("other", "self") if reflected else ("self", "other")
    method.__doc__ = f"{left} {op.symbol} {right}: {op.doc}"
    return method


class Value:
    """A scalar in a computational graph: ``data`` and its gradient ``grad``.

    ``grad`` is δ = ∂L/∂(this node), filled in by :meth:`backward` on the
    output L. Every operation on Values records a new node whose ``op`` names
    the operation and whose ``inputs`` are its operands.

    ``<``, ``<=``, ``>``, ``>=`` compare ``data`` (so ``max(values)`` works), while
    ``==`` and hashing go by identity: a node is a place in the graph, so two
    nodes holding equal numbers are still two keys of a dict.

    >>> x = Value(2.0, label="x"); w = Value(-3.0, label="w")
    >>> y = (x * w + 1.0).tanh()
    >>> y.backward()
    >>> round(x.grad, 6), round(w.grad, 6)
    (-0.000545, 0.000363)
    """

    __slots__ = ("data", "grad", "inputs", "op", "label", "param", "grad_value", "_id", "_delta")

    data: float
    grad: float
    inputs: tuple[Value, ...]
    op: str
    label: str
    param: Any
    grad_value: Value | None

    def __init__(self, data: Number, label: str = "") -> None:
        data = _real(data, "Value")
        if data != data:
            raise ValueError("Value: data is NaN; a NaN would silently poison every gradient")
        if not isinstance(label, str):
            raise TypeError(f"Value: label must be a str, got {type(label).__name__}")
        self.data = data
        self.grad = 0.0
        self.inputs = ()
        self.op = ""
        self.label = label
        self.param = None
        self.grad_value = None
        self._id = next(_ids)

    # ----------------------------------------------------------------- recording
    @classmethod
    def _node(cls, data: float, op: str, inputs: tuple[Value, ...], param: Any = None) -> Value:
        """A new node computed by ``op``; records ``inputs`` only when grad mode is on."""
        v = _new(cls)
        v.data = data
        v.grad = 0.0
        v.inputs = inputs if _grad_enabled.get() else ()
        v.op = op
        v.label = ""
        v.param = param
        v.grad_value = None
        v._id = next(_ids)
        return v

    def _unary(self, op: Op, param: Any = None) -> Value:
        return _node(op.forward(FLOAT, self.data, param), op.name, (self,), param)

    # ------------------------------------------------------------ arithmetic
    __add__, __radd__ = _binary_operator("add"), _binary_operator("add", reflected=True)
    __sub__, __rsub__ = _binary_operator("sub"), _binary_operator("sub", reflected=True)
    __mul__, __rmul__ = _binary_operator("mul"), _binary_operator("mul", reflected=True)
    __truediv__, __rtruediv__ = _binary_operator("div"), _binary_operator("div", reflected=True)

    def __pow__(self, other: Value | Number) -> Value:
        """``x ** c`` with a number c records op ``powc``; ``x ** y`` with a Value y records ``pow``."""
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return self._unary(_POWC, float(other))
        return _pow(self, other)

    __rpow__ = _binary_operator("pow", reflected=True)

    def __neg__(self) -> Value:
        return self._unary(_NEG)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        """|x|, with derivative sign(x) and sign(0) = 0 (PyTorch's choice)."""
        return self._unary(_ABS)

    # ------------------------------------------------------------ functions
    def exp(self) -> Value:
        """eˣ; δx += δ·eˣ. Raises OverflowError past x ≈ 709.78."""
        return self._unary(_EXP)

    def log(self) -> Value:
        """Natural log; δx += δ/x. Raises ValueError for x <= 0."""
        return self._unary(_LOG)

    def sqrt(self) -> Value:
        """√x; δx += δ/(2√x). Raises ValueError for x < 0."""
        return self._unary(_SQRT)

    def tanh(self) -> Value:
        """tanh x; δx += δ·(1 - tanh²x)."""
        return self._unary(_TANH)

    def sigmoid(self) -> Value:
        """σ(x) = 1/(1 + e⁻ˣ), computed without overflow; δx += δ·σ(x)(1 - σ(x))."""
        return self._unary(_SIGMOID)

    def relu(self) -> Value:
        """max(0, x); δx += δ where x > 0. The derivative at exactly 0 is 0, as in PyTorch."""
        return self._unary(_RELU)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x for x > 0, else slope·x; δx += δ, or δ·slope (slope also at x = 0)."""
        return self._unary(_LEAKY_RELU, _real(slope, "leaky_relu: slope"))

    def elu(self, alpha: float = 1.0) -> Value:
        """x for x > 0, else α(eˣ - 1); δx += δ, or δ·αeˣ."""
        return self._unary(_ELU, _real(alpha, "elu: alpha"))

    def softplus(self) -> Value:
        """ln(1 + eˣ), computed without overflow; δx += δ·σ(x)."""
        return self._unary(_SOFTPLUS)

    def sin(self) -> Value:
        """sin x; δx += δ·cos x."""
        return self._unary(_SIN)

    def cos(self) -> Value:
        """cos x; δx -= δ·sin x."""
        return self._unary(_COS)

    # ------------------------------------------------------------ backward
    def backward(self, gradient: Number = 1.0, create_graph: bool = False) -> None:
        """Add ∂self/∂node, times ``gradient``, into ``.grad`` of every node of the graph.

        Nodes are visited in reverse topological order (no recursion, so any
        depth works) and each applies the chain rule δ_input += δ · ∂self/∂input;
        a node reached along several paths receives the sum. Calling it again
        accumulates, as in PyTorch: call :meth:`zero_grad` in between.

        With ``create_graph=True`` the gradients are also recorded as Values in
        ``.grad_value``, themselves differentiable (higher-order derivatives).
        """
        if self.op and not self.inputs:
            raise RuntimeError(
                f"backward: this Value ({self.op}, data={self.data:.4g}) was computed under no_grad(), "
                "so no graph was recorded; compute it outside no_grad() to differentiate it"
            )
        order = backprop(self, _real(gradient, "backward: gradient"), create_graph)
        if create_graph:
            for v in order:
                g = v._delta
                if g is not None:
                    v.grad += g.data
                    v.grad_value = g if v.grad_value is None else v.grad_value + g
                v._delta = None
        else:
            for v in order:
                v.grad += v._delta

    def zero_grad(self) -> None:
        """Reset ``.grad`` (and ``.grad_value``) of every node in this Value's graph."""
        for v in self.walk():
            v.grad = 0.0
            v.grad_value = None

    def walk(self) -> list[Value]:
        """Every node of this Value's graph, in reverse topological order (outputs first)."""
        return walk([self])

    # ------------------------------------------------------------ conveniences
    @property
    def is_leaf(self) -> bool:
        """True for a node with no recorded inputs (created by the user, or under no_grad)."""
        return not self.inputs

    def detach(self) -> Value:
        """A new leaf with the same data, cut off from this graph."""
        return Value(self.data, self.label)

    def item(self) -> float:
        """The data as a Python float (PyTorch's name)."""
        return self.data

    def __float__(self) -> float:
        return self.data

    def __bool__(self) -> bool:
        return self.data != 0.0

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"{type(self).__name__}(data={self.data:.4g}, grad={self.grad:.4g}{label})"

    def __lt__(self, other: Value | Number) -> bool:
        other = _operand(other)
        return NotImplemented if other is None else self.data < other.data

    def __le__(self, other: Value | Number) -> bool:
        other = _operand(other)
        return NotImplemented if other is None else self.data <= other.data

    def __gt__(self, other: Value | Number) -> bool:
        other = _operand(other)
        return NotImplemented if other is None else self.data > other.data

    def __ge__(self, other: Value | Number) -> bool:
        other = _operand(other)
        return NotImplemented if other is None else self.data >= other.data

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
    order.sort(key=_by_id, reverse=True)
    return order


class Constant(Value):
    """A leaf made from a plain number in an expression such as ``x * 2``."""

    __slots__ = ()


def _operand(x: Any) -> Value | None:
    """``x`` as a Value (numbers become Constants), or None for an unsupported type."""
    if type(x) is float and x == x:
        return _constant(x)
    if isinstance(x, Value):
        return x
    if type(x) is float or type(x) is int or (isinstance(x, numbers.Real) and not isinstance(x, bool)):
        x = float(x)
        if x != x:
            raise ValueError("a NaN constant in an expression would silently poison every gradient")
        return _constant(x)
    return None


_node = Value._node
_constant = partial(Constant._node, op="", inputs=())
_POWC = OPS["powc"]
_pow = _binary_operator("pow")
_NEG, _ABS, _EXP, _LOG, _SQRT, _TANH = (OPS[n] for n in ("neg", "abs", "exp", "log", "sqrt", "tanh"))
_SIGMOID, _RELU, _LEAKY_RELU, _ELU, _SOFTPLUS, _SIN, _COS = (
    OPS[n] for n in ("sigmoid", "relu", "leaky_relu", "elu", "softplus", "sin", "cos")
)


class ValueMath:
    """The math namespace over Values: derivative rules evaluated here build graphs."""

    exp, log, sqrt, tanh = map(staticmethod, (Value.exp, Value.log, Value.sqrt, Value.tanh))
    sigmoid, softplus, sin, cos = map(staticmethod, (Value.sigmoid, Value.softplus, Value.sin, Value.cos))

    @staticmethod
    def pow(x: Value, c: Value | float) -> Value:
        return x**c

    @staticmethod
    def where_pos(x: Value, a: Any, b: Any) -> Any:
        return a if x.data > 0.0 else b

    @staticmethod
    def where_nonneg(x: Value, a: Any, b: Any) -> Any:
        return a if x.data >= 0.0 else b


VALUE = ValueMath()
_RULES = {name: (op.arity, op.derivative) for name, op in OPS.items()}


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

    >>> a, b = Value(2.0), Value(3.0)
    >>> local_grads(a * b)
    (3.0, 2.0)
    """
    if not v.inputs:
        return ()
    arity, rule = _RULES[v.op]
    F, args, out = (VALUE, v.inputs, v) if create_graph else (FLOAT, [x.data for x in v.inputs], v.data)
    if arity == UNARY:
        return (rule(F, args[0], out, v.param),)
    if arity == BINARY:
        return tuple(rule(F, args[0], args[1], out, v.param))
    return tuple(rule(F, list(args), out, v.param))


def backprop(root: Value, seed: float = 1.0, create_graph: bool = False) -> list[Value]:
    """One reverse pass from ``root``: leaves δ = ∂root/∂node · seed in each node's ``_delta``.

    Returns the nodes in the order visited (reverse topological). Touches no
    ``.grad``: :meth:`Value.backward` and :func:`autograd.grad` decide what to
    do with the δ values. In the float path ``_delta`` is a float; with
    ``create_graph`` it is a Value (or None for "no path").
    """
    order = root.walk()
    if create_graph:
        for v in order:
            v._delta = None
        root._delta = Constant(seed)
        v = root
        try:
            with enable_grad():
                for v in order:
                    g = v._delta
                    if g is None or not v.inputs:
                        continue
                    for x, d in zip(v.inputs, local_grads(v, create_graph=True)):
                        contribution = _scaled(g, d)
                        x._delta = contribution if x._delta is None else x._delta + contribution
        except (ArithmeticError, ValueError) as e:
            raise _named(e, v) from e
        return order
    for v in order:
        v._delta = 0.0
    root._delta = seed
    rules, F = _RULES, FLOAT
    v = root
    try:
        for v in order:
            g = v._delta
            ins = v.inputs
            if not ins or g == 0.0:
                continue
            arity, rule = rules[v.op]
            if arity == UNARY:
                x = ins[0]
                x._delta += g * rule(F, x.data, v.data, v.param)
            elif arity == BINARY:
                a, b = ins
                da, db = rule(F, a.data, b.data, v.data, v.param)
                a._delta += g * da
                b._delta += g * db
            else:
                for x, d in zip(ins, rule(F, [x.data for x in ins], v.data, v.param)):
                    x._delta += g * d
    except (ArithmeticError, ValueError) as e:
        raise _named(e, v) from e
    return order


def _named(error: Exception, v: Value) -> Exception:
    """``error`` raised by ``v``'s derivative rule, re-made to name the op and its inputs."""
    args = ", ".join(f"{x.data!r}" for x in v.inputs)
    return type(error)(f"backward through {v.op}({args}): {error}")
