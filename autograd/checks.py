"""Checkers for a learner's own work: an op they wrote, a backward pass they wrote.

Each checker compares the learner's numbers with the engine's and returns a
report that names what went wrong, not just pass or fail: the worst point of
an op and the mistake it looks like (``=`` instead of ``+=``, the input used
where the derivative needs the output, a missing factor of the upstream δ), or
the battery graph a backward pass fails on, its first wrong node in backward
order with the chain-rule step and numbers, and the likely bug (no topological
order, recursion that double-counts, missing accumulation, unseeded output
gradient, RecursionError on depth).

Reports print as plain text (``print(report)``) and display as HTML in Jupyter;
``report.passed`` says whether everything agreed. (``viz.check_deltas`` checks
δ values computed by hand and draws the frame of the first wrong one.)
"""

from __future__ import annotations

import dis
import html
import inspect
import math
import random
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from .registry import BINARY, CLOSURE, OPS, UNARY
from .value import Constant, Value, local_grads

__all__ = [
    "check_op",
    "check_backward",
    "CheckReport",
    "OpReport",
    "BackwardReport",
    "GraphResult",
    "MISTAKES",
    "is_blank",
    "chain_rule_step",
    "node_name",
]

MISTAKES: dict[str, str] = {
    # an op written by the learner
    "overwrite": "`=` instead of `+=`: the gradient does not accumulate when the input feeds several nodes (fan-out)",
    "input_for_output": "the derivative uses the input where it needs the output",
    "output_for_input": "the derivative uses the output where it needs the input",
    "missing_upstream": "a missing factor of the upstream δ (out.grad) in the chain rule",
    "sign": "the derivative has the wrong sign",
    # a backward pass written by the learner
    "no_topological_order": "no topological order: a node passed its δ on before every consumer had added its part",
    "double_count": "recursion that double-counts: a node reached along several paths was processed more than once",
    "missing_accumulation": "missing accumulation: `x.grad = ...` overwrote what other paths had added (use `+=`)",
    "unseeded": "the output's gradient was never seeded: set `out.grad = 1.0` before walking the graph",
    "recursion_depth": "RecursionError on a deep graph: the walk recurses once per node of depth",
    # either
    "not_written": "not written yet: the function's body is still empty (`...` or `pass`)",
}
"""Every mistake a checker can name: its key (``report.mistake``) and what it means."""

_FIXES: dict[str, str] = {
    "overwrite": "write `self.grad += ...` in `_backward`, so contributions from every consumer add up",
    "missing_upstream": "multiply the local derivative by `out.grad`: δ_input += δ_out · ∂out/∂input",
    "no_topological_order": "visit nodes in reverse topological order: build_topo (with a visited set), then "
    "`for v in reversed(topo): v._backward()`",
    "double_count": "keep a visited set: build the topological order once, then call each node's `_backward` once",
    "missing_accumulation": "use `x.grad += δ · local derivative`: a node's δ is the sum over all its consumers",
    "unseeded": "start with `out.grad = 1.0` (∂out/∂out) before the walk",
    "recursion_depth": "build the order with an explicit stack (a list used as a stack) instead of recursion",
    "not_written": "replace the `...` with your code, then run this check again",
}


_RETURN_NONE = ([("LOAD_CONST", None), ("RETURN_VALUE", None)], [("RETURN_CONST", None)])  # 3.11, 3.12+


def is_blank(fn: Callable[..., Any]) -> bool:
    """True when ``fn``'s body is empty (only ``...``, ``pass`` or a docstring): an exercise not written yet.

    Its bytecode is then "return None" straight away, whatever its arguments.

    >>> def d_tanh(x, out): ...
    >>> is_blank(d_tanh), is_blank(lambda x, out: 1 - out**2)
    (True, False)
    """
    if not hasattr(fn, "__code__"):
        return False
    ops = [(i.opname, i.argval) for i in dis.get_instructions(fn) if i.opname not in ("RESUME", "NOP", "CACHE")]
    return ops in _RETURN_NONE


# ----------------------------------------------------------------------------- reports
def _fmt(x: float) -> str:
    """A number as a report shows it: up to 6 significant digits."""
    if not math.isfinite(x):
        return str(x)
    return f"{x:.6g}"


def node_name(v: Value) -> str:
    """How a report names a node: its label, else its op (``tanh node``), ``const 2`` or ``input``."""
    if v.label:
        return v.label
    if isinstance(v, Constant):
        return f"const {_fmt(v.data)}"
    if v.op == CLOSURE:  # a user op written the micrograd way: its own symbol
        return f"{v._op} node"
    return f"{v.op} node" if v.op else "input"


def chain_rule_step(
    node: Value, terms: Sequence[tuple[Value, float, float]], names: Callable[[Value], str] = node_name
) -> str:
    """The chain rule for one node's δ with its numbers, e.g. ``δ(z) = δ(a)·∂a/∂z = 0.5·0.42 = 0.21``.

    ``terms`` holds (consumer c, δ(c), ∂c/∂node) for every edge from ``node`` to a consumer.

    >>> z = Value(0.5, label="z"); a = z.tanh(); a.label = "a"
    >>> chain_rule_step(z, [(a, 0.5, 0.42)])
    'δ(z) = δ(a)·∂a/∂z = 0.5·0.42 = 0.21'
    """
    name = names(node)
    if not terms:
        return f"δ({name}) = 0 (no path to the output)"
    wrap = lambda n: f"({n})" if any(ch in n for ch in " +-*/·") else n
    num = lambda x: _fmt(x) if x >= 0 else f"({_fmt(x)})"
    symbols = " + ".join(f"δ({names(c)})·∂{wrap(names(c))}/∂{wrap(name)}" for c, _, _ in terms)
    numbers = " + ".join(f"{num(d)}·{num(g)}" for _, d, g in terms)
    total = math.fsum(d * g for _, d, g in terms)
    return f"δ({name}) = {symbols} = {numbers} = {_fmt(total)}"


_STATUS_COLOURS = {"right": "#2e7d32", "wrong": "#c62828", "follows": "#ef6c00"}


class CheckReport:
    """What a checker found. ``passed`` is the verdict; ``str(report)`` the plain text; Jupyter shows HTML.

    Subclasses provide :meth:`headline`, :meth:`explanation` and :meth:`table`.
    """

    title = "check"

    @property
    def passed(self) -> bool:
        """True when the learner's work agreed with the engine everywhere."""
        raise NotImplementedError

    def headline(self) -> str:
        """The report's first line: ✓ or ✗, what was checked and the verdict."""
        raise NotImplementedError

    def explanation(self) -> list[str]:
        """Lines that explain the first failure (empty when everything passed)."""
        return []

    def table(self) -> tuple[list[str], list[tuple[list[str], str]]]:
        """Column names, and rows of cells with a status (``right``, ``wrong``, ``follows`` or ``""``)."""
        return [], []

    def __str__(self) -> str:
        mark = "✓" if self.passed else "✗"
        lines = [f"{mark} {self.title}: {self.headline()}"]
        lines += [f"  {line}" for line in self.explanation()]
        header, rows = self.table()
        if rows:
            cells = [header] + [row for row, _ in rows]
            widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
            lines.append("")
            lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {'passed' if self.passed else 'failed'}: {self.headline()}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's plain-text display: the whole report, as ``print`` shows it."""
        printer.text(str(self))

    def _html_parts(self) -> list[str]:
        colour = _STATUS_COLOURS["right" if self.passed else "wrong"]
        mark = "✓" if self.passed else "✗"
        parts = [
            f'<p style="color:{colour};font-weight:bold">{mark} {html.escape(self.title)}: '
            f"{html.escape(self.headline())}</p>"
        ]
        if self.explanation():
            items = "".join(f"<li>{html.escape(line)}</li>" for line in self.explanation())
            parts.append(f'<ul style="font-family:monospace;list-style:none;padding-left:1em">{items}</ul>')
        header, rows = self.table()
        if rows:
            head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
            body = "".join(
                f'<tr style="color:{_STATUS_COLOURS.get(status, "inherit")}">'
                + "".join(f"<td>{html.escape(c)}</td>" for c in row)
                + "</tr>"
                for row, status in rows
            )
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        return parts

    def _repr_html_(self) -> str:
        return '<div class="deltagrad-check">' + "".join(self._html_parts()) + "</div>"


# ----------------------------------------------------------------------------- δ propagation models
def _local(order: Iterable[Value]) -> dict[Value, tuple[float, ...]]:
    return {v: tuple(local_grads(v)) for v in order}


def _push(
    root: Value,
    visits: Iterable[Value],
    local: Mapping[Value, tuple[float, ...]],
    seed: float = 1.0,
    assign: bool = False,
) -> dict[Value, float]:
    """δ of every node when ``visits`` lists the nodes in the order each pushes its current δ into its inputs.

    With the reverse topological order this is backward; other orders model the
    learner's bugs. ``assign`` writes ``x.δ = ...`` instead of adding.
    """
    delta = dict.fromkeys(local, 0.0)
    delta[root] = seed
    for v in visits:
        for x, d in zip(v.inputs, local[v]):
            contribution = delta[v] * d
            delta[x] = contribution if assign else delta[x] + contribution
    return delta


def _breadth_first(root: Value) -> list[Value]:
    """Nodes in breadth-first order from the output, each once (not a topological order)."""
    seen, queue, order = {root}, deque([root]), []
    while queue:
        v = queue.popleft()
        order.append(v)
        for x in v.inputs:
            if x not in seen:
                seen.add(x)
                queue.append(x)
    return order


_MAX_VISITS = 200_000


def _depth_first(root: Value, children: str, postorder: bool) -> list[Value] | None:
    """The naive recursive walks, without a visited set: a node is visited once per path reaching it.

    Pre-order is "push my δ, then recurse into my inputs"; post-order reversed
    is a build_topo without a visited set. ``children`` is how the walk iterates
    a node's inputs: ``"edges"`` (every edge, ``a + a`` twice), ``"distinct"``
    (each input once, in order) or ``"set"`` (each once in a set's order, as a
    walk over micrograd's ``_prev`` does); the order matters, since a node
    visited early passes on a partial δ. None when the walk explodes.
    """
    visits: list[Value] = []
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        v, done = stack.pop()
        if done:
            visits.append(v)
            continue
        if len(visits) + len(stack) > _MAX_VISITS:
            return None
        if not postorder:
            visits.append(v)
        else:
            stack.append((v, True))
        inputs = set(v.inputs) if children == "set" else dict.fromkeys(v.inputs) if children == "distinct" else v.inputs
        stack.extend((x, False) for x in reversed(list(inputs)))
    return visits[::-1] if postorder else visits


def _bug_models(
    root: Value, order: list[Value], local: Mapping[Value, tuple[float, ...]]
) -> Iterator[tuple[str, str, dict[Value, float]]]:
    """(bug key, detail, δ of every node) for each modelled mistake in a backward pass."""
    yield "unseeded", "every δ stayed 0", _push(root, order, local, seed=0.0)
    yield "missing_accumulation", "the last contribution overwrote the others", _push(root, order, local, assign=True)
    for children in ("set", "distinct", "edges"):
        for postorder in (True, False):
            visits = _depth_first(root, children, postorder)
            if visits is not None:
                detail = "build_topo without a visited set" if postorder else "recursive backward without a visited set"
                yield "double_count", detail, _push(root, visits, local)
    yield "no_topological_order", "a breadth-first walk", _push(root, _breadth_first(root), local)
    yield (
        "no_topological_order",
        "the topological order walked forwards (missing reversed)",
        _push(root, order[::-1], local),
    )


def _close(a: float, b: float, rtol: float, atol: float) -> bool:
    return abs(a - b) <= atol + rtol * abs(b)


# ----------------------------------------------------------------------------- check_backward
@dataclass(frozen=True)
class GraphResult:
    """How a learner's backward pass did on one graph of the battery."""

    graph: str
    description: str
    nodes: int
    passed: bool
    mistake: str | None = None
    detail: str = ""
    error: str = ""
    wrong_node: str = ""
    expected: float = math.nan
    got: float = math.nan
    step: str = ""


def _chain() -> Value:
    x = Value(0.5, label="x")
    u = x * 2.0
    u.label = "u"
    h = (u + 1.0).tanh()
    h.label = "h"
    out = h**2
    out.label = "L"
    return out


def _diamond() -> Value:
    a, b = Value(0.7, label="a"), Value(-1.2, label="b")
    s = a * b
    s.label = "s"
    p = s + 1.0
    p.label = "p"
    q = s.tanh()
    q.label = "q"
    out = p * q
    out.label = "L"
    return out


def _self_add() -> Value:
    a = Value(1.5, label="a")
    b = a + a
    b.label = "b"
    c = b * b
    c.label = "L"
    return c


def _shared() -> Value:
    a, b = Value(0.6, label="a"), Value(-0.4, label="b")
    e = a * b
    e.label = "e"
    t = e.tanh()
    t.label = "t"
    f = t * 2.0
    f.label = "f"
    g = f + e
    g.label = "g"
    h = g * a
    h.label = "h"
    out = h + e
    out.label = "L"
    return out


def _deep(depth: int) -> Callable[[], Value]:
    def build() -> Value:
        v = Value(0.3, label="x")
        for i in range(1, depth + 1):
            v = v * 0.999 + 0.001
            v.label = f"v{i}"
        v.label = "L"
        return v

    return build


def _mlp() -> Value:
    """A 2-3-3-1 tanh network written with micrograd's arithmetic, squared error over two samples."""
    rng = random.Random(13)
    sizes = [2, 3, 3, 1]
    layers = [
        [
            ([Value(rng.uniform(-1, 1), label=f"w{k}_{i}{j}") for j in range(nin)], Value(0.1, label=f"b{k}_{i}"))
            for i in range(nout)
        ]
        for k, (nin, nout) in enumerate(zip(sizes, sizes[1:]), 1)
    ]
    loss: Value | None = None
    for s, (xs, y) in enumerate((([1.0, -0.5], 1.0), ([-0.3, 0.8], -1.0))):
        acts: list[Value] = [Value(x, label=f"x{s}_{j}") for j, x in enumerate(xs)]
        for k, layer in enumerate(layers, 1):
            nxt = []
            for i, (ws, b) in enumerate(layer):
                z = b
                for w, a in zip(ws, acts):
                    z = z + w * a
                z.label = f"z{k}_{i}[{s}]"
                nxt.append(z.tanh())
                nxt[-1].label = f"a{k}_{i}[{s}]"
            acts = nxt
        term = (acts[0] - y) ** 2
        loss = term if loss is None else loss + term
    assert loss is not None
    loss.label = "L"
    return loss


def _battery() -> list[tuple[str, str, Callable[[], Value]]]:
    depth = max(3000, 3 * sys.getrecursionlimit())
    return [
        ("chain", "L = tanh(2x + 1)²: one path", _chain),
        ("diamond", "s = a·b feeds both p = s + 1 and q = tanh s; L = p·q", _diamond),
        ("a + a", "b = a + a (two edges from a); L = b·b", _self_add),
        ("shared subexpressions", "e = a·b used three times, along paths of different lengths", _shared),
        ("deep chain", f"{depth} steps v ← 0.999·v + 0.001: deeper than Python's recursion limit", _deep(depth)),
        ("mlp", "a 2-3-3-1 tanh network, squared error over two samples", _mlp),
    ]


def _run_backward(
    backward_fn: Callable[[Value], Any],
    name: str,
    description: str,
    build: Callable[[], Value],
    rtol: float,
    atol: float,
) -> GraphResult:
    root = build()
    order = root.walk()
    local = _local(order)
    expected = _push(root, order, local)
    try:
        backward_fn(root)
    except RecursionError:
        return GraphResult(
            name,
            description,
            len(order),
            False,
            "recursion_depth",
            f"RecursionError on {len(order)} nodes (recursion limit {sys.getrecursionlimit()})",
            error="RecursionError",
        )
    except Exception as e:  # the learner's code may fail in any way: report it, don't crash the checker
        return GraphResult(name, description, len(order), False, error=f"{type(e).__name__}: {e}")
    got = {v: float(v.grad) for v in order}
    if all(_close(got[v], expected[v], rtol, atol) for v in order):
        return GraphResult(name, description, len(order), True)
    first = next(v for v in order if not _close(got[v], expected[v], rtol, atol))
    consumers = [(c, expected[c], d) for c in order for x, d in zip(c.inputs, local[c]) if x is first]
    mistake, detail = None, ""
    for key, why, model in _bug_models(root, order, local):
        if all(_close(got[v], model[v], rtol, atol) for v in order):
            mistake, detail = key, why
            break
    step = chain_rule_step(first, consumers) if consumers else f"δ({node_name(first)}) = {_fmt(expected[first])}"
    return GraphResult(
        name,
        description,
        len(order),
        False,
        mistake,
        detail,
        wrong_node=node_name(first),
        expected=expected[first],
        got=got[first],
        step=step,
    )


@dataclass(repr=False)
class BackwardReport(CheckReport):
    """The verdict of :func:`check_backward`: one :class:`GraphResult` per graph of the battery."""

    results: list[GraphResult]
    title = "check_backward"

    @property
    def passed(self) -> bool:
        """Whether everything agreed with the engine."""
        return all(r.passed for r in self.results)

    @property
    def mistakes(self) -> list[str]:
        """The named mistakes, most frequent first."""
        keys = [r.mistake for r in self.results if r.mistake]
        return sorted(set(keys), key=lambda k: (-keys.count(k), keys.index(k)))

    @property
    def mistake(self) -> str | None:
        """The likely bug (the mistake named on most failing graphs), or None."""
        return self.mistakes[0] if self.mistakes else None

    def headline(self) -> str:
        """The report's first line: ✓ or ✗, what was checked and the verdict."""
        failed = [r.graph for r in self.results if not r.passed]
        if self.mistake == "not_written":
            return "your backward is not written yet"
        if not failed:
            return f"every δ right on all {len(self.results)} graphs"
        return f"wrong on {len(failed)} of {len(self.results)} graphs ({', '.join(failed)})"

    def explanation(self) -> list[str]:
        """The lines after the headline: what went wrong, where, and the likely mistake."""
        if self.mistake == "not_written":
            return [f"to do: {_FIXES['not_written']}"]
        lines = []
        if self.mistake:
            lines.append(f"likely bug: {MISTAKES[self.mistake]}")
            lines.append(f"fix: {_FIXES[self.mistake]}")
        first = next((r for r in self.results if not r.passed), None)
        if first is not None:
            lines.append(f"first failing graph: {first.graph} ({first.description})")
            if first.error:
                lines.append(f"your backward raised {first.error}")
            else:
                lines.append(f"first wrong node in backward order: {first.wrong_node}")
                lines.append(f"{first.step}; your backward gave {_fmt(first.got)}")
        return lines

    def table(self) -> tuple[list[str], list[tuple[list[str], str]]]:
        """The report's table: column titles and (row cells, row style) pairs."""
        if self.mistake == "not_written":
            return [], []
        rows = []
        for r in self.results:
            if r.passed:
                rows.append(([r.graph, str(r.nodes), "right", ""], "right"))
                continue
            what = r.error or f"{r.wrong_node}: expected {_fmt(r.expected)}, got {_fmt(r.got)}"
            named = f"{r.mistake} ({r.detail})" if r.mistake else "not a known pattern"
            rows.append(([r.graph, str(r.nodes), what, named], "wrong"))
        return ["graph", "nodes", "result", "likely bug"], rows


def check_backward(backward_fn: Callable[[Value], Any], rtol: float = 1e-6, atol: float = 1e-9) -> BackwardReport:
    """Run the learner's backward pass on a battery of graphs and compare every node's ``.grad`` with the engine.

    ``backward_fn(out)`` must fill ``.grad`` of every node of ``out``'s graph,
    micrograd's way (build_topo over ``v._prev``, ``out.grad = 1.0``, then
    ``v._backward()`` for each node in reverse) or any other. The graphs: a chain,
    a diamond, ``a + a``, shared subexpressions, a chain deeper than Python's
    recursion limit and a small MLP. Each failure names the first wrong node
    in backward order with its chain-rule step, and the likely bug, found by
    replaying each known mistake on the same graph: no topological order,
    recursion that double-counts, missing accumulation, unseeded output
    gradient, RecursionError on depth. A function whose body is still ``...``
    (an exercise's template) is reported as not written yet.

    >>> def backward(out):
    ...     out.backward()
    >>> check_backward(backward).passed
    True
    """
    if not callable(backward_fn):
        raise TypeError(
            f"check_backward: expected a function taking the output Value, got {type(backward_fn).__name__}"
        )
    if is_blank(backward_fn):  # the exercise's empty template: say what is missing, not which graphs fail
        blank = MISTAKES["not_written"]
        return BackwardReport([GraphResult(name, why, 0, False, "not_written", blank) for name, why, _ in _battery()])
    return BackwardReport([_run_backward(backward_fn, *case, rtol, atol) for case in _battery()])


# ----------------------------------------------------------------------------- check_op
_MAGNITUDES = (1e-3, 0.1, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 100.0)
_UNARY_POINTS = (0.0, *(sign * m for m in _MAGNITUDES for sign in (1.0, -1.0)))
_BINARY_AXIS = (-3.0, -1.5, -0.5, 0.0, 0.5, 1.0, 2.5)
_CLOSURE_MISTAKES = frozenset({"overwrite", "missing_upstream"})  # right δ at each point, wrong as a backward step
_UPSTREAM = 2.5  # the δ fed into the op's output to catch a missing factor of out.grad


def _points(arity: int) -> list[tuple[float, ...]]:
    """Where check_op compares: awkward points (0, tiny, negative, large) and random ones (fixed seed)."""
    rng = random.Random(2024)
    points: list[tuple[float, ...]]
    if arity == UNARY:
        points = [(x,) for x in _UNARY_POINTS]
        return points + [(round(rng.uniform(-4, 4), 6),) for _ in range(16)]
    points = [(a, b) for a in _BINARY_AXIS for b in _BINARY_AXIS]
    return points + [(round(rng.uniform(-4, 4), 6), round(rng.uniform(-4, 4), 6)) for _ in range(12)]


def _positional_arity(fn: Callable[..., Any]) -> int | None:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for p in params if p.kind in kinds and p.default is inspect.Parameter.empty)


@dataclass
class _Reference:
    """The right answers: forward value and ∂out/∂input at each point, and how to describe them."""

    name: str
    arity: int
    formula: str
    forward: Callable[[tuple[float, ...]], float]
    derivative: Callable[[tuple[float, ...], float], tuple[float, ...]]
    swapped: Callable[[tuple[float, ...], float], tuple[float, ...]] | None = None  # rule with input ↔ output
    uses_output: bool = False


def _registered(name: str) -> _Reference:
    if name not in OPS:
        raise ValueError(f"check_op: no op named {name!r}; known ops: {', '.join(sorted(OPS))}")
    op = OPS[name]
    if op.arity not in (UNARY, BINARY):
        raise ValueError(f"check_op: op {name!r} takes a list of inputs; check_op compares unary and binary ops")
    if op.param is not None:
        raise ValueError(
            f"check_op: op {name!r} needs a parameter; pass a callable reference, e.g. lambda x: x.{name}(0.1)"
        )
    try:
        op.forward(*(1.0,) * op.arity)
    except TypeError:
        raise ValueError(
            f"check_op: op {name!r} needs a parameter; pass a callable reference, e.g. lambda x: x.{name}(0.1)"
        ) from None
    except (ArithmeticError, ValueError):
        pass

    def forward(xs: tuple[float, ...]) -> float:
        return float(op.forward(*xs))

    def derivative(xs: tuple[float, ...], out: float) -> tuple[float, ...]:
        d = op.derivative(*xs, out)
        return tuple(float(g) for g in (d if op.arity == BINARY else (d,)))

    ref = _Reference(name, op.arity, f"{op.name}: {op.doc}", forward, derivative)
    if op.arity == UNARY:
        ref.swapped = lambda xs, out: (float(op.derivative(out, xs[0])),)
        probe = 0.3
        try:
            base = op.forward(probe)
            ref.uses_output = op.derivative(probe, base) != op.derivative(probe, base + 0.1)
        except (ArithmeticError, ValueError):
            ref.uses_output = False
    return ref


def _engine_derivative(fn: Callable[..., Any], xs: tuple[float, ...]) -> tuple[float, tuple[float, ...]]:
    """fn's value and gradient at ``xs`` through the engine (fn takes Values)."""
    vs = [Value(x) for x in xs]
    out = fn(*vs)
    out.backward()
    return float(out.data), tuple(v.grad for v in vs)


def _callable_reference(fn: Callable[..., Any], learner_arity: int | None) -> _Reference:
    arity = _positional_arity(fn) or learner_arity  # a builtin such as math.hypot has no signature
    if arity not in (UNARY, BINARY):
        raise ValueError(f"check_op: the reference must take one or two numbers, got {arity} parameters")
    name = getattr(fn, "__name__", "reference")
    try:
        on_values = isinstance(fn(*(Value(0.5),) * arity), Value)
    except Exception:
        on_values = False
    if on_values:
        return _Reference(
            name,
            arity,
            f"{name}, differentiated by the engine",
            lambda xs: _engine_derivative(fn, xs)[0],
            lambda xs, out: _engine_derivative(fn, xs)[1],
        )

    def forward(xs: tuple[float, ...]) -> float:
        return float(fn(*xs))

    def derivative(xs: tuple[float, ...], out: float) -> tuple[float, ...]:
        grads = []
        for i, x in enumerate(xs):
            h = 1e-5 * max(1.0, abs(x))
            at = lambda t, i=i: forward(xs[:i] + (t,) + xs[i + 1 :])
            # Richardson extrapolation of central differences: error O(h⁴)
            d1 = (at(x + h) - at(x - h)) / (2 * h)
            d2 = (at(x + 2 * h) - at(x - 2 * h)) / (4 * h)
            grads.append((4 * d1 - d2) / 3)
        return tuple(grads)

    return _Reference(name, arity, f"{name}, differentiated numerically (central differences)", forward, derivative)


@dataclass
class _Learner:
    """The learner's op under test: forward and derivative at a point, and the runs that expose named mistakes."""

    form: str  # "closure" or "pair"
    forward: Callable[[tuple[float, ...]], float]
    derivative: Callable[[tuple[float, ...], float], tuple[float, ...]]
    upstream: Callable[[tuple[float, ...]], tuple[float, ...]] | None = None  # ∂ with δ_out = _UPSTREAM
    fan_out: Callable[[tuple[float, ...]], tuple[float, ...]] | None = None  # ∂ of op(x) + op(x)


def _micrograd_backward(out: Value, seed: float) -> None:
    """Backward the micrograd way: seed ``out.grad``, then each node's ``_backward()`` in reverse topological order.

    Running the learner's closures exactly as micrograd does is what exposes ``=`` instead of ``+=``.
    """
    order = out.walk()
    for v in order:
        v.grad = 0.0
    out.grad = seed
    for v in order:
        v._backward()  # type: ignore[attr-defined]


def _closure_learner(fn: Callable[..., Any], arity: int) -> _Learner:
    def call(vs: list[Value]) -> Value:
        out = fn(*vs)
        if not isinstance(out, Value):
            raise TypeError(f"your op returned {type(out).__name__}, not a Value")
        return out

    def forward(xs: tuple[float, ...]) -> float:
        return float(call([Value(x) for x in xs]).data)

    def grads(xs: tuple[float, ...], seed: float, copies: int) -> tuple[float, ...]:
        vs = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
        outs = [call(vs) for _ in range(copies)]
        out = outs[0]
        for o in outs[1:]:
            out = out + o
        _micrograd_backward(out, seed)
        return tuple(v.grad for v in vs)

    return _Learner(
        "closure",
        forward,
        lambda xs, out: grads(xs, 1.0, 1),
        upstream=lambda xs: tuple(g / _UPSTREAM for g in grads(xs, _UPSTREAM, 1)),
        fan_out=lambda xs: tuple(g / 2 for g in grads(xs, 1.0, 2)),
    )


def _pair_learner(forward: Callable[..., Any], derivative: Callable[..., Any], arity: int) -> _Learner:
    takes_out = (_positional_arity(derivative) or 0) > arity

    def d(xs: tuple[float, ...], out: float) -> tuple[float, ...]:
        g = derivative(*xs, out) if takes_out else derivative(*xs)
        return tuple(float(v) for v in (g if arity == BINARY else (g,)))

    return _Learner("pair", lambda xs: float(forward(*xs)), d)


@dataclass(frozen=True)
class PointResult:
    """One comparison at one point: the learner's number and the reference's."""

    point: tuple[float, ...]
    expected: tuple[float, ...]
    got: tuple[float, ...] | None
    error: str = ""

    def excess(self, rtol: float, atol: float) -> float:
        """How far outside the tolerance the worst component is (≤ 0 means right)."""
        if self.got is None:
            return math.inf
        return max(
            (abs(g - e) - (atol + rtol * abs(e)) if math.isfinite(g) else math.inf)
            for g, e in zip(self.got, self.expected)
        )


@dataclass(repr=False)
class OpReport(CheckReport):
    """The verdict of :func:`check_op`: forward and derivative, each right or wrong, the worst point, the mistake."""

    op: str
    form: str
    formula: str
    forward_results: list[PointResult]
    derivative_results: list[PointResult]
    skipped: list[tuple[float, ...]]
    rtol: float
    atol: float
    mistake: str | None = None
    detail: str = ""
    title = "check_op"

    def _worst(self, results: list[PointResult]) -> PointResult | None:
        return max(results, key=lambda r: r.excess(self.rtol, self.atol), default=None)

    def _ok(self, results: list[PointResult]) -> bool:
        return all(r.excess(self.rtol, self.atol) <= 0 for r in results)

    @property
    def forward_ok(self) -> bool:
        """Whether the forward values agreed at every checked point."""
        return self._ok(self.forward_results)

    @property
    def derivative_ok(self) -> bool:
        """Right at every point, and (for a closure op) also under fan-out and with an upstream δ ≠ 1."""
        return self._ok(self.derivative_results) and self.mistake not in _CLOSURE_MISTAKES

    @property
    def passed(self) -> bool:
        """Whether everything agreed with the engine."""
        return self.forward_ok and self.derivative_ok and self.mistake is None and bool(self.forward_results)

    @property
    def worst_forward(self) -> PointResult | None:
        """The point where the forward value was furthest off (None when none was checked)."""
        return self._worst(self.forward_results)

    @property
    def worst_derivative(self) -> PointResult | None:
        """The point where the derivative was furthest off (None when none was checked)."""
        return self._worst(self.derivative_results)

    def headline(self) -> str:
        """The report's first line: ✓ or ✗, what was checked and the verdict."""
        if self.mistake == "not_written":
            return f"{self.op}: not written yet ({self.detail})"
        verdict = lambda ok: "right" if ok else "wrong"
        return (
            f"{self.op}: forward {verdict(self.forward_ok)}, derivative {verdict(self.derivative_ok)} "
            f"at {len(self.forward_results)} points"
        )

    def explanation(self) -> list[str]:
        """The lines after the headline: what went wrong, where, and the likely mistake."""
        if self.mistake == "not_written":
            return [f"to do: {_FIXES['not_written']}"]
        lines = []
        if self.mistake:
            lines.append(f"mistake: {MISTAKES[self.mistake]}")
            if self.detail:
                lines.append(self.detail)
            if self.mistake in _FIXES:
                lines.append(f"fix: {_FIXES[self.mistake]}")
        for what, results, worst in (
            ("forward", self.forward_results, self.worst_forward),
            ("derivative", self.derivative_results, self.worst_derivative),
        ):
            if not self._ok(results) and worst is not None:
                lines.append(f"worst {what} point: {_point(worst.point)}: {_result(worst)}")
        if not self.passed:
            lines.append(f"expected: {self.formula}")
        if self.skipped:
            lines.append(
                f"skipped {len(self.skipped)} points outside the reference's domain, e.g. {_point(self.skipped[0])}"
            )
        return lines

    def table(self) -> tuple[list[str], list[tuple[list[str], str]]]:
        """The report's table: column titles and (row cells, row style) pairs."""
        rows = []
        for what, results in (("forward", self.forward_results), ("derivative", self.derivative_results)):
            worst = self._worst(results)
            if worst is None:
                continue
            if self._ok(results):
                gap = max(abs(g - e) for r in results for g, e in zip(r.got or (), r.expected))
                rows.append(([what, "right", f"largest difference {gap:.2g}"], "right"))
            else:
                rows.append(([what, "wrong", f"worst at {_point(worst.point)}: {_result(worst)}"], "wrong"))
        if self.mistake in _CLOSURE_MISTAKES:
            rows.append((["backward step", "wrong", self.detail], "wrong"))
        return ["", "verdict", ""], rows


def _point(xs: tuple[float, ...]) -> str:
    names = ("x",) if len(xs) == 1 else ("a", "b")
    return ", ".join(f"{n} = {_fmt(x)}" for n, x in zip(names, xs))


def _numbers(xs: tuple[float, ...]) -> str:
    return ", ".join(_fmt(x) for x in xs)


def _result(r: PointResult) -> str:
    if r.got is None:
        return f"your code raised {r.error}; expected {_numbers(r.expected)}"
    return f"yours {_numbers(r.got)}, expected {_numbers(r.expected)}"


def _matches(
    fn: Callable[[tuple[float, ...]], tuple[float, ...]] | None,
    results: list[PointResult],
    rtol: float,
    atol: float,
    scale: float = 1.0,
) -> bool:
    """True when ``fn``'s numbers equal the expected ones (times ``scale``) wherever checked."""
    if fn is None or not results:
        return False
    try:
        return all(all(_close(g, e * scale, rtol, atol) for g, e in zip(fn(r.point), r.expected)) for r in results)
    except Exception:
        return False


def _diagnose(
    learner: _Learner,
    ref: _Reference,
    results: list[PointResult],
    rtol: float,
    atol: float,
    outs: Mapping[tuple[float, ...], float],
) -> tuple[str | None, str]:
    """The named mistake the learner's derivative shows, and a sentence of detail."""
    single_ok = all(r.excess(rtol, atol) <= 0 for r in results)
    if learner.form == "closure" and single_ok:
        if not _matches(learner.fan_out, results, rtol, atol):
            return (
                "overwrite",
                "y = op(x) + op(x) should give ∂y/∂x = 2·op'(x); the second `_backward` replaced "
                "the first one's contribution instead of adding to it",
            )
        if _matches(learner.upstream, results, rtol, atol, scale=1 / _UPSTREAM):
            return (
                "missing_upstream",
                f"with out.grad = {_UPSTREAM} the input's grad should be {_UPSTREAM}·op'(x); yours stayed op'(x)",
            )
        return None, ""
    if single_ok:
        return None, ""
    if _matches(lambda xs: tuple(-g for g in learner.derivative(xs, outs[xs])), results, rtol, atol):
        return "sign", "your derivative is the expected one times −1"
    swapped = [] if ref.swapped is None else _defined(ref.swapped, results, outs)
    if swapped and _matches(lambda xs: learner.derivative(xs, outs[xs]), swapped, rtol, atol):
        if ref.uses_output:
            return (
                "input_for_output",
                f"{ref.name}'s derivative is written with the output (out = {ref.name}(x)); "
                "you put x where out belongs",
            )
        return (
            "output_for_input",
            f"{ref.name}'s derivative is written with the input x; you put the output where x belongs",
        )
    return None, ""


def _defined(
    rule: Callable[[tuple[float, ...], float], tuple[float, ...]],
    results: list[PointResult],
    outs: Mapping[tuple[float, ...], float],
) -> list[PointResult]:
    """``rule``'s numbers at each checked point where it is defined, as expected values."""
    defined = []
    for r in results:
        try:
            defined.append(PointResult(r.point, rule(r.point, outs[r.point]), None))
        except (ArithmeticError, ValueError):
            continue
    return defined


def check_op(
    fn: Callable[..., Any] | tuple[Callable[..., Any], Callable[..., Any]],
    reference: str | Callable[..., Any],
    points: Iterable[float | tuple[float, ...]] | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
) -> OpReport:
    """Check the learner's op against ``reference`` at many points, including 0, negatives and large magnitudes.

    ``fn`` is either a function on Values written the micrograd way
    (``out = Value(t, (x,), 'tanh')`` with an ``out._backward`` closure), or the
    pair ``(forward, derivative)`` on floats: ``derivative(x, out)`` (or
    ``derivative(x)``) returns ∂out/∂x, and ``derivative(a, b, out)`` the pair
    (∂out/∂a, ∂out/∂b) of a binary op. ``reference`` is a registered op name
    (``"tanh"``) or a callable (on Values: differentiated by the engine; on
    floats: by central differences). Points outside the reference's domain are
    skipped.

    The report says whether forward and derivative are right, the worst point
    and the expected formula, and names a mistake when it sees one: ``=``
    instead of ``+=`` (caught by feeding the op's input to two copies of it),
    the input used where the derivative needs the output (or the reverse), a
    missing factor of the upstream δ (caught with ``out.grad`` ≠ 1), a flipped sign.
    A function whose body is still ``...`` (an exercise's template) is reported
    as not written yet, without evaluating it or showing the expected formula.

    >>> import math
    >>> report = check_op((math.tanh, lambda x, out: 1 - x**2), "tanh")
    >>> report.derivative_ok, report.mistake
    (False, 'input_for_output')
    """
    at = None if points is None else [p if isinstance(p, tuple) else (float(p),) for p in points]
    if isinstance(reference, str):
        ref = _registered(reference)
    else:
        hint = len(at[0]) if at else _positional_arity(fn[0] if isinstance(fn, tuple) else fn)
        ref = _callable_reference(reference, hint)
    if isinstance(fn, tuple):
        if len(fn) != 2 or not all(callable(f) for f in fn):
            raise TypeError("check_op: the pair form is (forward, derivative), two functions on floats")
        learner = _pair_learner(fn[0], fn[1], ref.arity)
    elif callable(fn):
        learner = _closure_learner(fn, ref.arity)
    else:
        raise TypeError(
            f"check_op: expected a function on Values or a (forward, derivative) pair, got {type(fn).__name__}"
        )
    at = _points(ref.arity) if at is None else at
    if any(len(p) != ref.arity for p in at):
        raise ValueError(f"check_op: {ref.name} takes {ref.arity} input(s); every point needs {ref.arity} number(s)")
    blank = [f for f in (fn if isinstance(fn, tuple) else (fn,)) if is_blank(f)]
    if blank:  # the exercise's empty template: say what is missing, without the answer's formula
        names = " and ".join(getattr(f, "__name__", "your function") for f in blank)
        detail = f"{names}: the body is still `...`"
        return OpReport(ref.name, learner.form, ref.formula, [], [], [], rtol, atol, "not_written", detail)
    forward_results, derivative_results, skipped = [], [], []
    outs: dict[tuple[float, ...], float] = {}
    for xs in at:
        try:
            out = ref.forward(xs)
            expected = ref.derivative(xs, out)
        except (ArithmeticError, ValueError):
            skipped.append(xs)
            continue
        if not (math.isfinite(out) and all(math.isfinite(d) for d in expected)):
            skipped.append(xs)
            continue
        outs[xs] = out
        forward_results.append(_attempt(partial(_forward_at, learner, xs), xs, (out,)))
        derivative_results.append(_attempt(partial(learner.derivative, xs, out), xs, expected))
    if not forward_results:
        raise ValueError(f"check_op: every point was outside {ref.name}'s domain; pass points= inside it")
    mistake, detail = _diagnose(learner, ref, derivative_results, rtol, atol, outs)
    return OpReport(
        ref.name, learner.form, ref.formula, forward_results, derivative_results, skipped, rtol, atol, mistake, detail
    )


def _forward_at(learner: _Learner, xs: tuple[float, ...]) -> tuple[float, ...]:
    return (learner.forward(xs),)


def _attempt(
    compute: Callable[[], tuple[float, ...]], xs: tuple[float, ...], expected: tuple[float, ...]
) -> PointResult:
    try:
        return PointResult(xs, expected, tuple(float(g) for g in compute()))
    except Exception as e:  # the learner's code: report what it raised at this point
        return PointResult(xs, expected, None, f"{type(e).__name__}: {e}")
