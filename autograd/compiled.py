"""Compiled batch mode: trace a scalar graph once, replay it over whole batches with numpy.

``compile(fn, n_inputs)`` calls ``fn`` once on placeholder Values ``x1..xn``;
the graph it builds, with its op names, is the program. Every node gets a
*level*, 0 for leaves and 1 + the largest level of its inputs otherwise, so the
nodes of one level never depend on each other. Within a level, the nodes of
one op run as ONE numpy operation over a (nodes × batch) block, gathered from a
(rows × batch) array of values by index arrays:

* unary and binary ops evaluate the op table's own rules on whole blocks: the
  op's ``array_forward`` / ``array_derivative`` where it declares them, else
  its float rules, which then must accept arrays (checked at compile time);
* n-ary ``sum``, ``mean``, ``logsumexp`` (and a ``dot`` whose weights are
  computed) are reductions over a (batch × nodes × inputs) block, by the op's
  array forms;
* ``dot`` nodes whose weights are parameters and which share one input tuple
  (the neurons of a layer) are one matrix product Z = W·X + b, W gathered from
  the parameters' current ``.data`` at every forward;
* cross-entropy, log-softmax and softmax over a sample's outputs (the nodes
  :mod:`autograd.functional` and ``nn.cross_entropy`` build them from) are one
  row-wise kernel each with its closed-form backward (:mod:`autograd.fused`).

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

import bisect
import itertools
import numbers
from collections.abc import Callable, Sequence
from itertools import chain, filterfalse
from operator import attrgetter
from typing import Any, cast

import numpy as np

from . import collector, fused
from .errors import NonFiniteError
from .explain import Explanation, LoweredStep, Source
from .grad_mode import enable_grad
from .ops import is_built_in
from .registry import BINARY, CLOSURE, OPS, UNARY, Op
from .value import Constant, Value, creation_stamp

__all__ = ["compile", "CompiledGraph", "array_rule_error"]

_data = attrgetter("data")
_grad = attrgetter("grad")
_inputs = attrgetter("inputs")
_is_constant = Constant.__instancecheck__


def array_rule_error(op: Op, operands: Sequence[float], param: Any) -> str | None:
    """Why ``op``'s rules cannot run elementwise on numpy arrays, or None when they can.

    Called at compile time: the array rules (``array_forward`` / ``array_derivative``, else the float
    rules) are tried on (2 × 2) blocks filled with one traced node's operands and compared with the float
    rules on the same numbers, so a rule written with ``math.*`` is reported before any batch runs. Unary
    and binary ops only (the n-ary ops are reductions with their own array forms).
    """
    if op.arity not in (UNARY, BINARY):
        return None
    blocks = [np.full((2, 2), float(x)) for x in operands]
    extra = () if op.param is None else (param,)

    def mismatch(got: Any, expected: Any) -> bool:
        try:
            got = np.broadcast_to(np.asarray(got, dtype=float), (2, 2))
        except (TypeError, ValueError):
            return True
        return not np.allclose(got, expected, rtol=1e-9, atol=1e-12, equal_nan=True)

    def failure(rule: str, e: Exception) -> str:
        if isinstance(e, NotImplementedError):  # the op's array form says why it has none
            return str(e)
        return f"its {rule} does not accept numpy arrays ({type(e).__name__}: {e}); give register_op an array_{rule}"

    with np.errstate(all="ignore"):
        try:
            out = (op.array_forward or op.forward)(*blocks, *extra)
        except Exception as e:  # any failure here means the rule does not take arrays
            return failure("forward", e)
        expected = op.apply(operands, param)
        if mismatch(out, expected):
            return f"its forward is not elementwise on numpy arrays (gives {out!r}, each entry should be {expected!r})"
        try:
            partials = (op.array_derivative or op.derivative)(*blocks, np.full((2, 2), expected), *extra)
        except Exception as e:
            return failure("derivative", e)
        try:
            expected_partials = op.partials(operands, expected, param)
        except (ArithmeticError, ValueError):
            return None  # undefined at this point in float too: nothing to compare
        if op.arity == UNARY:
            partials = (partials,)
        if len(partials) != len(expected_partials) or any(map(mismatch, partials, expected_partials)):
            return f"its derivative is not elementwise on numpy arrays (gives {partials!r})"
    return None


# ------------------------------------------------------------------ where a value lives
# Every value of the replay lives in a *block*, a (batch × width) array: block 0 is the input batch itself
# (the placeholders x1..xn are its columns), and each step writes one block holding its nodes' values.
# Leaves (parameters and constants) have one value for every sample: they are read from one vector.
INPUTS = 0
LEAVES = -1


def _as_slice(cols: np.ndarray) -> slice | np.ndarray:
    """``cols`` as a slice when they are consecutive (reads are then views), else unchanged."""
    if cols.size and cols[-1] - cols[0] == cols.size - 1 and np.array_equal(cols, np.arange(cols[0], cols[-1] + 1)):
        return slice(int(cols[0]), int(cols[-1]) + 1)
    return cols


class _Segment:
    """The positions of an operand whose values come from one block, and the columns read there.

    Repeated columns (fan-out: one value read at several positions) are summed per
    column with a precomputed sort and ``np.add.reduceat`` before the single ``+=``.
    """

    __slots__ = ("block", "positions", "columns", "whole", "order", "starts", "targets")

    def __init__(self, block: int, positions: np.ndarray, columns: np.ndarray, k: int) -> None:
        self.block = block
        self.whole = positions.size == k
        self.positions: Any = _as_slice(positions)
        self.columns: Any = _as_slice(columns)
        self.order: np.ndarray | None = None
        self.starts: np.ndarray | None = None
        self.targets: Any = self.columns
        targets = np.unique(columns)
        if targets.size < columns.size:
            self.order = np.argsort(columns, kind="stable")
            self.starts = np.searchsorted(columns[self.order], targets)
            self.targets = _as_slice(targets)


class _Replay:
    """The arrays of one forward (and the backward that follows it)."""

    __slots__ = ("blocks", "saved", "leaves", "batch", "dtype", "grads", "owned", "leaf_grad", "widths")

    def __init__(self, inputs: Any, leaves: np.ndarray, batch: int, widths: list[int]) -> None:
        self.blocks: list[Any] = [inputs] + [None] * (len(widths) - 1)
        self.saved: list[Any] = [None] * len(widths)
        self.leaves, self.batch, self.dtype, self.widths = leaves, batch, leaves.dtype, widths
        self.grads: list[Any] = []
        self.owned: list[bool] = []
        self.leaf_grad = np.zeros(0, dtype=self.dtype)

    def store(self, block: int, values: np.ndarray) -> None:
        """The values of a step's nodes, broadcast to (batch × width) when they do not depend on the sample."""
        shape = (self.batch, self.widths[block])
        if values.dtype != self.dtype:
            values = values.astype(self.dtype)
        if values.shape != shape:
            values = np.broadcast_to(values, shape)
        self.blocks[block] = values

    def all_values(self) -> list[np.ndarray]:
        """The input columns, the leaf values and every step's block."""
        inputs = self.blocks[INPUTS]
        parts = inputs.parts if isinstance(inputs, _InputParts) else [inputs]
        return [*parts, self.leaves, *self.blocks[1:]]

    def start_backward(self) -> None:
        self.grads = [None] * len(self.widths)
        self.owned = [False] * len(self.widths)
        self.leaf_grad = np.zeros(len(self.leaves), dtype=self.dtype)

    def accumulate(self, block: int, columns: Any, values: np.ndarray) -> None:
        """δ of ``block`` at ``columns`` += ``values`` (batch × len(columns)); the first full write is not copied."""
        current = self.grads[block]
        width = self.widths[block]
        full = isinstance(columns, slice) and columns.start == 0 and columns.stop == width
        if current is None:
            if full and values.shape == (self.batch, width):
                self.grads[block] = values  # borrowed: copied before anything is added to it
                return
            current = np.zeros((self.batch, width), dtype=self.dtype)
            self.grads[block], self.owned[block] = current, True
        elif not self.owned[block]:
            current = np.array(current, dtype=self.dtype)
            self.grads[block], self.owned[block] = current, True
        if full:
            current += values
        else:
            current[:, columns] += values


class _Operand:
    """One operand of k nodes (one value per node and sample), read as a (batch × k) array.

    Its values may come from several blocks and the leaf vector; when they are one
    block's consecutive columns (a layer's activations, the input features), reading
    them is a view, and so is writing their δ.
    """

    __slots__ = ("k", "segments", "single")

    def __init__(self, refs: Sequence[tuple[int, int]]) -> None:
        self.k = len(refs)
        where = np.array(refs, dtype=np.intp).reshape(self.k, 2)
        blocks = where[:, 0]
        self.segments = [
            _Segment(int(b), (at := np.flatnonzero(blocks == b)), where[at, 1], self.k) for b in np.unique(blocks)
        ]
        self.single = self.segments[0] if len(self.segments) == 1 else None

    @staticmethod
    def _read(r: _Replay, seg: _Segment) -> np.ndarray:
        if seg.block == LEAVES:
            return r.leaves[seg.columns][None, :]
        return r.blocks[seg.block][:, seg.columns]

    def read(self, r: _Replay) -> np.ndarray:
        """The values, (batch × k), or (1 × k) when they are all leaves."""
        if self.single is not None:
            return self._read(r, self.single)
        out = np.empty((r.batch, self.k), dtype=r.dtype)
        for seg in self.segments:
            out[:, seg.positions] = self._read(r, seg)
        return out

    def add_to(self, r: _Replay, g: Any, skip_zeros: bool = False) -> None:
        """δ of each value += g at its position (g broadcastable to batch × k); leaves get the batch sum.

        ``skip_zeros``: a block whose part of g is all zero is left untouched (a seed of 0 on the
        outputs that only report, such as a trainer's logits next to its loss: nothing flows back).
        """
        if np.shape(g) != (r.batch, self.k):
            g = np.broadcast_to(g, (r.batch, self.k))
        for seg in self.segments:
            part = g if seg.whole else g[:, seg.positions]
            if skip_zeros and not part.any():
                continue
            if seg.block == LEAVES:
                sums = part.sum(axis=0)
                if seg.order is None:
                    r.leaf_grad[seg.columns] += sums
                else:
                    np.add.at(r.leaf_grad, seg.columns, sums)
                continue
            if seg.order is not None and seg.starts is not None:
                part = np.add.reduceat(part[:, seg.order], seg.starts, axis=1)
            r.accumulate(seg.block, seg.targets, part)


class _Weights:
    """A layer's weight matrix W (k × p) in the leaf vector: a strided view when the layout allows
    (a model's weights created row by row, each row followed by its bias, as ``nn.Layer`` does), so
    reading W and adding into δW copy nothing (measured in benchmarks/bench_mnist.py); a gather otherwise."""

    def __init__(self, positions: np.ndarray) -> None:
        self.shape = k, p = positions.shape
        self.positions = positions
        first = int(positions[0, 0])
        col = int(positions[0, 1] - first) if p > 1 else 1
        row = int(positions[1, 0] - first) if k > 1 else p * col
        affine = col >= 1 and row >= (p - 1) * col + 1
        expected = first + row * np.arange(k)[:, None] + col * np.arange(p)[None, :]
        self.view = (first, row, col) if affine and np.array_equal(positions, expected) else None
        self.unique = self.view is not None or np.unique(positions).size == positions.size
        self.exclusive = False  # no other step touches these weights' δ (set once the program is built)

    def _strided(self, a: np.ndarray) -> np.ndarray:
        first, row, col = self.view  # type: ignore[misc]
        size = a.itemsize
        return np.ndarray(self.shape, a.dtype, buffer=a, offset=first * size, strides=(row * size, col * size))

    def read(self, leaves: np.ndarray) -> np.ndarray:
        return self._strided(leaves) if self.view is not None else leaves[self.positions]

    def add_product(self, leaf_grad: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        """δW += a·b. When no other step touches δW, the product is written into its place directly
        (no temporary of W's size and no second pass over it: bench_mnist's epochs)."""
        if self.exclusive:
            np.matmul(a, b, out=self._strided(leaf_grad))
        else:
            self.add_to(leaf_grad, a @ b)

    def add_to(self, leaf_grad: np.ndarray, dW: np.ndarray) -> None:
        if self.view is not None:
            view = self._strided(leaf_grad)
            view += dW
        elif self.unique:
            leaf_grad[self.positions] += dW
        else:
            np.add.at(leaf_grad, self.positions, dW)


class _InputParts:
    """The input batch given as column blocks side by side (features, targets): read as if joined,
    without copying the features into a joined array (the training loop's batches, measured in
    benchmarks/bench_mnist.py)."""

    def __init__(self, parts: list[np.ndarray]) -> None:
        self.parts = parts
        self.offsets = list(itertools.accumulate((p.shape[1] for p in parts), initial=0))
        self._joined: np.ndarray | None = None

    def __getitem__(self, key: tuple[slice, Any]) -> np.ndarray:
        cols = key[1]
        lo, hi = (cols.start, cols.stop) if isinstance(cols, slice) else (int(cols.min()), int(cols.max()) + 1)
        i = bisect.bisect_right(self.offsets, lo) - 1
        if hi <= self.offsets[i + 1]:
            off = int(self.offsets[i])
            return self.parts[i][:, slice(lo - off, hi - off) if isinstance(cols, slice) else cols - off]
        if self._joined is None:
            self._joined = np.hstack(self.parts)
        return self._joined[:, cols]


def _times(g: np.ndarray, d: Any) -> np.ndarray:
    """δ · ∂out/∂input, skipping the product for a constant ±1, in δ's precision (a rule such as relu's
    ``where(x > 0, 1.0, 0.0)`` makes float64 partials even for float32 blocks)."""
    if isinstance(d, float) and d in (1.0, -1.0):
        return g if d == 1.0 else -g
    if isinstance(d, np.ndarray) and d.dtype != g.dtype and d.dtype != np.bool_:  # booleans multiply as 0/1
        d = d.astype(g.dtype)
    return g * d


# ------------------------------------------------------------------ steps: one numpy operation each
# Each step's backward takes ``want``: one flag per operand, False when no parameter (or, when input
# gradients are asked for, no placeholder) lies behind that operand, so its δ need not be computed.
class _Elementwise:
    """k nodes of one unary or binary op: out[batch, k] = op(operands[batch, k]), by the table's rules.

    An activation over a layer is one ufunc over the layer's block (its operand is a view)."""

    def __init__(self, op: Op, param: Any, operands: list[_Operand], out: int) -> None:
        self.op, self.param, self.operands, self.out = op, param, operands, out
        self.name = op.name
        self.k = operands[0].k
        self.extra = () if op.param is None else (param,)  # the op's number, passed after the operands
        self.forward_rule = op.array_forward or op.forward
        self.derivative_rule = op.array_derivative or op.derivative

    def forward(self, r: _Replay) -> None:
        args = r.saved[self.out] = [o.read(r) for o in self.operands]  # kept for backward: no second gather
        r.store(self.out, np.asarray(self.forward_rule(*args, *self.extra)))

    def backward(self, r: _Replay, want: tuple[bool, ...]) -> None:
        g = r.grads[self.out]
        args = r.saved[self.out]
        partials = self.derivative_rule(*args, r.blocks[self.out], *self.extra)
        if self.op.arity == UNARY:
            partials = (partials,)
        for o, d, wanted in zip(self.operands, partials, want):
            if wanted:
                o.add_to(r, _times(g, d))

    def describe(self) -> str:
        return f"{self.name}×{self.k}"


class _Reduction:
    """k nodes of one n-ary op with n inputs each: a reduction over a (batch × k × n) block."""

    def __init__(self, op: Op, param: Any, operand: _Operand, out: int, n: int) -> None:
        self.op, self.param, self.operand, self.out, self.n = op, param, operand, out, n
        self.operands = [operand]
        self.name = op.name
        self.k = operand.k // n
        self.extra = () if op.param is None else (param,)

    def _inputs(self, r: _Replay) -> np.ndarray:
        xs = self.operand.read(r)
        return xs.reshape(xs.shape[0], self.k, self.n)

    def forward(self, r: _Replay) -> None:
        xs = r.saved[self.out] = self._inputs(r)  # kept for backward: no second gather
        if self.op.array_forward is not None:  # the inputs along the last axis: (batch × k × n)
            r.store(self.out, self.op.array_forward(xs, *self.extra))
        else:  # the float rule sees the inputs along axis 0: (n × k × batch)
            r.store(self.out, np.asarray(self.op.forward(xs.transpose(2, 1, 0), *self.extra)).T)

    def backward(self, r: _Replay, want: tuple[bool, ...]) -> None:
        g = r.grads[self.out]
        xs = r.saved[self.out]
        out = r.blocks[self.out]
        if self.op.array_derivative is not None:
            if xs.shape[0] != r.batch:
                xs = np.broadcast_to(xs, (r.batch, self.k, self.n))
            partials = self.op.array_derivative(xs, out, *self.extra)
        else:
            parts = self.op.derivative(xs.transpose(2, 1, 0), out.T, *self.extra)
            if all(isinstance(d, float) for d in parts):
                partials = np.array(parts, dtype=r.dtype)
            else:
                shape = (self.k, r.batch)
                partials = np.stack([np.broadcast_to(d, shape) for d in parts], axis=-1).transpose(1, 0, 2)
        contribution = partials * g[:, :, None]
        if contribution.shape[2] != self.n:  # a constant partial: the same δ for every input
            contribution = np.broadcast_to(contribution, (r.batch, self.k, self.n))
        self.operand.add_to(r, contribution.reshape(r.batch, self.k * self.n))

    def describe(self) -> str:
        return f"{self.name}×{self.k} (reducing {self.n} inputs each)"


class _MatMul:
    """k ``dot`` nodes sharing one input tuple x (a layer's neurons): Z = X·Wᵀ (+ b), W from the leaf values.

    The same k rows of weights applied at one level to m input tuples (a layer applied at
    every position of a sequence) are one product too: X is then (batch·m × p).
    """

    def __init__(self, weights: _Weights, inputs: _Operand, bias: _Operand | None, out: int, m: int) -> None:
        self.weights, self.inputs, self.bias, self.out, self.m = weights, inputs, bias, out, m
        self.operands = [inputs] if bias is None else [inputs, bias]
        self.name = "dot"

    def _inputs(self, r: _Replay) -> np.ndarray:
        X = self.inputs.read(r)
        if X.shape[0] != r.batch:
            X = np.broadcast_to(X, (r.batch, X.shape[1]))
        return X.reshape(-1, self.weights.shape[1]) if self.m > 1 else X

    def forward(self, r: _Replay) -> None:
        Z = self._inputs(r) @ self.weights.read(r.leaves).T
        if self.m > 1:
            Z = Z.reshape(r.batch, -1)
        if self.bias is not None:
            Z += self.bias.read(r)
        r.store(self.out, Z)

    def backward(self, r: _Replay, want: tuple[bool, ...]) -> None:
        """δW = δZᵀ·X (the product sums over the batch), δX = δZ·W, δb = δZ; want = (W, X, b)."""
        dZ = r.grads[self.out]
        dZm = dZ.reshape(-1, self.weights.shape[0]) if self.m > 1 else dZ
        if want[0]:
            self.weights.add_product(r.leaf_grad, dZm.T, self._inputs(r))
        if want[1]:
            dX = dZm @ self.weights.read(r.leaves)
            self.inputs.add_to(r, dX.reshape(r.batch, -1) if self.m > 1 else dX)
        if self.bias is not None and want[2]:
            self.bias.add_to(r, dZ)

    def describe(self) -> str:
        k, p = self.weights.shape
        applied = f", applied to {self.m} inputs" if self.m > 1 else ""
        return f"dot×{k * self.m} as one ({k}×{p}) matrix product{applied}"


class _Fused:
    """m occurrences of one softmax-family pattern over k logits each (:mod:`autograd.fused`): one row-wise
    kernel and its closed-form backward over a (batch × m × k) block; want = (logits, targets)."""

    def __init__(self, kind: str, logits: _Operand, targets: _Operand | None, out: int, m: int, k: int) -> None:
        self.kernel, self.logits, self.targets, self.out, self.m, self.k = (
            fused.KERNELS[kind],
            logits,
            targets,
            out,
            m,
            k,
        )
        self.name = kind
        self.operands = [logits] if targets is None else [logits, targets]

    def _block(self, r: _Replay, operand: _Operand | None) -> Any:
        if operand is None:
            return None
        values = operand.read(r)
        if values.shape[0] != r.batch:  # leaves only: the same row for every sample
            values = np.broadcast_to(values, (r.batch, values.shape[1]))
        return values.reshape(r.batch, self.m, self.k)

    def forward(self, r: _Replay) -> None:
        z, t = self._block(r, self.logits), self._block(r, self.targets)
        out, saved = self.kernel.forward(z, t)
        r.saved[self.out] = (z, t, out, saved)
        r.store(self.out, out.reshape(r.batch, -1))

    def backward(self, r: _Replay, want: tuple[bool, ...]) -> None:
        z, t, out, saved = r.saved[self.out]
        g = r.grads[self.out].reshape(out.shape)
        dz, dt = self.kernel.backward(z, t, out, saved, g, self.targets is not None and want[1])
        if want[0]:
            self.logits.add_to(r, dz.reshape(r.batch, -1))
        if dt is not None and self.targets is not None:
            self.targets.add_to(r, dt.reshape(r.batch, -1))

    def describe(self) -> str:
        return f"{self.name}×{self.m} (rows of {self.k})"


# ------------------------------------------------------------------ the compiled graph
FLOAT_TYPES = (np.float64, np.float32)


def _float_dtype(dtype: Any, where: str) -> np.dtype[Any]:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{where}: dtype must be numpy.float64 or numpy.float32, got {dtype!r}") from None
    if dt not in FLOAT_TYPES:
        raise ValueError(f"{where}: dtype must be numpy.float64 or numpy.float32, got {dt}")
    return dt


def _input_runs(v: Value) -> tuple[tuple[Value, ...], ...]:
    """``v``'s inputs in runs: a dot's weights, its input vector (the same for a layer's neurons) and its bias."""
    inputs = v.inputs
    if v.op != "dot":
        return (inputs,)
    n = v.param
    return inputs[:n], inputs[n : 2 * n], inputs[2 * n :]


def _nodes_and_leaves(outputs: list[Value]) -> tuple[list[Value], list[Value]]:
    """The computed nodes and the leaves reachable from ``outputs``, each in creation order (a topological
    order: see :func:`autograd.value.walk`).

    Only computed nodes go through the Python loop; the leaves (a model's weights, 203,530 for 784-256-10)
    are gathered, deduplicated and sorted by C-level passes, and a layer's input vector, read by each of
    its neurons, is scanned once: tracing under 0.3 s (bench_mnist, section 3).
    """
    computed = [v for v in dict.fromkeys(outputs) if v.inputs]
    seen = set(computed)
    stack = list(computed)
    runs: dict[tuple[Value, ...], None] = {tuple(outputs): None}
    while stack:
        for run in _input_runs(stack.pop()):
            if run in runs:
                continue
            runs[run] = None
            for x in filter(_inputs, run):
                if x not in seen:
                    seen.add(x)
                    computed.append(x)
                    stack.append(x)
    computed.sort(key=creation_stamp)
    found = list(dict.fromkeys(filterfalse(_inputs, chain.from_iterable(runs))))  # each leaf once
    order = np.argsort(np.fromiter(map(creation_stamp, found), dtype=float, count=len(found)), kind="stable")
    return computed, list(map(found.__getitem__, order.tolist()))  # by creation stamp


class _LeafIndex:
    """Where each leaf sits in the leaf vector, found by its creation stamp: one binary search over the
    sorted stamps for a whole run of leaves, where a dict of a model's 203,530 weights and a lookup per
    weight cost tracing a third of its time (bench_mnist, section 3).

    Stamps are unique except between a Value and its copy (``copy.deepcopy(model)`` keeps them, which keeps
    the copied graph in creation order); with such twins among the leaves, a dict finds them instead.
    """

    def __init__(self, leaf_order: list[Value]) -> None:
        stamps = np.fromiter(map(creation_stamp, leaf_order), dtype=float, count=len(leaf_order))
        self.sorter = np.argsort(stamps, kind="stable")  # the identity for a graph without constants
        self.stamps = stamps[self.sorter]
        twins = bool((self.stamps[1:] == self.stamps[:-1]).any())
        self.by_value = dict(zip(leaf_order, range(len(leaf_order)))) if twins else None

    def positions(self, values: Sequence[Value]) -> np.ndarray:
        """Each value's position in the leaf vector, or -1 for a value that is not one of its leaves."""
        if self.by_value is not None:
            return np.fromiter(map(self.by_value.get, values, [-1] * len(values)), dtype=np.intp, count=len(values))
        wanted = np.fromiter(map(creation_stamp, values), dtype=float, count=len(values))
        if not len(self.stamps):
            return np.full(len(wanted), -1, dtype=np.intp)
        at = np.minimum(np.searchsorted(self.stamps, wanted), len(self.stamps) - 1)
        return np.where(self.stamps[at] == wanted, self.sorter[at], -1)  # a stamp names one leaf: no twins


class CompiledGraph:
    """A traced scalar graph, replayed over batches: see :func:`compile`.

    ``parameters`` are the leaves that are neither placeholders nor Constants,
    in creation order; their ``.data`` is read at every :meth:`forward` and
    :meth:`backward` adds the batch gradient into their ``.grad``. ``dtype``
    (float64 or float32) is the precision of the replay.
    """

    n_inputs: int
    n_outputs: int
    single: bool  # fn returned one Value (forward gives shape (batch,)), not a list
    dtype: np.dtype[Any]  # the replay's precision: float64 or float32

    def __init__(
        self,
        fn: Callable[[list[Value]], Any],
        n_inputs: int,
        example: Sequence[float] | None = None,
        dtype: Any = np.float64,
    ):
        if not isinstance(n_inputs, numbers.Integral) or isinstance(n_inputs, bool):
            raise TypeError(f"compile: n_inputs must be an int, got {type(n_inputs).__name__} {n_inputs!r}")
        if n_inputs < 1:
            raise ValueError(f"compile: n_inputs must be >= 1, got {n_inputs}")
        self.dtype = _float_dtype(dtype, "compile")
        n_inputs = int(n_inputs)
        row_data = [0.5] * n_inputs if example is None else [float(v) for v in example]
        if len(row_data) != n_inputs:
            raise ValueError(f"compile: example has {len(row_data)} values, expected n_inputs = {n_inputs}")
        with enable_grad(), collector.paused():
            placeholders = [Value(v, label=f"x{i + 1}") for i, v in enumerate(row_data)]
            result = fn(placeholders)
        self.single = isinstance(result, Value)
        outputs = [result] if self.single else result
        if not isinstance(outputs, (list, tuple)) or not outputs or not all(isinstance(v, Value) for v in outputs):
            raise TypeError(
                f"compile: fn must return a Value or a non-empty list of Values, got {type(result).__name__}"
            )
        self.n_inputs, self.n_outputs = n_inputs, len(outputs)
        with collector.paused():
            self._build(placeholders, list(outputs))
        self._replay: _Replay | None = None

    # -------------------------------------------------------------- compile time
    def _build(self, placeholders: list[Value], outputs: list[Value]) -> None:
        computed, all_leaves = _nodes_and_leaves(outputs)
        checked: set[str] = set()
        for v in computed:
            if v.op == CLOSURE:
                raise NotImplementedError(
                    f"compile: the user op {v._op!r} is a _backward closure, which computes one float at a time; "
                    "define it with autograd.register_op(...), with a forward and derivative that accept numpy arrays"
                )
            if v.op not in OPS:
                raise NotImplementedError(f"compile: op {v.op!r} is not in autograd.OPS, so it has no numpy rule")
            if v.op not in checked:
                checked.add(v.op)
                problem = array_rule_error(OPS[v.op], [x.data for x in v.inputs], v.param)
                if problem is not None:
                    raise NotImplementedError(f"compile: op {v.op!r} cannot run in compiled mode: {problem}")
        # The per-leaf passes below run in C (filter, map, zip over bound methods): 203,530 leaves for
        # 784-256-10, traced in under 0.3 s (bench_mnist, section 3).
        leaves = list(filterfalse(set(placeholders).__contains__, all_leaves))
        if any(issubclass(kind, Constant) for kind in set(map(type, leaves))):
            self.parameters: list[Value] = list(filterfalse(_is_constant, leaves))
            leaf_order = self.parameters + list(filter(_is_constant, leaves))
        else:  # a model's weights: one pass of type() instead of two of isinstance (bench_mnist, section 3)
            self.parameters = leaf_order = leaves
        index = _LeafIndex(leaf_order)
        self._leaves = np.fromiter(map(_data, leaf_order), dtype=float, count=len(leaf_order))
        self._leaves = self._leaves.astype(self.dtype, copy=False)
        where: dict[Value, tuple[int, int]] = {x: (INPUTS, i) for i, x in enumerate(placeholders)}
        n_parameters = len(self.parameters)

        def weights_and_inputs(v: Value) -> tuple[list[Value], list[Value], np.ndarray] | None:
            """A dot node's (weights, inputs, the weights' leaf positions) when one half is all parameters or
            constants: a matrix product."""
            ws, xs, _ = _input_runs(v)
            for W, X in ((ws, xs), (xs, ws)):
                positions = index.positions(W)
                if (positions >= 0).all():
                    return list(W), list(X), positions
            return None

        # levels, and the groups of one level run as one numpy operation. The per-node work is kept off
        # the weights (203,530 leaves for 784-256-10; tracing under 0.3 s: bench_mnist, section 3):
        # leaves are in neither dict, and a layer's neurons share the level and flags of their inputs.
        level: dict[Value, int] = {}
        # needs[v] = (δ of v leads to a parameter, δ of v leads to a parameter or a placeholder)
        needs: dict[Value, tuple[bool, bool]] = {x: (False, True) for x in placeholders}
        parameter, constant = (True, True), (False, False)

        def flags(x: Value) -> tuple[bool, bool]:
            found = needs.get(x)
            return found if found is not None else (constant if isinstance(x, Constant) else parameter)

        def combined(xs: Sequence[Value]) -> tuple[bool, bool]:
            fs = [flags(x) for x in xs]
            return any(f[0] for f in fs), any(f[1] for f in fs)

        shared: dict[tuple[Value, ...], tuple[int, tuple[bool, bool]]] = {}
        groups: dict[tuple[int, Any], list[Any]] = {}  # Values, or fused.Patterns
        matmul: dict[Value, tuple[list[Value], list[Value], np.ndarray]] = {}
        # the softmax family over a sample's outputs: one row-wise kernel per pattern (autograd.fused)
        patterns = fused.find(computed, outputs)
        pattern_of = {o: pattern for pattern in patterns for o in pattern.outs}
        replaced = {x for pattern in patterns for x in pattern.inner}
        pattern_place: dict[int, tuple[int, tuple[bool, bool]]] = {}
        as_products = is_built_in(OPS.get("dot"))  # a layer's dots as one product, unless dot's rules were replaced
        for v in computed:
            if v in replaced:
                continue
            pattern = pattern_of.get(v)
            if pattern is not None:
                place = pattern_place.get(id(pattern))
                if place is None:
                    operands = (*pattern.zs, *pattern.ts)
                    place = pattern_place[id(pattern)] = (
                        1 + max(level.get(x, 0) for x in operands),
                        combined(operands),
                    )
                    groups.setdefault((place[0], ("fused", pattern.kind, len(pattern.zs))), []).append(pattern)
                level[v], needs[v] = place
                continue
            halves = weights_and_inputs(v) if v.op == "dot" and as_products else None
            if halves is not None:
                W, X, positions = halves
                matmul[v] = halves
                xs_key = tuple(X)
                if xs_key not in shared:
                    shared[xs_key] = (max(level.get(x, 0) for x in X), combined(X))
                x_level, x_needs = shared[xs_key]
                rest = combined(v.inputs[2 * v.param :])
                w_param = bool((positions < n_parameters).any())  # parameters come first in the leaf vector
                lv = 1 + max(x_level, max((level.get(x, 0) for x in v.inputs[2 * v.param :]), default=0))
                needs[v] = (w_param or x_needs[0] or rest[0], w_param or x_needs[1] or rest[1])
                key: Any = ("matmul", xs_key, len(v.inputs) - 2 * v.param)
            else:
                lv = 1 + max(level.get(x, 0) for x in v.inputs)
                needs[v] = combined(v.inputs)
                if OPS[v.op].arity in (UNARY, BINARY):
                    key = ("elementwise", v.op, v.param)
                else:
                    key = ("reduce", v.op, v.param, len(v.inputs))
            level[v] = lv
            groups.setdefault((lv, key), []).append(v)

        def want(*operand_groups: Sequence[Value]) -> tuple[tuple[bool, ...], ...]:
            """Per mode (parameters only, parameters and inputs): does any operand of each group need δ?"""
            per_group = [combined(vs) for vs in operand_groups]
            return tuple(tuple(f[mode] for f in per_group) for mode in (0, 1))

        def operand(values: Sequence[Value]) -> _Operand:
            places = list(map(where.get, values))
            missing = [i for i, place in enumerate(places) if place is None]  # leaves
            if missing:
                positions = index.positions([values[i] for i in missing]).tolist()
                for i, position in zip(missing, positions):
                    places[i] = (LEAVES, position)
            return _Operand(cast("list[tuple[int, int]]", places))

        widths = [len(placeholders)]
        self._steps: list[tuple[int, Any, tuple[tuple[bool, ...], ...]]] = []
        step: Any
        # the applications of one weight matrix at one level (to several input tuples) merge into one product
        plan: dict[tuple[int, Any], list[list[Any]]] = {}
        products: dict[tuple[Any, ...], list[list[list[Value]]]] = {}  # by level, shape and first weight

        def weight_rows(members: list[Value]) -> list[list[Value]]:
            return [matmul[v][0] for v in members]  # compared with ==: Values compare by identity

        for (lv, kind), members in sorted(groups.items(), key=lambda item: item[0][0]):
            if kind[0] != "matmul":
                plan[(lv, kind)] = [members]
                continue
            rows = weight_rows(members)
            probe = (lv, id(rows[0][0]), len(rows), len(rows[0]), kind[2])
            same = next((apps for apps in products.get(probe, []) if weight_rows(apps[0]) == rows), None)
            if same is None:
                same = [members]
                products.setdefault(probe, []).append(same)
                plan[(lv, ("matmul", id(same), kind[2]))] = same
            else:
                same.append(members)
        for (lv, kind), applications in plan.items():
            out = len(widths)
            if kind[0] == "fused":
                found: list[fused.Pattern] = applications[0]
                members = [o for pattern in found for o in pattern.outs]
                zs, ts = [z for p in found for z in p.zs], [t for p in found for t in p.ts]
                step = _Fused(kind[1], operand(zs), operand(ts) if ts else None, out, len(found), kind[2])
                wanted = want(zs, ts)
                widths.append(len(members))
                for j, v in enumerate(members):
                    where[v] = (out, j)
                self._steps.append((lv, step, wanted))
                continue
            members = [v for application in applications for v in application]
            widths.append(len(members))
            first = members[0]
            if kind[0] == "matmul":
                positions = np.stack([matmul[v][2] for v in applications[0]])
                xs = [x for application in applications for x in matmul[application[0]][1]]
                biases = [v.inputs[-1] for v in members] if kind[2] else []
                step = _MatMul(
                    _Weights(positions), operand(xs), operand(biases) if biases else None, out, len(applications)
                )
                w_param = bool((positions < n_parameters).any())  # parameters come first in the leaf vector
                wanted = want(xs, biases)
                wanted = tuple((w_param, *flags_) for flags_ in wanted)
            elif kind[0] == "elementwise":
                columns = [[v.inputs[i] for v in members] for i in range(len(first.inputs))]
                step = _Elementwise(OPS[first.op], first.param, [operand(c) for c in columns], out)
                wanted = want(*columns)
            else:
                every = [x for v in members for x in v.inputs]
                step = _Reduction(OPS[first.op], first.param, operand(every), out, len(first.inputs))
                wanted = want(every)
            for j, v in enumerate(members):
                where[v] = (out, j)
            self._steps.append((lv, step, wanted))
        self._widths = widths
        self._outputs = operand(outputs)
        # how many steps read each leaf: a matrix product whose weights no other step reads writes their δ directly
        readers = np.zeros(len(leaf_order), dtype=np.intp)
        for _, step, _ in self._steps:
            if isinstance(step, _MatMul):
                readers += np.bincount(step.weights.positions.ravel(), minlength=len(leaf_order))
            for o in step.operands:
                for seg in o.segments:
                    if seg.block == LEAVES:
                        readers[seg.columns] += 1
        for _, step, _ in self._steps:
            if isinstance(step, _MatMul) and step.weights.view is not None:
                step.weights.exclusive = bool(readers[step.weights.positions].max() == 1)
        self.n_levels = max(level.values(), default=0)
        self.n_nodes = len(level) + len(replaced)
        # where each traced node's values and δ live, for node_values / node_deltas (and the fused kernels' inner
        # nodes, which live nowhere), by creation stamp: keeping the nodes themselves would keep the whole trace
        # alive (3.7 MB of a 784-256-10 trainer's 13.6 MB); and the label of each block's nodes, for steps()
        self._places = {creation_stamp(v): place for v, place in where.items()}
        self._fused_inner = {creation_stamp(x): pattern.kind for pattern in patterns for x in pattern.inner}
        self._labels = [[""] * width for width in widths]
        for v, (block, column) in where.items():
            self._labels[block][column] = v.label
        self._fused_ops: dict[int, dict[str, int]] = {}  # a fused step's block → the scalar nodes it replaces, by op
        for pattern in patterns:
            counts = self._fused_ops.setdefault(where[pattern.outs[0]][0], {})
            for x in (*pattern.inner, *pattern.outs):
                counts[x.op] = counts.get(x.op, 0) + 1

    # -------------------------------------------------------------- run time
    def _input_batch(self, X: Any) -> tuple[Any, int]:
        """The input block and the batch size: ``X`` (batch × n_inputs), or a tuple of column blocks."""
        want = f"(batch >= 1, {self.n_inputs})"
        if isinstance(X, tuple):
            parts = [np.asarray(p, dtype=self.dtype) for p in X]
            if not parts or any(p.ndim != 2 or len(p) != len(parts[0]) or len(p) == 0 for p in parts):
                raise ValueError("compiled forward: column blocks must be 2-D with the same batch >= 1 rows")
            if sum(p.shape[1] for p in parts) != self.n_inputs:
                widths = [p.shape[1] for p in parts]
                raise ValueError(f"compiled forward: column blocks of widths {widths} do not make {want}")
            return (_InputParts(parts) if len(parts) > 1 else parts[0]), len(parts[0])
        X = np.asarray(X, dtype=self.dtype)
        if X.ndim != 2 or X.shape[1] != self.n_inputs or X.shape[0] == 0:
            raise ValueError(f"compiled forward: X must have shape {want}, got {np.shape(X)}")
        return X, len(X)

    def forward(self, X: Any, parameters: np.ndarray | None = None, *, inputs_checked: bool = False) -> np.ndarray:
        """Outputs for every row of ``X`` (batch × n_inputs): shape (batch,), or (batch, n_outputs).

        ``X`` may also be a tuple of arrays with the same rows whose columns, side
        by side, are the inputs (such as features and targets): nothing is joined.
        The parameters' values are read from their ``.data``, or taken from the
        array ``parameters`` (in :attr:`parameters` order) when given; a contiguous
        array of the graph's dtype is read in place, by this forward and the backward
        after it, when the graph has no constants (no copy of 203,530 values per
        784-256-10 step, bench_mnist): change it only after that backward.
        ``inputs_checked=True`` skips testing ``X`` for inf and NaN, for a caller
        that tested the rows already (``nn.fit`` tests its whole dataset once: the
        test of each batch was 5% of a 784-64-10 step, bench_mnist).
        """
        inputs, batch = self._input_batch(X)
        n = len(self.parameters)
        leaves = self._leaves
        if parameters is None:
            leaves[:n] = np.fromiter(map(_data, self.parameters), dtype=float, count=n)
        elif np.shape(parameters) != (n,):
            raise ValueError(f"compiled forward: parameters must have shape ({n},), got {np.shape(parameters)}")
        elif len(leaves) == n and isinstance(parameters, np.ndarray) and parameters.dtype == self.dtype:
            leaves = np.ascontiguousarray(parameters)
        else:
            leaves[:n] = parameters
        r = _Replay(inputs, leaves, batch, self._widths)
        self._replay = None
        parts = inputs.parts if isinstance(inputs, _InputParts) else [inputs]
        if not (np.isfinite(leaves).all() and (inputs_checked or all(np.isfinite(p).all() for p in parts))):
            raise _non_finite_forward(self, r)  # before any op: log(-inf) is a non-finite input, not a domain error
        self._run("forward", lambda step, wanted: step.forward(r), self._steps)
        if not all(np.isfinite(b).all() for b in r.blocks[1:]):  # the steps' blocks; the search only on failure
            raise _non_finite_forward(self, r)
        self._replay = r
        out = self._outputs.read(r)
        if out.shape[0] != batch:  # outputs that do not depend on the sample
            out = np.broadcast_to(out, (batch, self.n_outputs))
        return out[:, 0].copy() if self.single else out.copy()

    __call__ = forward

    def backward(self, seed: Any = None, input_grads: bool = False) -> np.ndarray | None:
        """Add Σ_batch seed·∂out/∂p into ``p.grad`` for every parameter p of the last :meth:`forward`.

        ``seed`` is δ of the outputs: shape (batch,) for one output or
        (batch, n_outputs); the default, ones, differentiates the sum of the
        outputs. With ``input_grads=True`` it also returns δ of the inputs,
        seed·∂out/∂X (batch × n_inputs); otherwise it returns None and skips that work.
        """
        parameter_grads, input_grad = self._backward(seed, input_grads)
        params = self.parameters
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is the error below, not a warning
            totals = np.fromiter(map(_grad, params), dtype=float, count=len(params)) + parameter_grads
        if not np.isfinite(totals).all():  # all or nothing: no .grad is written
            i = int(np.argwhere(~np.isfinite(totals))[0][0])
            label = params[i].label
            raise NonFiniteError(
                f"compiled backward: adding this batch's gradient {float(parameter_grads[i])!r} into .grad "
                f"{params[i].grad!r} of parameter {i}"
                + (f" ({label!r})" if label else "")
                + f" gives {float(totals[i])!r}; deltagrad stops at the first inf or NaN and left every .grad as it was"
            )
        for p, g in zip(params, totals.tolist()):
            p.grad = g
        return input_grad

    def parameter_gradients(self, seed: Any = None) -> np.ndarray:
        """Σ_batch seed·∂out/∂p for every parameter (in :attr:`parameters` order), touching no ``.grad``."""
        return self._backward(seed, False)[0]

    def gradients(self, seed: Any = None, input_grads: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """:meth:`backward`'s results, touching no ``.grad``: (Σ_batch seed·∂out/∂p for every parameter, in
        :attr:`parameters` order; seed·∂out/∂X, batch × n_inputs, with ``input_grads=True``, else None)."""
        parameter_grads, input_grad = self._backward(seed, input_grads)
        return parameter_grads.copy(), input_grad

    def _backward(self, seed: Any, input_grads: bool) -> tuple[np.ndarray, np.ndarray | None]:
        r = self._replay
        if r is None:
            raise RuntimeError("compiled backward: call forward(X) first")
        shape = (r.batch,) if self.single else (r.batch, self.n_outputs)
        seed = np.ones(shape, dtype=self.dtype) if seed is None else np.asarray(seed, dtype=self.dtype)
        if seed.shape != shape:
            raise ValueError(f"compiled backward: seed must have shape {shape}, got {seed.shape}")
        if not np.isfinite(seed).all():
            raise _non_finite_entry("compiled backward", "seed", seed)
        r.start_backward()
        self._outputs.add_to(r, seed[:, None] if self.single else seed, skip_zeros=True)
        mode = int(bool(input_grads))

        def back(step: Any, wanted: tuple[tuple[bool, ...], ...]) -> None:
            if any(wanted[mode]) and r.grads[step.out] is not None:
                step.backward(r, wanted[mode])

        self._run("backward", back, reversed(self._steps))
        if not all(np.isfinite(g).all() for g in (r.leaf_grad, *(g for g in r.grads if g is not None))):
            raise _non_finite_backward(self, r, seed, mode)
        if not input_grads:
            return r.leaf_grad[: len(self.parameters)], None
        dX = r.grads[INPUTS]
        return r.leaf_grad[: len(self.parameters)], (
            np.zeros((r.batch, self.n_inputs), dtype=self.dtype) if dX is None else np.array(dX)
        )

    @staticmethod
    def _run(phase: str, apply: Callable[[Any, Any], None], steps: Any) -> None:
        """Apply each step; a numeric error is re-raised naming the op and its level. A forward value out of
        an op's domain (log of 0, 1/0, exp overflow) becomes inf or NaN, which forward then traces to its op."""
        with np.errstate(divide="ignore" if phase == "forward" else "raise", over="ignore", invalid="ignore"):
            for lv, step, wanted in steps:
                try:
                    apply(step, wanted)
                except FloatingPointError as e:
                    raise ZeroDivisionError(f"compiled {phase} of {step.name} (level {lv}): {e}") from e
                except (ArithmeticError, ValueError) as e:
                    raise type(e)(f"compiled {phase} of {step.name} (level {lv}): {e}") from e

    # -------------------------------------------------------------- inspection
    def _by_block(self, nodes: Sequence[Value], where: str) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """For each block holding some of ``nodes``: (their positions in ``nodes``, their columns there)."""
        found: dict[int, tuple[list[int], list[int]]] = {}
        for j, (block, column) in enumerate(self._columns(nodes, where)):
            at, columns = found.setdefault(block, ([], []))
            at.append(j)
            columns.append(column)
        return {
            block: (np.array(at, dtype=np.intp), np.array(columns, dtype=np.intp))
            for block, (at, columns) in found.items()
        }

    def _columns(self, nodes: Sequence[Value], where: str) -> list[tuple[int, int]]:
        places = []
        for i, v in enumerate(nodes):
            place = self._places.get(creation_stamp(v)) if isinstance(v, Value) else None
            if place is None:
                kind = self._fused_inner.get(creation_stamp(v)) if isinstance(v, Value) else None
                if kind is not None:
                    raise ValueError(
                        f"{where}: node {i} ({v!r}) is computed inside the fused {kind} kernel, which keeps no "
                        "block for it; ask for the kernel's inputs or result instead"
                    )
                raise ValueError(
                    f"{where}: node {i} ({v!r}) is not a computed node or an input of this graph (a parameter's "
                    "gradient is in parameter_gradients, a node of another graph is not here)"
                )
            places.append(place)
        return places

    def node_values(self, nodes: Sequence[Value]) -> np.ndarray:
        """The values of traced ``nodes`` (the Values ``fn`` built while tracing) at every row of the last
        :meth:`forward`: shape (batch, len(nodes)). Placeholders give their input columns. A node is found by
        its creation stamp: the graph keeps no reference to the trace, so hold on to the nodes you will ask for.
        """
        r = self._replay
        if r is None:
            raise RuntimeError("node_values: call forward(X) first")
        out = np.empty((r.batch, len(nodes)), dtype=self.dtype)
        for block, (at, columns) in self._by_block(nodes, "node_values").items():
            out[:, at] = r.blocks[block][:, columns]
        return out

    def node_deltas(self, nodes: Sequence[Value]) -> np.ndarray:
        """δ of traced ``nodes`` at every row of the last :meth:`backward`, Σ seed·∂out/∂node per sample:
        shape (batch, len(nodes)), 0 where no δ reached. δ of placeholders needs ``backward(input_grads=True)``.
        """
        r = self._replay
        if r is None or not r.grads:
            raise RuntimeError("node_deltas: call forward(X) and backward() first")
        out = np.zeros((r.batch, len(nodes)), dtype=self.dtype)
        for block, (at, columns) in self._by_block(nodes, "node_deltas").items():
            g = r.grads[block]
            if g is not None:
                out[:, at] = g[:, columns]
        return out

    def steps(self, parameter_names: Sequence[str] | None = None) -> list[LoweredStep]:
        """The lowered program as data: one :class:`~autograd.explain.LoweredStep` per numpy step, in run order,
        with its shapes, where its operands come from and the scalar nodes it replaces. ``parameter_names``
        (one per :attr:`parameters`, such as nn's ``Parameter.name``) name each matrix product's weights."""
        if parameter_names is not None and len(parameter_names) != len(self.parameters):
            raise ValueError(f"steps: {len(parameter_names)} parameter names for {len(self.parameters)} parameters")
        index_of = {step.out: i for i, (_, step, _) in enumerate(self._steps)}
        labels = self._labels
        n_parameters, n_leaves = len(self.parameters), len(self._leaves)

        def sources(operand: _Operand) -> tuple[Source, ...]:
            found = []
            for seg in operand.segments:
                if seg.block == LEAVES:
                    columns = np.arange(n_leaves)[seg.columns]
                    for kind, mine in (("parameters", columns < n_parameters), ("constants", columns >= n_parameters)):
                        if mine.any():
                            found.append(Source(kind, None, tuple(columns[mine].tolist())))  # type: ignore[arg-type]
                elif seg.block == INPUTS:
                    found.append(Source("inputs", None, tuple(np.arange(self.n_inputs)[seg.columns].tolist())))
                else:
                    columns = np.arange(self._widths[seg.block])[seg.columns]
                    found.append(Source("step", index_of[seg.block], tuple(columns.tolist())))
            return tuple(found)

        returned = {seg.block: np.arange(self._widths[seg.block])[seg.columns].size for seg in self._outputs.segments}
        records = []
        for i, (lv, step, wanted) in enumerate(self._steps):
            common: dict[str, Any] = {
                "index": i,
                "level": lv,
                "width": self._widths[step.out],
                "labels": tuple(labels[step.out]),
                "trains": tuple(wanted[0]),
                "outputs": returned.get(step.out, 0),
            }
            if isinstance(step, _MatMul):
                k, p = step.weights.shape
                positions = step.weights.positions.ravel().tolist()
                names = [] if parameter_names is None else [parameter_names[j] for j in positions if j < n_parameters]
                records.append(
                    LoweredStep(
                        kind="matmul",
                        op="dot",
                        operands=tuple(sources(o) for o in step.operands),
                        replaces=(("dot", k * step.m),),
                        applications=step.m,
                        weight_shape=(p, k),
                        weight_labels=tuple(self.parameters[j].label for j in positions if j < n_parameters),
                        weight_names=tuple(names),
                        has_bias=step.bias is not None,
                        **common,
                    )
                )
            elif isinstance(step, _Fused):
                records.append(
                    LoweredStep(
                        kind="fused",
                        op=step.name,
                        operands=tuple(sources(o) for o in step.operands),
                        replaces=tuple(self._fused_ops.get(step.out, {}).items()),
                        group=step.k,
                        applications=step.m,
                        **common,
                    )
                )
            else:
                reduction = isinstance(step, _Reduction)
                records.append(
                    LoweredStep(
                        kind="reduction" if reduction else "elementwise",
                        op=step.name,
                        operands=tuple(sources(o) for o in step.operands),
                        replaces=((step.name, step.k),),
                        group=step.n if reduction else 1,
                        **common,
                    )
                )
        return records

    def explain(
        self,
        batch: int | None = None,
        inputs: Sequence[tuple[str, int]] | None = None,
        parameter_names: Sequence[str] | None = None,
    ) -> Explanation:
        """What the compiled program does, step by step in matrix form (:class:`~autograd.explain.Explanation`).

        Each step's forward (``Z₁ = X·W₁ + b₁``) with its shapes, its backward (``δW₁ = Xᵀ·δZ₁``,
        ``δb₁ = Σ_rows δZ₁``, ``δX = δZ₁·W₁ᵀ``) and the scalar nodes it replaces. Shapes use ``batch`` rows
        (default: the last forward's batch, else ``B``). ``inputs`` names the input columns as
        (name, width) pairs, default ``[("X", n_inputs)]``; ``parameter_names`` as in :meth:`steps`.
        Printed it is text; in Jupyter a table.
        """
        if batch is None and self._replay is not None:
            batch = self._replay.batch
        return Explanation(self.steps(parameter_names), self.n_inputs, batch, inputs)

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
            f"levels={self.n_levels}, numpy_ops={len(self._steps)}, parameters={len(self.parameters)}"
            + (", dtype=float32)" if self.dtype == np.float32 else ")")
        )


# ------------------------------------------------------------------ the non-finite policy (autograd.errors)
# forward and _backward test the whole value and δ blocks once (one cheap pass); only when that fails do
# these functions search for the first input, parameter or step that produced an inf or NaN, to name it.
def _non_finite_entry(where: str, name: str, a: np.ndarray) -> NonFiniteError:
    """The error for the first non-finite entry of ``a``, named ``name[i, j]``."""
    index = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
    at = f"{name}[{', '.join(map(str, index))}]" + (f" (row {index[0]}, column {index[1]})" if len(index) == 2 else "")
    return NonFiniteError.entry(where, at, a[index])


def _operand_values(step: Any, r: _Replay, row: int, k: int) -> list[float] | None:
    """The operands of node ``k`` of ``step`` for batch row ``row`` (None for a matrix product)."""
    if isinstance(step, _Elementwise):
        return [float(np.broadcast_to(o.read(r), (r.batch, step.k))[row, k]) for o in step.operands]
    if isinstance(step, _Reduction):
        xs = step._inputs(r)
        return np.broadcast_to(xs, (r.batch, *xs.shape[1:]))[row, k].tolist()
    return None


def _stop(where: str, what: str, value: float) -> NonFiniteError:
    return NonFiniteError(f"{where}{what} gives {value!r}: deltagrad stops at the first inf or NaN")


def _non_finite_forward(graph: CompiledGraph, r: _Replay) -> Exception:
    """Name the first source of a non-finite value: an input, a parameter, or the first step giving one."""
    inputs = r.blocks[INPUTS]
    X = np.hstack(inputs.parts) if isinstance(inputs, _InputParts) else inputs
    if not np.isfinite(X).all():
        return _non_finite_entry("compiled forward", "X", X)
    values = r.leaves[: len(graph.parameters)]
    if not np.isfinite(values).all():
        i = int(np.argwhere(~np.isfinite(values))[0][0])
        label = graph.parameters[i].label
        return NonFiniteError.entry(
            "compiled forward", f"parameter {i}" + (f" ({label!r})" if label else ""), values[i]
        )
    for lv, step, _ in graph._steps:
        block = r.blocks[step.out]
        bad = ~np.isfinite(block)
        if bad.any():
            row, k = (int(i) for i in np.argwhere(bad)[0])
            where, value = f"compiled forward, batch row {row}, level {lv}: ", float(block[row, k])
            operands = _operand_values(step, r, row, k)
            if operands is None:
                return _stop(where, step.describe(), value)
            if all(map(np.isfinite, operands)):  # the op's own float forward names a domain error as in scalar mode
                op = step.op
                try:
                    op.apply([operands] if isinstance(step, _Reduction) else operands, step.param)
                except (ArithmeticError, ValueError) as e:
                    return type(e)(f"compiled forward of {step.name} (level {lv}): {e}")
            return NonFiniteError.result(step.name, operands, value, where)
    return NonFiniteError("compiled forward: a non-finite value appeared")  # unreachable: every block is checked


def _non_finite_backward(graph: CompiledGraph, r: _Replay, seed: np.ndarray, mode: int) -> NonFiniteError:
    """Replay backward step by step on fresh δ blocks to find the first step whose δ is not finite."""
    r.start_backward()
    graph._outputs.add_to(r, seed[:, None] if graph.single else seed)
    with np.errstate(all="ignore"):
        for lv, step, wanted in reversed(graph._steps):
            if any(wanted[mode]) and r.grads[step.out] is not None:
                step.backward(r, wanted[mode])
            for g in r.grads:
                if g is None:
                    continue
                rows = np.flatnonzero(~np.isfinite(g).all(axis=1))
                if len(rows):
                    row = int(rows[0])
                    value = float(g[row][~np.isfinite(g[row])][0])
                    return _stop(f"compiled backward, batch row {row}, level {lv}: ", f"δ through {step.name}", value)
            if not np.isfinite(r.leaf_grad).all():
                value = float(r.leaf_grad[~np.isfinite(r.leaf_grad)][0])
                return _stop(f"compiled backward, level {lv}: ", f"δ of the weights of {step.describe()}", value)
    return NonFiniteError("compiled backward: a non-finite gradient appeared")


def compile(
    fn: Callable[[list[Value]], Any], n_inputs: int, example: Sequence[float] | None = None, dtype: Any = np.float64
) -> CompiledGraph:
    """Trace ``fn`` once on ``n_inputs`` placeholder Values and compile it for numpy batches.

    ``fn(xs)`` receives the list of placeholders (labelled x1..xn) and returns a
    Value or a list of Values. ``example`` is the input row used for tracing
    (default 0.5 for each input); it only matters if ``fn`` fails on it.
    ``dtype`` is the precision of the replay: ``numpy.float64`` (the default, the
    scalar engine's) or ``numpy.float32`` (faster, to about 1e-6 relative).
    Every op of the table is accepted except ``pow`` (Value ** Value), which
    raises NotImplementedError here, at compile time.

    >>> import numpy as np
    >>> from autograd import logsumexp
    >>> g = compile(lambda x: logsumexp([x[0], 2 * x[1]]), n_inputs=2)
    >>> g.forward(np.zeros((3, 2))).round(4).tolist()
    [0.6931, 0.6931, 0.6931]
    """
    return CompiledGraph(fn, n_inputs, example, dtype)
