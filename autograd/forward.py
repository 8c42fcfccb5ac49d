"""Forward mode: Jacobian-vector products pushed through the graph, and Jacobians in either mode.

A tangent needs no rule of its own per op. For a node out = op(x₁..xₙ) the chain rule forwards is

    ṫ_out = Σᵢ ∂out/∂xᵢ · ṫᵢ

with ∂out/∂xᵢ the op's local derivative, read from the live op table by :func:`autograd.local_grads`, so
every op of :data:`autograd.OPS` has forward mode, a user's :func:`autograd.register_op` included. Reverse
mode applies the same derivatives the other way (δxᵢ += ∂out/∂xᵢ · δ_out).

:func:`jvp` evaluates ``f`` once (recording its graph) and makes one *tangent pass* over the nodes in
creation order, which is a topological order: one pass gives J·t for one direction t. A full Jacobian
(m outputs × n inputs) costs n tangent passes in forward mode and m backward passes in reverse mode,
each pass one multiply-add per edge of the graph: forward mode pays off for few inputs and many outputs,
reverse mode (what training uses: one loss, many parameters) for the opposite.

With numbers in, numbers come out. With Values in, or inside a function another transform is
differentiating (``grad``, ``jvp``, ``jacobian``), the results are Values recorded in a graph, so the
transforms compose: ``jvp(grad(f), (x,), (1.0,))`` is f''(x), ``jacobian(grad(f))`` the Hessian.

This module imports no third-party package: forward mode belongs to the scalar engine.

>>> jvp(lambda x, y: x * y + x.sin(), (2.0, 3.0), (1.0, 0.0))[1] == 3.0 + math.cos(2.0)
True
>>> jacobian(lambda xs: [xs[0] * xs[1], xs[0] + xs[1]], mode="forward")([2.0, 3.0])
[[3.0, 2.0], [1.0, 1.0]]
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any, Literal

from .grad_mode import differentiating, enable_grad, is_differentiating
from .value import Constant, Value, backprop, local_grads, walk

__all__ = ["jvp", "jacobian", "tangent_pass"]

MODES = ("forward", "reverse")


# ------------------------------------------------------------------ arguments and results
def _leaf(x: Any, where: str) -> Value:
    """``x`` as a Value to differentiate with respect to: a Value itself, a number as a fresh leaf."""
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        value = float(x)
        if value != value or value in (math.inf, -math.inf):
            raise ValueError(f"{where}: cannot differentiate at a non-finite point, got {x!r}")
        return Value(value)
    raise TypeError(f"{where}: can only differentiate with respect to numbers or Values, got {type(x).__name__} {x!r}")


def _is_sequence(x: Any) -> bool:
    return isinstance(x, (list, tuple)) or (hasattr(x, "tolist") and hasattr(x, "ndim") and x.ndim == 1)


def _items(x: Any) -> list[Any]:
    return x.tolist() if hasattr(x, "tolist") and not isinstance(x, (list, tuple)) else list(x)


class _Argument:
    """One argument of ``f``: its leaves, and whether ``f`` receives them as a list or as one Value."""

    def __init__(self, x: Any, where: str) -> None:
        self.is_list = _is_sequence(x)
        given = _items(x) if self.is_list else [x]
        self.was_value = any(isinstance(v, Value) for v in given)
        self.leaves = [_leaf(v, where) for v in given]

    def passed(self) -> Value | list[Value]:
        return self.leaves if self.is_list else self.leaves[0]

    def shaped(self, values: list[Any]) -> Any:
        return values if self.is_list else values[0]


def _outputs(out: Any, where: str) -> tuple[list[Value | None], bool]:
    """``f``'s result as a flat list (None for a number: it depends on nothing) and whether it was a list."""
    is_list = isinstance(out, (list, tuple))
    items = list(out) if is_list else [out]
    if is_list and not items:
        raise ValueError(f"{where}: the function returned an empty list")
    flat: list[Value | None] = []
    for v in items:
        if isinstance(v, Value):
            flat.append(v)
        elif isinstance(v, numbers.Real) and not isinstance(v, bool):
            flat.append(None)
        else:
            raise TypeError(
                f"{where}: the function must return a Value, a number or a list of them, got {type(v).__name__} {v!r}"
            )
    return flat, is_list


def _result(x: Any, nested: bool) -> Any:
    """A derivative as the caller gets it: a Value in a graph when ``nested``, else a float."""
    if nested:
        return x if isinstance(x, Value) else Constant(float(x))
    return x.data if isinstance(x, Value) else float(x)


# ------------------------------------------------------------------ the tangent pass
def _times(t: Any, d: Any) -> Any:
    """ṫ · ∂out/∂x, recording no node for a constant ∂ of ±1."""
    if isinstance(d, float):
        if d == 1.0:
            return t
        if d == -1.0:
            return -t
    return t * d


def tangent_pass(outputs: Sequence[Value], tangents: dict[Value, Any], create_graph: bool = False) -> list[Any]:
    """One forward-mode pass: ṫ of each output, given ṫ of some nodes (``tangents``; every other leaf has ṫ = 0).

    The nodes reachable from ``outputs`` are visited in creation order (a topological order) and each
    computed node gets ṫ_out = Σᵢ ∂out/∂xᵢ · ṫᵢ over its inputs with a tangent (:func:`autograd.local_grads`
    gives ∂out/∂xᵢ), one multiply-add per edge. A node given a tangent keeps it (it is an input). An output
    no tangent reaches gets 0.0. With ``create_graph`` the derivatives are Values and so are the tangents.

    >>> x = Value(3.0); y = x * x
    >>> tangent_pass([y], {x: 1.0})
    [6.0]
    """
    known: dict[Value, Any] = dict(tangents)
    with enable_grad():
        for v in reversed(walk(list(outputs))):
            if not v.inputs or v in tangents:
                continue
            partials: tuple[Any, ...] | None = None
            total = None
            for i, x in enumerate(v.inputs):
                t = known.get(x)
                if t is None:
                    continue
                if partials is None:
                    try:
                        partials = local_grads(v, create_graph=create_graph)
                    except (ArithmeticError, ValueError) as e:
                        args = ", ".join(repr(u.data) for u in v.inputs)
                        raise type(e)(f"forward mode through {v.op}({args}): {e}") from e
                term = _times(t, partials[i])
                total = term if total is None else total + term
            if total is not None:
                known[v] = total
    return [known.get(v, 0.0) for v in outputs]


# ------------------------------------------------------------------ jvp
def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """JAX's ``jvp``: ``(f(*primals), J_f(primals)·tangents)`` in one evaluation and one tangent pass.

    ``primals`` is the tuple of ``f``'s arguments, each a number, a Value or a list of them; ``tangents``
    has the same structure (one direction entry per scalar). The tangent of the output is the directional
    derivative Σⱼ ∂f/∂xⱼ · tⱼ, computed forwards (ṫ_out = Σᵢ ∂out/∂xᵢ · ṫᵢ at every node). Both results
    have the structure of ``f``'s result (a Value or number, or a list). Numbers in give floats out;
    Values in (or a call inside another transform) give Values in a graph, to differentiate again.

    >>> jvp(lambda x: x ** 3, (2.0,), (1.0,))
    (8.0, 12.0)
    >>> from autograd import grad
    >>> jvp(grad(lambda x: x ** 3), (2.0,), (1.0,))  # f'(2) and f''(2)
    (12.0, 12.0)
    """
    if not callable(f):
        raise TypeError(f"jvp: f must be a function, got {type(f).__name__}")
    for name, given in (("primals", primals), ("tangents", tangents)):
        if not isinstance(given, (list, tuple)):
            raise TypeError(
                f"jvp: {name} must be a tuple with one entry per argument of f, got {type(given).__name__} {given!r} "
                "(write jvp(f, (x,), (t,)) for one argument)"
            )
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primal(s) but {len(tangents)} tangent(s); give one tangent per primal")
    arguments = [_Argument(x, "jvp") for x in primals]
    seeds: dict[Value, Any] = {}
    tangent_is_value = False
    for i, (argument, t) in enumerate(zip(arguments, tangents)):
        ts = _items(t) if _is_sequence(t) else [t]
        if _is_sequence(t) != argument.is_list or len(ts) != len(argument.leaves):
            raise ValueError(
                f"jvp: tangent {i} ({t!r}) does not match the structure of primal {i} ({primals[i]!r}): "
                "give a number per scalar and a list per list"
            )
        for leaf, tj in zip(argument.leaves, ts):
            if isinstance(tj, Value):
                tangent_is_value = True
            elif not isinstance(tj, numbers.Real) or isinstance(tj, bool):
                raise TypeError(f"jvp: tangents must be numbers or Values, got {type(tj).__name__} {tj!r}")
            else:
                tj = float(tj)
            seeds[leaf] = tj if leaf not in seeds else seeds[leaf] + tj
    nested = is_differentiating() or tangent_is_value or any(a.was_value for a in arguments)
    with differentiating():
        out = f(*(a.passed() for a in arguments))
    flat, is_list = _outputs(out, "jvp")
    values = [v for v in flat if v is not None]
    pushed = iter(tangent_pass(values, seeds, create_graph=nested))
    tangents_out = [_result(0.0 if v is None else next(pushed), nested) for v in flat]
    given = out if is_list else [out]
    primals_out: list[Any] = [
        (v if nested else v.data) if v is not None else _result(x, nested) for v, x in zip(flat, given)
    ]
    if is_list:
        return primals_out, tangents_out
    return primals_out[0], tangents_out[0]


# ------------------------------------------------------------------ jacobian
def _reverse_rows(outputs: list[Value | None], leaves: list[Value], nested: bool) -> list[list[Any]]:
    """Row i of the Jacobian, ∂outputᵢ/∂leaf for every leaf, by one backward pass per output."""
    rows = []
    for v in outputs:
        if v is None:
            rows.append([0.0] * len(leaves))
            continue
        _, delta = backprop([v], [1.0], nested, wanted=leaves)  # the pass's δ is its own dict (autograd.value)
        rows.append([0.0 if delta.get(leaf) is None else delta[leaf] for leaf in leaves])
    return rows


def _forward_columns(outputs: list[Value | None], leaves: list[Value], nested: bool) -> list[list[Any]]:
    """Column j of the Jacobian, ∂output/∂leafⱼ for every output, by one tangent pass per leaf."""
    values = [v for v in outputs if v is not None]
    columns = []
    for leaf in leaves:
        pushed = iter(tangent_pass(values, {leaf: 1.0}, create_graph=nested))
        columns.append([0.0 if v is None else next(pushed) for v in outputs])
    return columns


def jacobian(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, mode: Literal["forward", "reverse"] = "reverse"
) -> Callable[..., Any]:
    """The function computing the Jacobian J[i][j] = ∂f(args)ᵢ/∂args[argnums]ⱼ, in forward or reverse mode.

    ``mode="forward"`` (JAX's ``jacfwd``) builds J a column at a time, one tangent pass per input;
    ``mode="reverse"`` (``jacrev``, PyTorch's ``jacobian``) a row at a time, one backward pass per output.
    Both give the same numbers from the same op table. Shapes follow ``f`` and the argument: a list of m
    outputs and a list of n inputs give an m × n list of lists, a single Value drops that axis (a scalar
    function of a list gives its gradient, a list of one number's functions a column). With a tuple of
    ``argnums``, one Jacobian per argument. Numbers in give floats, Values in (or inside another
    transform) give Values, so ``jacobian(jacobian(f))`` and ``jacobian(grad(f))`` are second derivatives.

    >>> jacobian(lambda xs: [xs[0] * xs[1], xs[0].exp()], mode="forward")([1.0, 2.0])[0]
    [2.0, 1.0]
    """
    if not callable(f):
        raise TypeError(f"jacobian: f must be a function, got {type(f).__name__}")
    if mode not in MODES:
        raise ValueError(f"jacobian: mode must be 'forward' or 'reverse', got {mode!r}")
    single = isinstance(argnums, int)
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums or not all(isinstance(i, int) and not isinstance(i, bool) for i in nums):
        raise TypeError(f"jacobian: argnums must be an int or a non-empty tuple of ints, got {argnums!r}")

    def run(*args: Any) -> Any:
        for i in nums:
            if not -len(args) <= i < len(args):
                raise IndexError(f"jacobian: argnums {i} is out of range for {len(args)} argument(s)")
        argv = list(args)
        arguments = []
        for i in nums:
            argument = _Argument(argv[i], "jacobian")
            arguments.append(argument)
            argv[i] = argument.passed()
        nested = is_differentiating() or any(a.was_value for a in arguments)
        with differentiating():
            out = f(*argv)
        outputs, out_is_list = _outputs(out, "jacobian")
        leaves = [leaf for a in arguments for leaf in a.leaves]
        if mode == "forward":
            columns = _forward_columns(outputs, leaves, nested)
            rows = [[column[i] for column in columns] for i in range(len(outputs))]
        else:
            rows = _reverse_rows(outputs, leaves, nested)
        per_argument, start = [], 0
        for a in arguments:
            block = [[_result(x, nested) for x in row[start : start + len(a.leaves)]] for row in rows]
            start += len(a.leaves)
            shaped = [a.shaped(row) for row in block]
            per_argument.append(shaped if out_is_list else shaped[0])
        return per_argument[0] if single else tuple(per_argument)

    return run
