"""Compiled batch mode: trace a scalar graph once, replay it over whole batches with numpy.

``compile(fn, n_inputs)`` calls ``fn`` once on placeholder Values ``x1..xn``;
the graph it builds, with its op names, is the program. Every node gets a
*level*, 0 for leaves and 1 + the largest level of its inputs otherwise, so the
nodes of one level never depend on each other. Within a level, the nodes of
one op run as ONE numpy operation over a (nodes × batch) block, gathered from a
(rows × batch) array of values by index arrays:

* unary and binary ops evaluate the op table's own rules on whole blocks,
  through :data:`NUMPY`, a math namespace over arrays;
* n-ary ``sum``, ``mean``, ``logsumexp`` (and a ``dot`` whose weights are
  computed) are reductions over an (inputs × nodes × batch) block;
* ``dot`` nodes whose weights are parameters and which share one input tuple
  (the neurons of a layer) are one matrix product Z = W·X + b, W gathered from
  the parameters' current ``.data`` at every forward.

Backward walks the levels in reverse and applies the table's derivative rules
to the same blocks, δ_input += δ_out · ∂out/∂input, scatter-adding into the δ
rows of the inputs; a matrix product gives δW = δZ·Xᵀ and δX = Wᵀ·δZ. Each
parameter's ``.grad`` receives its gradient summed over the batch, so
``nn.optim`` works unchanged.

Python branches on data inside ``fn`` (``if x > 0``, ``max`` of Values) are
frozen at trace time: the trace records the one path taken.

>>> import numpy as np
>>> from autograd import Value
>>> from autograd import compile
>>> w, b = Value(2.0), Value(1.0)
>>> g = compile(lambda x: (w * x[0] + b).relu(), n_inputs=1)
>>> g.forward(np.array([[1.0], [-3.0]])).tolist()
[3.0, 0.0]
>>> _ = g.backward()
>>> w.grad, b.grad
(1.0, 1.0)
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

import numpy as np

from .errors import NonFiniteError
from .grad_mode import enable_grad
from .maths import NUMPY, NumpyMath
from .ops import BINARY, CLOSURE, OPS, UNARY, Op, array_rule_error
from .value import Constant, Value, walk

__all__ = ["compile", "CompiledGraph", "NumpyMath", "NUMPY"]

_data = attrgetter("data")


_UNSUPPORTED = {
    "pow": "Value ** Value (op 'pow') is not supported in compiled mode: its rule for the exponent's derivative "
    "branches on one float base at a time; use x ** c with a number c (op 'powc'), or (y * x.log()).exp()",
}


# ------------------------------------------------------------------ index arrays
class _Index:
    """Indices into the first axis of an array: gathers, and scatter-adds that respect repeats.

    Contiguous indices become a slice (gathers are then views). Repeated indices
    (fan-out: one value read by several nodes) are summed per target with a
    precomputed sort and ``np.add.reduceat`` before the single ``+=``.
    """

    __slots__ = ("shape", "index", "targets", "order", "starts")

    def __init__(self, indices: Any) -> None:
        flat = np.asarray(indices, dtype=np.intp)
        self.shape = flat.shape
        flat = flat.ravel()
        self.order = self.starts = None
        self.targets: Any = flat
        if flat.size and np.array_equal(flat, np.arange(flat[0], flat[0] + flat.size)):
            self.index: Any = slice(int(flat[0]), int(flat[0]) + flat.size)
            self.targets = self.index
        else:
            self.index = flat
            targets = np.unique(flat)
            if targets.size < flat.size:
                self.order = np.argsort(flat, kind="stable")
                self.starts = np.searchsorted(flat[self.order], targets)
                self.targets = targets

    def gather(self, a: np.ndarray) -> np.ndarray:
        """``a`` at these indices, shaped ``self.shape + a.shape[1:]``."""
        return a[self.index].reshape(self.shape + a.shape[1:])

    def add_to(self, target: np.ndarray, values: Any) -> None:
        """``target[i] += v`` for each index i and its value v, summing repeats."""
        values = np.broadcast_to(values, self.shape + target.shape[1:]).reshape((-1, *target.shape[1:]))
        if self.order is not None and self.starts is not None:
            values = np.add.reduceat(values[self.order], self.starts, axis=0)
        target[self.targets] += values


def _times(g: np.ndarray, d: Any) -> np.ndarray:
    """δ · ∂out/∂input, skipping the product for a constant ±1."""
    if isinstance(d, float) and d in (1.0, -1.0):
        return g if d == 1.0 else -g
    return g * d


# ------------------------------------------------------------------ steps: one numpy operation each
# Each step's backward takes ``want``: one flag per operand, False when no parameter (or, when input
# gradients are asked for, no placeholder) lies behind that operand, so its δ need not be computed.
class _Elementwise:
    """k nodes of one unary or binary op: out[k, batch] = op(operands[k, batch]), by the table's rules."""

    def __init__(self, op: Op, param: Any, operands: list[_Index], out: slice) -> None:
        self.op, self.param, self.operands, self.out = op, param, operands, out
        self.name = op.name

    def forward(self, V: np.ndarray, leaves: np.ndarray) -> None:
        V[self.out] = self.op.forward(NUMPY, *(ix.gather(V) for ix in self.operands), self.param)

    def backward(self, V: np.ndarray, dV: np.ndarray, leaf_grad: np.ndarray, want: tuple[bool, ...]) -> None:
        g = dV[self.out]
        partials = self.op.derivative(NUMPY, *(ix.gather(V) for ix in self.operands), V[self.out], self.param)
        if self.op.arity == UNARY:
            partials = (partials,)
        for ix, d, wanted in zip(self.operands, partials, want):
            if wanted:
                ix.add_to(dV, _times(g, d))

    def describe(self) -> str:
        return f"{self.name}×{self.out.stop - self.out.start}"


class _Reduction:
    """k nodes of one n-ary op with n inputs each: a reduction over an (n × k × batch) block."""

    def __init__(self, op: Op, param: Any, operands: _Index, out: slice) -> None:
        self.op, self.param, self.operands, self.out = op, param, operands, out
        self.name = op.name

    def forward(self, V: np.ndarray, leaves: np.ndarray) -> None:
        V[self.out] = self.op.forward(NUMPY, self.operands.gather(V), self.param)

    def backward(self, V: np.ndarray, dV: np.ndarray, leaf_grad: np.ndarray, want: tuple[bool, ...]) -> None:
        g = dV[self.out]
        parts = self.op.derivative(NUMPY, self.operands.gather(V), V[self.out], self.param)
        if all(isinstance(d, float) for d in parts):
            partials = np.array(parts)[:, None, None]
        else:
            partials = np.stack([np.broadcast_to(d, g.shape) for d in parts])
        self.operands.add_to(dV, partials * g)

    def describe(self) -> str:
        n, k = self.operands.shape
        return f"{self.name}×{k} (reducing {n} inputs each)"


class _MatMul:
    """k ``dot`` nodes sharing one input tuple x (a layer's neurons): Z = W·X (+ b), W from the leaf values."""

    def __init__(self, weights: _Index, inputs: _Index, bias: _Index | None, out: slice) -> None:
        self.weights, self.inputs, self.bias, self.out = weights, inputs, bias, out
        self.name = "dot"
        self.W: np.ndarray | None = None

    def forward(self, V: np.ndarray, leaves: np.ndarray) -> None:
        self.W = self.weights.gather(leaves)
        Z = self.W @ self.inputs.gather(V)
        if self.bias is not None:
            Z += self.bias.gather(V)
        V[self.out] = Z

    def backward(self, V: np.ndarray, dV: np.ndarray, leaf_grad: np.ndarray, want: tuple[bool, ...]) -> None:
        """δW = δZ·Xᵀ (the product sums over the batch), δX = Wᵀ·δZ, δb = δZ; want = (W, X, b)."""
        dZ = dV[self.out]
        if want[0]:
            self.weights.add_to(leaf_grad, dZ @ self.inputs.gather(V).T)
        if want[1]:
            assert self.W is not None, "backward runs after forward, which gathers W"
            self.inputs.add_to(dV, self.W.T @ dZ)
        if self.bias is not None and want[2]:
            self.bias.add_to(dV, dZ)

    def describe(self) -> str:
        k, p = self.weights.shape
        return f"dot×{k} as one ({k}×{p}) matrix product"


# ------------------------------------------------------------------ the compiled graph
class CompiledGraph:
    """A traced scalar graph, replayed over batches: see :func:`compile`.

    ``parameters`` are the leaves that are neither placeholders nor Constants,
    in creation order; their ``.data`` is read at every :meth:`forward` and
    :meth:`backward` adds the batch gradient into their ``.grad``.
    """

    n_inputs: int
    n_outputs: int
    single: bool  # fn returned one Value (forward gives shape (batch,)), not a list

    def __init__(self, fn: Callable[[list[Value]], Any], n_inputs: int, example: Sequence[float] | None = None):
        if not isinstance(n_inputs, numbers.Integral) or isinstance(n_inputs, bool):
            raise TypeError(f"compile: n_inputs must be an int, got {type(n_inputs).__name__} {n_inputs!r}")
        if n_inputs < 1:
            raise ValueError(f"compile: n_inputs must be >= 1, got {n_inputs}")
        n_inputs = int(n_inputs)
        row_data = [0.5] * n_inputs if example is None else [float(v) for v in example]
        if len(row_data) != n_inputs:
            raise ValueError(f"compile: example has {len(row_data)} values, expected n_inputs = {n_inputs}")
        with enable_grad():
            placeholders = [Value(v, label=f"x{i + 1}") for i, v in enumerate(row_data)]
            result = fn(placeholders)
        self.single = isinstance(result, Value)
        outputs = [result] if self.single else result
        if not isinstance(outputs, (list, tuple)) or not outputs or not all(isinstance(v, Value) for v in outputs):
            raise TypeError(
                f"compile: fn must return a Value or a non-empty list of Values, got {type(result).__name__}"
            )
        self.n_inputs, self.n_outputs = n_inputs, len(outputs)
        self._build(placeholders, list(outputs))
        self._V: np.ndarray | None = None

    # -------------------------------------------------------------- compile time
    def _build(self, placeholders: list[Value], outputs: list[Value]) -> None:
        nodes = walk(outputs)[::-1]  # topological order: inputs first
        checked: set[str] = set()
        for v in nodes:
            if v.op == CLOSURE:
                raise NotImplementedError(
                    f"compile: the user op {v._op!r} is a _backward closure, which computes one float at a time; "
                    "define it with autograd.register_op(...), with a forward and derivative that accept numpy arrays"
                )
            if v.inputs and v.op not in OPS:
                raise NotImplementedError(f"compile: op {v.op!r} is not in autograd.OPS, so it has no numpy rule")
            if v.inputs and v.op in _UNSUPPORTED:
                raise NotImplementedError(f"compile: {_UNSUPPORTED[v.op]}")
            if v.inputs and v.op not in checked:
                checked.add(v.op)
                problem = array_rule_error(OPS[v.op], NUMPY, [x.data for x in v.inputs], v.param)
                if problem is not None:
                    raise NotImplementedError(f"compile: op {v.op!r} cannot run in compiled mode: {problem}")
        is_placeholder = set(placeholders)
        leaves = [v for v in nodes if not v.inputs and v not in is_placeholder]
        self.parameters: list[Value] = [v for v in leaves if not isinstance(v, Constant)]
        leaf_order = self.parameters + [v for v in leaves if isinstance(v, Constant)]
        leaf_pos = {v: i for i, v in enumerate(leaf_order)}
        self._leaves = np.array([v.data for v in leaf_order], dtype=float)

        def weights_and_inputs(v: Value) -> tuple[list[Value], list[Value]] | None:
            """A dot node's (weights, inputs) when one half is all parameters/constants: a matrix product."""
            p = v.param
            ws, xs = list(v.inputs[:p]), list(v.inputs[p : 2 * p])
            for W, X in ((ws, xs), (xs, ws)):
                if all(w in leaf_pos for w in W):
                    return W, X
            return None

        # levels, and the groups of one level run as one numpy operation
        level: dict[Value, int] = {}
        # needs[v] = (δ of v leads to a parameter, δ of v leads to a parameter or a placeholder)
        needs: dict[Value, tuple[bool, bool]] = {x: (False, True) for x in placeholders}
        needs.update({v: (True, True) for v in self.parameters})
        groups: dict[tuple[int, Any], list[Value]] = {}
        matmul: dict[Value, tuple[list[Value], list[Value]]] = {}
        for v in nodes:
            if not v.inputs:
                continue
            level[v] = lv = 1 + max(level.get(x, 0) for x in v.inputs)
            flags = [needs.get(x, (False, False)) for x in v.inputs]
            needs[v] = (any(f[0] for f in flags), any(f[1] for f in flags))
            halves = weights_and_inputs(v) if v.op == "dot" else None
            if halves is not None:
                matmul[v] = halves
                key: Any = ("matmul", tuple(halves[1]), len(v.inputs) - 2 * v.param)
            elif OPS[v.op].arity in (UNARY, BINARY):
                key = ("elementwise", v.op, v.param)
            else:
                key = ("reduce", v.op, v.param, len(v.inputs))
            groups.setdefault((lv, key), []).append(v)

        # rows of the value block: placeholders, leaves read as operands, then each group's outputs contiguously
        row = {v: i for i, v in enumerate(placeholders)}
        for members in groups.values():
            for v in members:
                operands = matmul[v][1] + list(v.inputs[2 * v.param :]) if v in matmul else v.inputs
                for x in operands:
                    if not x.inputs and x not in row:
                        row[x] = len(row)
        for v in outputs:
            if not v.inputs and v not in row:
                row[v] = len(row)
        leaf_rows = [(r, leaf_pos[v]) for v, r in row.items() if v in leaf_pos]
        self._leaf_rows = slice(n := len(placeholders), n + len(leaf_rows))
        self._leaf_row_pos = np.array([p for _, p in leaf_rows], dtype=np.intp)

        def want(*operand_groups: Sequence[Value]) -> tuple[tuple[bool, ...], ...]:
            """Per mode (parameters only, parameters and inputs): does any operand of each group need δ?"""
            flags = [[needs.get(x, (False, False)) for x in vs] for vs in operand_groups]
            return tuple(tuple(any(f[mode] for f in fs) for fs in flags) for mode in (0, 1))

        self._steps: list[tuple[int, Any, tuple[tuple[bool, ...], ...]]] = []
        for (lv, kind), members in sorted(groups.items(), key=lambda item: item[0][0]):
            out = slice(len(row), len(row) + len(members))
            for v in members:
                row[v] = len(row)
            first = members[0]
            columns = [[v.inputs[i] for v in members] for i in range(len(first.inputs))]
            if kind[0] == "matmul":
                weights = [matmul[v][0] for v in members]
                xs = matmul[first][1]
                biases = [v.inputs[-1] for v in members] if kind[2] else []
                step: Any = _MatMul(
                    _Index([[leaf_pos[w] for w in ws] for ws in weights]),
                    _Index([row[x] for x in xs]),
                    _Index([row[b] for b in biases]) if biases else None,
                    out,
                )
                wanted = want([w for ws in weights for w in ws if not isinstance(w, Constant)], xs, biases)
            elif kind[0] == "elementwise":
                blocks = [_Index([row[x] for x in column]) for column in columns]
                step = _Elementwise(OPS[first.op], first.param, blocks, out)
                wanted = want(*columns)
            else:
                step = _Reduction(OPS[first.op], first.param, _Index([[row[x] for x in c] for c in columns]), out)
                wanted = want([x for column in columns for x in column])
            self._steps.append((lv, step, wanted))
        self._outputs = _Index([row[v] for v in outputs])
        self.n_rows = len(row)
        self.n_levels = max(level.values(), default=0)
        self.n_nodes = len(level)

    # -------------------------------------------------------------- run time
    def forward(self, X: Any, parameters: np.ndarray | None = None) -> np.ndarray:
        """Outputs for every row of ``X`` (batch × n_inputs): shape (batch,), or (batch, n_outputs).

        The parameters' values are read from their ``.data``, or taken from the
        array ``parameters`` (in :attr:`parameters` order) when given.
        """
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_inputs or X.shape[0] == 0:
            raise ValueError(f"compiled forward: X must have shape (batch >= 1, {self.n_inputs}), got {np.shape(X)}")
        n = len(self.parameters)
        if parameters is None:
            self._leaves[:n] = np.fromiter(map(_data, self.parameters), dtype=float, count=n)
        elif np.shape(parameters) == (n,):
            self._leaves[:n] = parameters
        else:
            raise ValueError(f"compiled forward: parameters must have shape ({n},), got {np.shape(parameters)}")
        V = np.empty((self.n_rows, X.shape[0]))
        V[: self.n_inputs] = X.T
        V[self._leaf_rows] = self._leaves[self._leaf_row_pos, None]
        leaves = self._leaves
        self._run("forward", lambda step, wanted: step.forward(V, leaves), self._steps)
        if not (np.isfinite(V).all() and np.isfinite(leaves).all()):  # one cheap pass; the search only on failure
            raise _non_finite_forward(self, V)
        self._V = V
        out = self._outputs.gather(V)
        return out[0].copy() if self.single else out.T.copy()

    __call__ = forward

    def backward(self, seed: Any = None, input_grads: bool = False) -> np.ndarray | None:
        """Add Σ_batch seed·∂out/∂p into ``p.grad`` for every parameter p of the last :meth:`forward`.

        ``seed`` is δ of the outputs: shape (batch,) for one output or
        (batch, n_outputs); the default, ones, differentiates the sum of the
        outputs. With ``input_grads=True`` it also returns δ of the inputs,
        seed·∂out/∂X (batch × n_inputs); otherwise it returns None and skips that work.
        """
        parameter_grads, input_grad = self._backward(seed, input_grads)
        for p, g in zip(self.parameters, parameter_grads.tolist()):
            p.grad += g
        return input_grad

    def parameter_gradients(self, seed: Any = None) -> np.ndarray:
        """Σ_batch seed·∂out/∂p for every parameter (in :attr:`parameters` order), touching no ``.grad``."""
        return self._backward(seed, False)[0]

    def _backward(self, seed: Any, input_grads: bool) -> tuple[np.ndarray, np.ndarray | None]:
        if self._V is None:
            raise RuntimeError("compiled backward: call forward(X) first")
        V = self._V
        batch = V.shape[1]
        shape = (batch,) if self.single else (batch, self.n_outputs)
        seed = np.ones(shape) if seed is None else np.asarray(seed, dtype=float)
        if seed.shape != shape:
            raise ValueError(f"compiled backward: seed must have shape {shape}, got {seed.shape}")
        if not np.isfinite(seed).all():
            raise _non_finite_entry("compiled backward", "seed", seed)
        dV = np.zeros_like(V)
        self._outputs.add_to(dV, seed[None] if self.single else seed.T)
        leaf_grad = np.zeros_like(self._leaves)
        mode = int(bool(input_grads))

        def back(step: Any, wanted: tuple[tuple[bool, ...], ...]) -> None:
            if any(wanted[mode]):
                step.backward(V, dV, leaf_grad, wanted[mode])

        self._run("backward", back, reversed(self._steps))
        if not (np.isfinite(dV).all() and np.isfinite(leaf_grad).all()):
            raise _non_finite_backward(self, V, seed, mode)
        leaf_grad[self._leaf_row_pos] += dV[self._leaf_rows].sum(axis=1)
        return leaf_grad[: len(self.parameters)], dV[: self.n_inputs].T.copy() if input_grads else None

    @staticmethod
    def _run(phase: str, apply: Callable[[Any, Any], None], steps: Any) -> None:
        """Apply each step; a numeric error is re-raised naming the op and its level."""
        with np.errstate(divide="raise", over="ignore", invalid="ignore", under="ignore"):
            for lv, step, wanted in steps:
                try:
                    apply(step, wanted)
                except FloatingPointError as e:
                    raise ZeroDivisionError(f"compiled {phase} of {step.name} (level {lv}): {e}") from e
                except (ArithmeticError, ValueError) as e:
                    raise type(e)(f"compiled {phase} of {step.name} (level {lv}): {e}") from e

    # -------------------------------------------------------------- inspection
    def describe(self) -> str:
        """The compiled program, one line per level: which numpy operations run there."""
        lines = [repr(self)]
        for lv in range(1, self.n_levels + 1):
            parts = [step.describe() for level, step, _ in self._steps if level == lv]
            lines.append(f"level {lv}: " + ", ".join(parts))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"CompiledGraph(n_inputs={self.n_inputs}, n_outputs={self.n_outputs}, nodes={self.n_nodes}, "
            f"levels={self.n_levels}, numpy_ops={len(self._steps)}, parameters={len(self.parameters)})"
        )


# ------------------------------------------------------------------ the non-finite policy (autograd.errors)
# forward and _backward test the whole value and δ blocks once (one cheap pass); only when that fails do
# these functions search for the first input, parameter or step that produced an inf or NaN, to name it.
def _non_finite_entry(where: str, name: str, a: np.ndarray) -> NonFiniteError:
    """The error for the first non-finite entry of ``a``, named ``name[i, j]``."""
    index = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
    at = f"{name}[{', '.join(map(str, index))}]" + (f" (row {index[0]}, column {index[1]})" if len(index) == 2 else "")
    return NonFiniteError.entry(where, at, a[index])


def _operand_values(step: Any, V: np.ndarray, k: int, column: int) -> list[float] | None:
    """The operands of node ``k`` of ``step`` for batch row ``column`` (None for a matrix product)."""
    if isinstance(step, _Elementwise):
        return [float(ix.gather(V)[k, column]) for ix in step.operands]
    if isinstance(step, _Reduction):
        return step.operands.gather(V)[:, k, column].tolist()
    return None


def _stop(where: str, what: str, value: float) -> NonFiniteError:
    return NonFiniteError(f"{where}{what} gives {value!r}: deltagrad stops at the first non-finite number")


def _non_finite_forward(graph: CompiledGraph, V: np.ndarray) -> NonFiniteError:
    """Name the first source of a non-finite value: an input, a parameter, or the first step giving one."""
    inputs = V[: graph.n_inputs]
    if not np.isfinite(inputs).all():
        return _non_finite_entry("compiled forward", "X", inputs.T)
    values = graph._leaves[: len(graph.parameters)]
    if not np.isfinite(values).all():
        i = int(np.argwhere(~np.isfinite(values))[0][0])
        label = graph.parameters[i].label
        return NonFiniteError.entry(
            "compiled forward", f"parameter {i}" + (f" ({label!r})" if label else ""), values[i]
        )
    for lv, step, _ in graph._steps:
        block = V[step.out]
        bad = ~np.isfinite(block)
        if bad.any():
            k, column = (int(i) for i in np.argwhere(bad)[0])
            where, value = f"compiled forward, batch row {column}, level {lv}: ", float(block[k, column])
            operands = _operand_values(step, V, k, column)
            if operands is None:
                return _stop(where, step.describe(), value)
            return NonFiniteError.result(step.name, operands, value, where)
    return NonFiniteError("compiled forward: a non-finite value appeared")  # unreachable: every row is written


def _non_finite_backward(graph: CompiledGraph, V: np.ndarray, seed: np.ndarray, mode: int) -> NonFiniteError:
    """Replay backward step by step on fresh δ blocks to find the first step whose δ is not finite."""
    dV, leaf_grad = np.zeros_like(V), np.zeros_like(graph._leaves)
    graph._outputs.add_to(dV, seed[None] if graph.single else seed.T)
    with np.errstate(all="ignore"):
        for lv, step, wanted in reversed(graph._steps):
            if any(wanted[mode]):
                step.backward(V, dV, leaf_grad, wanted[mode])
            columns = np.flatnonzero(~np.isfinite(dV).all(axis=0))
            if columns.size:
                column = int(columns[0])
                value = float(dV[:, column][~np.isfinite(dV[:, column])][0])
                return _stop(f"compiled backward, batch row {column}, level {lv}: ", f"δ through {step.name}", value)
            if not np.isfinite(leaf_grad).all():
                value = float(leaf_grad[~np.isfinite(leaf_grad)][0])
                return _stop(f"compiled backward, level {lv}: ", f"δ of the weights of {step.describe()}", value)
    return NonFiniteError("compiled backward: a non-finite gradient appeared")


def compile(fn: Callable[[list[Value]], Any], n_inputs: int, example: Sequence[float] | None = None) -> CompiledGraph:
    """Trace ``fn`` once on ``n_inputs`` placeholder Values and compile it for numpy batches.

    ``fn(xs)`` receives the list of placeholders (labelled x1..xn) and returns a
    Value or a list of Values. ``example`` is the input row used for tracing
    (default 0.5 for each input); it only matters if ``fn`` fails on it.
    Every op of the table is accepted except ``pow`` (Value ** Value), which
    raises NotImplementedError here, at compile time.

    >>> import numpy as np
    >>> from autograd import logsumexp
    >>> g = compile(lambda x: logsumexp([x[0], 2 * x[1]]), n_inputs=2)
    >>> g.forward(np.zeros((3, 2))).round(4).tolist()
    [0.6931, 0.6931, 0.6931]
    """
    return CompiledGraph(fn, n_inputs, example)
