"""Checking δ values computed by hand: the first wrong node, its chain-rule step, and its backward frame.

:func:`check_deltas` compares a learner's δ for some or all nodes (keyed by
label) with the engine's, node by node in backward order. The first wrong node
is reported with its chain-rule step and numbers, and displays in Jupyter with
the frame :func:`viz.backward_steps` draws for it. A node whose wrong δ follows
from an earlier wrong one (it is the chain rule applied to the learner's own
numbers) is marked as following from that error, not counted as another mistake.
"""

from __future__ import annotations

import html
import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from autograd import OPS, Value, local_grads
from autograd.checks import CheckReport, chain_rule_step, node_name

from .derivation import display_names
from .graph import GraphvizNotFoundError
from .layout import DEFAULT_WIDTH
from .options import DEFAULT_MAX_NODES, DrawOptions, Layout, Rankdir, check_options, group_flag
from .steps import MAX_FRAMES, BackwardSteps, Frame, FrameLayout, backward_steps
from .text import html_markup

__all__ = ["check_deltas", "DeltaReport", "DeltaResult", "walk_steps"]

Status = Literal["right", "wrong", "follows", "not given", "to write"]


@dataclass(frozen=True)
class DeltaResult:
    """One node's verdict: the learner's δ (None if not given), the engine's, and the chain-rule step."""

    node: Value
    name: str
    index: int  # position in backward order (0 is the output)
    given: float | None
    expected: float
    status: Status
    step: str  # δ(x) = Σ δ(c)·∂c/∂x with numbers: the engine's, or the learner's own upstream δ for later mistakes
    hint: str = ""


@dataclass(repr=False)
class DeltaReport(CheckReport):
    """The verdict of :func:`check_deltas`, node by node in backward order."""

    results: list[DeltaResult]
    root: Value
    gradient: float
    title = "check_deltas"

    @property
    def passed(self) -> bool:
        """True when no given δ is wrong (nor follows from a wrong one) and none is still to write."""
        return all(r.status not in ("wrong", "follows", "to write") for r in self.results)

    @property
    def to_write(self) -> list[DeltaResult]:
        """The nodes whose answer is still ``...`` (an exercise's blank), in backward order."""
        return [r for r in self.results if r.status == "to write"]

    @property
    def checked(self) -> list[DeltaResult]:
        """The nodes the learner gave a δ for, in backward order."""
        return [r for r in self.results if r.given is not None]

    @property
    def mistakes(self) -> list[DeltaResult]:
        """The wrong δ's that do not follow from an earlier wrong one."""
        return [r for r in self.results if r.status == "wrong"]

    @property
    def first_wrong(self) -> DeltaResult | None:
        """The first wrong node in backward order (None when every given δ is right)."""
        return next(iter(self.mistakes), None)

    def headline(self) -> str:
        """One line: all right, or how many mistakes among the answers (and how many follow), what is still blank."""
        checked, blanks = self.checked, len(self.to_write)
        if blanks and not self.mistakes:
            right = f"{len(checked)} δ right, " if checked else ""
            return f"{right}{blanks} still to write ({', '.join(r.name for r in self.to_write)})"
        if blanks:
            return f"{self._mistakes_headline()}; {blanks} still to write"
        if self.passed:
            return f"all {len(checked)} δ right"
        return self._mistakes_headline()

    def _mistakes_headline(self) -> str:
        """How many mistakes among the answers given, how many right, how many follow from them."""
        checked = self.checked
        follows = sum(r.status == "follows" for r in checked)
        right = sum(r.status == "right" for r in checked)
        n = len(self.mistakes)
        tail = f", {follows} follow{'s' if follows == 1 else ''} from {'it' if n == 1 else 'them'}" if follows else ""
        return f"{n} mistake{'s' if n > 1 else ''} in {len(checked)} answers ({right} right{tail})"

    def explanation(self) -> list[str]:
        """The first wrong node with its chain-rule step and the learner's number, then the other mistakes."""
        first = self.first_wrong
        todo = [f"to do: replace each `...` with the δ of {', '.join(r.name for r in self.to_write)}"]
        if first is None:
            return todo if self.to_write else []
        lines = [
            f"first wrong node in backward order: {first.name} (step {first.index + 1} of backward)",
            first.step,
            f"you wrote {_fmt(first.given)}",
        ]
        if first.hint:
            lines.append(first.hint)
        for later in self.mistakes[1:]:
            lines.append(f"also wrong: {later.name}: {later.step}; you wrote {_fmt(later.given)}")
        return lines + (todo if self.to_write else [])

    def table(self) -> tuple[list[str], list[tuple[list[str], str]]]:
        """Column headers and one row per checked node (name, yours, engine's, verdict) with its status."""
        rows: list[tuple[list[str], str]] = []
        for r in self.results:
            if r.status == "to write":  # the engine's number would give the answer away
                rows.append(([r.name, "...", "", "still to write"], ""))
            elif r.status != "not given":
                verdict = {"right": "right", "wrong": "wrong", "follows": "follows from the error above"}[r.status]
                rows.append(([r.name, _fmt(r.given), _fmt(r.expected), verdict], r.status))
        return ["node", "yours", "engine", ""], rows

    def frame(self) -> Frame | None:
        """The backward frame of the first wrong node (None when all are right or the graph is too big to step)."""
        first = self.first_wrong
        if first is None or len(self.results) > MAX_FRAMES:
            return None
        return backward_steps(self.root, self.gradient)[first.index]

    def _repr_html_(self) -> str:
        parts = self._html_parts()
        try:
            frame = self.frame()
            if frame is not None:
                svg = frame.svg(caption=False)  # the caption in HTML, above
                picture = svg[svg.find("<svg") :].replace("<svg", '<svg style="max-width:100%;height:auto"', 1)
                parts.append(f"<p>{html_markup(frame.caption)}</p>{picture}")
        except GraphvizNotFoundError as e:
            parts.append(f"<p>(no picture: {html.escape(str(e))})</p>")
        return '<div class="deltagrad-check">' + "".join(parts) + "</div>"


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:.6g}"


def _decimals(x: float) -> int | None:
    """How many decimals ``x`` was written with (``-0.03`` → 2, ``2.0`` → 0), or None for a computed-looking float."""
    text = repr(float(x))
    if "e" in text or "E" in text:
        return None
    decimals = len(text.partition(".")[2].rstrip("0"))
    return decimals if decimals <= 6 else None


def _agrees(given: float, want: float, rtol: float, atol: float) -> bool:
    """``given`` equals ``want`` up to the tolerance, or to the rounding of the decimals it was written with."""
    allowance = max(atol, rtol * abs(want))
    places = _decimals(given)
    if places and given != 0.0:  # an integer or 0 claims no rounding
        allowance = max(allowance, 0.5 * 10.0**-places * (1 + 1e-9))
    return abs(given - want) <= allowance


def _hint(
    v: Value, given: float, want: float, terms: list[tuple[Value, float, float]], rtol: float, atol: float
) -> str:
    """What the wrong δ looks like: a known slip of hand backprop, or the local derivative's rule."""
    same = lambda x: _agrees(given, x, rtol, atol)
    if want != 0.0 and same(-want):
        return "the sign is flipped"
    if len(terms) == 1:
        c, dc, g = terms[0]
        if g != 1.0 and same(dc):
            local = f"∂{node_name(c)}/∂{node_name(v)} = {g:.6g}"
            return f"that is δ({node_name(c)}) alone: multiply it by the local derivative {local}"
        if dc != 1.0 and same(g):
            return f"that is the local derivative alone: multiply it by δ({node_name(c)}) = {dc:.6g}"
    if len(terms) > 1:
        for c, dc, g in terms:
            if same(dc * g):
                return (
                    f"that counts only the path through {node_name(c)}: {node_name(v)} feeds {len(terms)} nodes, "
                    "and its δ is the sum of one term per consumer"
                )
    if v.data != want and same(v.data):
        return "that is the node's data, not its δ"
    rules = [f"{node_name(c)} = {OPS[c.op].name}: {OPS[c.op].doc}" for c, _, _ in terms if c.op in OPS]
    return "local derivative rule: " + "; ".join(dict.fromkeys(rules)) if rules else ""


def _node_of(graph: list[Value], key: Any) -> Value:
    """The node an answer's key names: a Value of the graph, or the label of exactly one node."""
    if isinstance(key, Value):
        if not any(v is key for v in graph):
            raise ValueError(f"check_deltas: {key!r} is not a node of this output's graph")
        return key
    if not isinstance(key, str):
        raise TypeError(f"check_deltas: answers are keyed by node label (str) or Value, got {type(key).__name__}")
    found = [v for v in graph if v.label == key]
    if not found:
        labels = sorted({v.label for v in graph if v.label})
        raise ValueError(f"check_deltas: no node labelled {key!r} in the graph; labels: {', '.join(labels)}")
    if len(found) > 1:
        raise ValueError(f"check_deltas: {len(found)} nodes are labelled {key!r}; give them distinct labels")
    return found[0]


def _number(key: Any, x: Any) -> float:
    if isinstance(x, Value):
        x = x.data
    if not isinstance(x, numbers.Real) or isinstance(x, bool):
        raise TypeError(f"check_deltas: the δ given for {key!r} must be a number, got {type(x).__name__} {x!r}")
    if not math.isfinite(x):
        raise ValueError(f"check_deltas: the δ given for {key!r} is {x!r}; write a finite number")
    return float(x)


def check_deltas(
    output: Value,
    answers: Mapping[str | Value, float],
    gradient: float = 1.0,
    rtol: float = 1e-2,
    atol: float = 1e-6,
) -> DeltaReport:
    """Compare δ values computed by hand (``answers``, keyed by node label) with the engine's.

    δ of a node is ∂output/∂node (times ``gradient``). Walking in backward
    order, a given δ is right when it agrees with the engine's within ``rtol``
    (1%, as hand arithmetic rounds) or to the decimals it was written with
    (``-0.03`` for -0.0334). The report points at the first wrong node with its
    chain-rule step and numbers, "δ(z) = δ(a)·∂a/∂z = 0.5·0.42 = 0.21, you
    wrote 0.5", names the slip when it recognises one (the local derivative
    or δ left out, one path of several, a flipped sign), and marks later
    nodes whose δ is the chain rule applied to the learner's own wrong numbers
    as following from the error above. An answer still ``...`` (an exercise's
    blank) is listed as still to write, without the engine's number, and the
    check does not pass. ``.grad`` is never touched. In Jupyter
    the report also draws the first wrong node's backward frame.

    >>> from autograd import Value
    >>> z = Value(0.5, label="z"); a = z.tanh(); a.label = "a"; L = a * 2.0; L.label = "L"
    >>> report = check_deltas(L, {"L": 1.0, "a": 2.0, "z": 2.0})
    >>> report.first_wrong.name, round(report.first_wrong.expected, 4)
    ('z', 1.5729)
    """
    if not isinstance(output, Value):
        raise TypeError(f"check_deltas: expected the output Value, got {type(output).__name__}")
    if not isinstance(answers, Mapping):
        raise TypeError(f"check_deltas: answers must map node labels to δ values, got {type(answers).__name__}")
    if not answers:
        raise ValueError("check_deltas: no answers given; pass a dict of δ values by node label, e.g. {'x': 0.5}")
    order = output.walk()
    blanks = {_node_of(order, key) for key, x in answers.items() if x is ...}  # an exercise's template
    given = {_node_of(order, key): _number(key, x) for key, x in answers.items() if x is not ...}
    seed = float(gradient)
    local = {v: local_grads(v) for v in order}
    consumers: dict[Value, list[tuple[Value, float]]] = {v: [] for v in order}
    for c in order:
        for x, d in zip(c.inputs, local[c]):
            consumers[x].append((c, d))

    engine: dict[Value, float] = {}
    own: dict[Value, float] = {}  # δ from the learner's own numbers: their answer where given, else propagated
    tainted: dict[Value, bool] = {}  # downstream of a wrong answer
    results = []
    for index, v in enumerate(order):
        edges = consumers[v]
        engine[v] = seed if v is output else math.fsum(engine[c] * d for c, d in edges)
        own_sum = seed if v is output else math.fsum(own[c] * d for c, d in edges)
        upstream = any(tainted[c] for c, _ in edges)
        terms = [(c, (own if upstream else engine)[c], d) for c, d in edges]
        step = chain_rule_step(v, terms) if edges else f"δ({node_name(v)}) = {seed:g} (the seed, ∂output/∂output)"
        if v not in given:
            own[v], tainted[v] = own_sum, upstream
            status_if_not_given: Status = "to write" if v in blanks else "not given"
            results.append(DeltaResult(v, node_name(v), index, None, engine[v], status_if_not_given, step))
            continue
        g = own[v] = given[v]
        if _agrees(g, engine[v], rtol, atol) or (not upstream and _agrees(g, own_sum, rtol, atol)):
            status: Status = "right"
        elif upstream and _agrees(g, own_sum, rtol, atol):
            status = "follows"
        else:
            status = "wrong"
        tainted[v] = status != "right"
        hint = _hint(v, g, own_sum if upstream else engine[v], terms, rtol, atol) if status == "wrong" else ""
        results.append(DeltaResult(v, node_name(v), index, g, engine[v], status, step, hint))
    return DeltaReport(results, output, seed)


def walk_steps(
    root: Value,
    visits: Iterable[Value],
    rankdir: Rankdir = "auto",
    show_local_grads: bool = True,
    precision: int = 4,
    width: float | None = DEFAULT_WIDTH,
) -> BackwardSteps:
    """Frames of a backward pass that visits nodes in the order ``visits``, right or not.

    At each visit the node passes its δ *as it stands* into its inputs
    (δ_x += δ_v·∂v/∂x), which is what a hand-written backward does. Each frame
    highlights the visited node and shows every δ so far (``?`` before a node
    receives anything); its caption writes the step with numbers and flags the
    two ways a wrong order goes wrong: a node visited again pushes its δ a
    second time (**double-counted**), and a node visited before every consumer
    has added its part passes on a partial δ (**read before it is complete**).
    With the reverse topological order (``root.walk()``) the frames end on the
    engine's δ's; ``viz.backward_steps`` is that case with the δ-sum captions.

    >>> from autograd import Value
    >>> a = Value(3.0, label="a"); b = a + a; b.label = "b"; c = b + b; c.label = "c"
    >>> [round(f.delta, 1) for f in walk_steps(c, [c, b, a, b, a])]  # depth-first, no visited set
    [1.0, 2.0, 4.0, 2.0, 8.0]
    """
    if not isinstance(root, Value):
        raise TypeError(f"walk_steps: expected the output Value, got {type(root).__name__}")
    order = root.walk()
    visits = list(visits)
    members = set(order)
    strangers = [v for v in visits if v not in members]
    if strangers:
        raise ValueError(f"walk_steps: {node_name(strangers[0])} is not a node of this output's graph")
    if len(visits) > MAX_FRAMES:
        raise ValueError(f"walk_steps: {len(visits)} visits (at most {MAX_FRAMES}); step through a smaller graph")
    check_options("walk_steps", rankdir, precision, "slides", width)
    show = bool(show_local_grads)

    def options(layout: Layout) -> DrawOptions:
        direction, stacked, rows = layout
        return DrawOptions(
            direction, show, group_flag("auto"), DEFAULT_MAX_NODES, precision, False, "slides", stacked, bands=rows
        )

    local = {v: local_grads(v) for v in order}
    final: dict[Value, float] = {}
    for v in order:  # the right δ's, to say when a visit reads an incomplete one
        final.setdefault(v, 0.0)
        if v is root:
            final[v] = 1.0
        for x, d in zip(v.inputs, local[v]):
            final[x] = final.get(x, 0.0) + final[v] * d
    delta: dict[Value, float | None] = {v: None for v in order}
    delta[root] = 1.0
    names = display_names(root)  # distinct names: two unlabelled products read mul_1 and mul_2
    seen: set[Value] = set()
    steps = []
    for index, v in enumerate(visits):
        now = delta[v] or 0.0
        pushes = []
        for x, d in zip(v.inputs, local[v]):
            delta[x] = (delta[x] or 0.0) + now * d
            pushes.append(f"δ({names[x]}) += {now:.6g}·{d:.6g} → {delta[x]:.6g}")
        caption = f"visit {index + 1}: {names[v]}"
        if not v.inputs:
            caption += f", a leaf: nothing to pass on (δ = {now:.6g})"
        else:
            caption += f" passes on δ = {now:.6g}: {'; '.join(pushes)}"
            if v in seen:
                caption += f". DOUBLE-COUNTED: {names[v]} was visited before, its δ is added again"
            elif not math.isclose(now, final[v], rel_tol=1e-12, abs_tol=1e-15):
                caption += (
                    f". READ BEFORE COMPLETE: δ({names[v]}) is {now:.6g} now but {final[v]:.6g} once every "
                    "consumer has added its part"
                )
        seen.add(v)
        steps.append((v, now, caption, dict(delta)))
    layout = FrameLayout.choose(root, options, final, rankdir, width, [caption for _, _, caption, _ in steps])
    frames = []
    for index, (v, now, caption, known) in enumerate(steps):
        graph = layout.draw(root, known, final, v, frozenset((x, v) for x in v.inputs))
        frames.append(layout.frame(index, v, now, (), caption, graph))
    return BackwardSteps(frames)
