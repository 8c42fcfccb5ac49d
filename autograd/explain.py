"""The compiled program, readable: each lowered step in matrix form, with its shapes and the scalar nodes it replaces.

:func:`autograd.compile` turns a traced scalar graph into a few numpy steps (:mod:`autograd.compiled`): a
layer's ``dot`` nodes become one matrix product, an activation over a layer one ufunc, a sample's
cross-entropy one row-wise kernel. :meth:`CompiledGraph.steps` describes each step as a
:class:`LoweredStep` (plain data, which ``viz`` draws too) and :class:`Explanation` writes them the way
the lectures do, for a batch of B rows (one per sample), with W (n × k) holding a layer's n inputs' weights
into its k neurons (so Z = X·W + b)::

    Z₁ = X·W₁ + b₁   (B×784 · 784×64 → B×64)
        δW₁ = Xᵀ·δZ₁    δb₁ = Σ_rows δZ₁    δX = δZ₁·W₁ᵀ
    A₁ = relu(Z₁)    (B×64)
        δZ₁ = relu′(Z₁) ⊙ δA₁

Each backward line is the scalar graph's chain rule summed the matrix way: δW₁[j, i] = Σ_rows X[r, j]·δZ₁[r, i]
is the sum, over the batch, of the δ the scalar weight node w_ij receives from each sample's dot node.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from .ops import OPS

__all__ = ["Source", "LoweredStep", "ExplainedStep", "Explanation", "subscript", "module_path"]

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def subscript(n: int) -> str:
    """``n`` in subscript digits: 12 → '₁₂'."""
    return str(n).translate(_SUBSCRIPTS)


@dataclass(frozen=True)
class Source:
    """Where some of an operand's values come from: the graph's ``inputs`` (its columns), a ``step``'s block
    (that step's index and the columns read), or the leaf vector's ``parameters`` / ``constants``."""

    kind: Literal["inputs", "step", "parameters", "constants"]
    step: int | None
    columns: tuple[int, ...]


@dataclass(frozen=True)
class LoweredStep:
    """One numpy step of a compiled graph and the scalar nodes it stands for.

    ``kind`` is ``"matmul"`` (k ``dot`` nodes sharing one input vector: Z = X·W + b with W (n × k)),
    ``"elementwise"`` (k nodes of a unary or binary op, one ufunc over a B × k block), ``"reduction"``
    (k n-ary nodes of ``group`` inputs each) or ``"fused"`` (``applications`` rows of ``group`` logits
    through one softmax-family kernel: ``op`` is ``cross_entropy``, ``log_softmax`` or ``softmax``).
    ``width`` values per sample come out; ``operands`` says where each operand's values come from (for a
    matmul: its input vector, then its bias when it has one). ``replaces`` counts the scalar nodes by op
    and ``labels`` are the labels of the nodes it computes, ``outputs`` how many of them the graph returns.
    ``trains`` says, per operand (for a matmul
    (W, X, b)), whether the training backward computes that operand's δ (a parameter lies behind it).
    """

    index: int
    level: int
    kind: Literal["matmul", "elementwise", "reduction", "fused"]
    op: str
    width: int
    operands: tuple[tuple[Source, ...], ...]
    labels: tuple[str, ...]
    replaces: tuple[tuple[str, int], ...]
    trains: tuple[bool, ...]
    group: int = 1
    applications: int = 1
    weight_shape: tuple[int, int] | None = None  # (n inputs, k neurons): W as the lectures write it
    weight_labels: tuple[str, ...] = ()
    weight_names: tuple[str, ...] = ()
    has_bias: bool = False
    outputs: int = 0  # how many of the values it computes are outputs of the graph

    @property
    def nodes(self) -> int:
        """How many scalar nodes of the traced graph this step computes."""
        return sum(count for _, count in self.replaces)


def module_path(names: Sequence[str]) -> str:
    """The module path shared by parameter ``names``: ``layers.0`` for ``layers.0.neurons.3.w.5`` and its
    layer's other weights (the common dotted prefix, without a trailing list such as ``neurons``)."""
    parts = [name.split(".") for name in names if name]
    if not parts:
        return ""
    common = []
    for pieces in zip(*parts):
        if len(set(pieces)) != 1:
            break
        common.append(pieces[0])
    if common and len(common) < min(map(len, parts)) and any(p[len(common)].isdigit() for p in parts):
        common.pop()  # "neurons" of layers.0.neurons.<i>: name the layer, not its list
    return ".".join(common)


def _span(labels: Sequence[str]) -> str:
    """'z^[2]_1 … z^[2]_64', or the one label, or '' when unlabelled."""
    named = [label for label in labels if label]
    if not named:
        return ""
    return named[0] if len(named) == 1 else f"{named[0]} … {named[-1]}"


FUSED = {
    "cross_entropy": ("{out} = logsumexp_rows({z}) − Σ_rows {t} ⊙ {z}", "δ{z} = δ{out} ⊙ (softmax_rows({z}) − {t})"),
    "log_softmax": ("{out} = {z} − logsumexp_rows({z})", "δ{z} = δ{out} − softmax_rows({z}) ⊙ Σ_rows δ{out}"),
    "softmax": ("{out} = softmax_rows({z})", "δ{z} = {out} ⊙ (δ{out} − Σ_rows δ{out} ⊙ {out})"),
}
"""The fused kernels' forward and backward in matrix form (autograd.fused), per row of ``group`` logits."""


@dataclass
class _Names:
    """What the explanation calls each block: the inputs' parts, each step's result, and the weights."""

    inputs: list[tuple[str, int, int]]  # (name, first column, end)
    steps: dict[int, str] = field(default_factory=dict)
    weights: dict[int, tuple[str, str]] = field(default_factory=dict)  # matmul step → (W name, b name)

    def of(self, sources: tuple[Source, ...], steps: Sequence[LoweredStep]) -> str:
        if len(sources) == 1:
            return self._one(sources[0], steps)
        return "[" + " | ".join(self._one(s, steps) for s in sources) + "]"

    def _one(self, source: Source, steps: Sequence[LoweredStep]) -> str:
        cols = source.columns
        if source.kind in ("parameters", "constants"):
            return "θ" if source.kind == "parameters" else "c"
        if source.kind == "inputs":
            for name, start, end in self.inputs:
                if start <= cols[0] < end:
                    if cols == tuple(range(start, end)):
                        return name
                    if all(start <= c < end for c in cols):
                        return _columns(name, tuple(c - start for c in cols))
            return _columns("inputs", cols)
        assert source.step is not None
        name = self.steps[source.step]
        return name if cols == tuple(range(steps[source.step].width)) else _columns(name, cols)


def _columns(name: str, cols: tuple[int, ...]) -> str:
    """``name``'s columns ``cols``, as numpy would index them: X[:, 3], X[:, 2:5], X[:, [0, 0, 4]]."""
    if len(cols) == 1:
        return f"{name}[:, {cols[0]}]"
    if cols == tuple(range(cols[0], cols[-1] + 1)):
        return f"{name}[:, {cols[0]}:{cols[-1] + 1}]"
    if len(cols) <= 6:
        return f"{name}[:, [{', '.join(map(str, cols))}]]"
    return f"{name}[:, <{len(cols)} columns>]"


def _replaces(step: LoweredStep) -> str:
    counts = ", ".join(f"{count} {op}" for op, count in step.replaces)
    noun = "node" if step.nodes == 1 else "nodes"
    span = _span(step.labels)
    text = f"replaces {counts} {noun}" + (f" {span}" if span else "")
    if step.kind == "matmul":
        weights = _span(step.weight_labels)
        path = module_path(step.weight_names)
        owner = ", ".join(x for x in (path, f"weights {weights}" if weights else "") if x)
        text += f" ({owner})" if owner else ""
    return text


@dataclass(frozen=True)
class ExplainedStep:
    """One step, explained: the name of its result (``Z₁``), its forward (``Z₁ = X·W₁ + b₁``), the shapes,
    its backward formulas and the scalar nodes it replaces."""

    step: LoweredStep
    name: str
    forward: str
    shapes: str
    backward: tuple[str, ...]
    replaces: str


class Explanation:
    """What a compiled graph does, step by step in matrix form: printed as text, shown as a table in Jupyter.

    ``steps`` are the :class:`LoweredStep` records; ``batch`` the number of rows the shapes use (``B``
    when none was given and no batch has run). ``str(explanation)`` is the text, ``_repr_html_`` the table.
    """

    def __init__(
        self,
        steps: Sequence[LoweredStep],
        n_inputs: int,
        batch: int | None = None,
        inputs: Sequence[tuple[str, int]] | None = None,
        title: str = "compiled graph",
    ) -> None:
        self.steps = list(steps)
        self.batch = batch
        self.title = title
        parts = list(inputs) if inputs else [("X", n_inputs)]
        if sum(width for _, width in parts) != n_inputs:
            raise ValueError(f"explain: the inputs' widths {[w for _, w in parts]} do not add up to {n_inputs}")
        start, spans = 0, []
        for name, width in parts:
            spans.append((name, start, start + width))
            start += width
        self.inputs = spans
        self.lines = self._explain()

    # ------------------------------------------------------------------ naming and formulas
    def _explain(self) -> list[ExplainedStep]:
        names = _Names(self.inputs)
        B = "B" if self.batch is None else str(self.batch)
        training = any(any(step.trains) for step in self.steps)  # else every δ is an input gradient

        def skipped(step: LoweredStep, i: int, why: str = "no parameter behind it") -> str:
            """The note for operand i's δ when a training backward does not compute it."""
            computed = i < len(step.trains) and step.trains[i]
            return "" if computed or not training else f"  [not computed in training: {why}]"

        products = 0
        lines = []
        for step in self.steps:
            ins = [names.of(sources, self.steps) for sources in step.operands]
            if step.kind == "matmul":
                products += 1
                i = subscript(products)
                out, W, b = f"Z{i}", f"W{i}", f"b{i}"
                names.steps[step.index] = out
                X = ins[0]
                if step.has_bias and step.operands[1][0].kind != "parameters":
                    b = ins[1]
                n, k = step.weight_shape or (0, step.width)
                rows = B if step.applications == 1 else f"{B}·{step.applications}"
                forward = f"{out} = {X}·{W}" + (f" + {b}" if step.has_bias else "")
                shapes = f"({rows}×{n} · {n}×{k} → {rows}×{k})"
                if step.applications > 1:
                    shapes += f", one product for {step.applications} applications of {W}"
                backward = [f"δ{W} = {X}ᵀ·δ{out}  ({n}×{rows} · {rows}×{k})" + skipped(step, 0, "constant weights")]
                if step.has_bias:
                    backward.append(f"δ{b} = Σ_rows δ{out}" + skipped(step, 2, "a constant bias"))
                backward.append(f"δ{X} = δ{out}·{W}ᵀ  ({rows}×{k} · {k}×{n})" + skipped(step, 1))
                lines.append(ExplainedStep(step, out, forward, shapes, tuple(backward), _replaces(step)))
                continue
            if step.kind == "fused":
                out = {"cross_entropy": "L", "log_softmax": "logP", "softmax": "P"}.get(step.op, step.op)
                if out in names.steps.values():  # several such steps (a softmax per attention row): number them
                    out += subscript(step.index + 1)
                names.steps[step.index] = out
                z, t = ins[0], ins[1] if len(ins) > 1 else ""
                forward, back = FUSED.get(step.op, (f"{{out}} = {step.op}({{z}})", f"δ{{z}} from δ{{out}} ({step.op})"))
                width = step.group * step.applications
                shapes = f"({B}×{width} → {B}×{step.width}, rows of {step.group})"
                backward = [back.format(out=out, z=z, t=t) + skipped(step, 0)]
                if t and len(step.trains) > 1 and step.trains[1]:
                    backward.append(f"δ{t} = −δ{out} ⊙ {z}")
                lines.append(
                    ExplainedStep(
                        step, out, forward.format(out=out, z=z, t=t), shapes, tuple(backward), _replaces(step)
                    )
                )
                continue
            # elementwise ops and reductions: the op table's rule, entry by entry (or row by row)
            source = step.operands[0][0] if step.operands and len(step.operands[0]) == 1 else None
            activation = (
                step.kind == "elementwise"
                and len(ins) == 1
                and source is not None
                and source.step is not None
                and self.steps[source.step].kind == "matmul"
                and names.steps.get(source.step) == ins[0]
            )
            out = "A" + ins[0][1:] if activation else f"V{subscript(step.index + 1)}"
            names.steps[step.index] = out
            if step.kind == "elementwise":
                forward = f"{out} = {step.op}({', '.join(ins)})"
                shapes = f"({B}×{step.width})"
                if len(ins) == 1:
                    backward = [f"δ{ins[0]} += {step.op}′({ins[0]}) ⊙ δ{out}" + skipped(step, 0)]
                else:
                    backward = [
                        f"δ{x} += ∂{step.op}/∂{x} ⊙ δ{out}" + skipped(step, j)
                        for j, x in enumerate(ins)
                        if any(source.kind != "constants" for source in step.operands[j])  # a constant has no δ
                    ]
            else:
                forward = f"{out} = {step.op}_rows({ins[0]})"
                shapes = f"({B}×{step.width * step.group} → {B}×{step.width}, {step.group} inputs each)"
                backward = [f"δ{ins[0]} += ∂{step.op}/∂x ⊙ δ{out}, per row of {step.group}" + skipped(step, 0)]
            op = OPS.get(step.op)
            if op is not None and op.doc:
                backward.append(f"each entry: {op.doc}")
            lines.append(ExplainedStep(step, out, forward, shapes, tuple(backward), _replaces(step)))
        return lines

    # ------------------------------------------------------------------ output
    def summary(self) -> str:
        """One line: how many numpy steps stand for how many scalar nodes, matrix products, batch and inputs."""
        nodes = sum(line.step.nodes for line in self.lines)
        products = sum(line.step.kind == "matmul" for line in self.lines)
        batch = "B rows" if self.batch is None else f"a batch of {self.batch}"
        inputs = ", ".join(f"{name} ({end - start} columns)" for name, start, end in self.inputs)
        return (
            f"{self.title}: {len(self.lines)} numpy steps for {nodes} scalar nodes, {products} matrix "
            f"product{'s' if products != 1 else ''}, over {batch}; inputs {inputs}"
        )

    def __str__(self) -> str:
        out = [self.summary()]
        for k, line in enumerate(self.lines, 1):
            out.append(f"{k}. {line.forward}   {line.shapes}")
            out.append(f"     backward: {'   '.join(line.backward)}")
            out.append(f"     {line.replaces}")
        return "\n".join(out)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        """A table: step, forward and shapes, backward, the scalar nodes it replaces."""
        e = html.escape
        rows = "".join(
            "<tr>"
            f"<td>{k}</td><td><code>{e(line.forward)}</code><br><small>{e(line.shapes)}</small></td>"
            f"<td>{'<br>'.join(f'<code>{e(b)}</code>' for b in line.backward)}</td>"
            f"<td><small>{e(line.replaces)}</small></td>"
            "</tr>"
            for k, line in enumerate(self.lines, 1)
        )
        return (
            f"<div><p>{e(self.summary())}</p>"
            '<table style="text-align:left; max-width:900px"><thead><tr><th>#</th><th>forward (shapes)</th>'
            f"<th>backward</th><th>scalar nodes</th></tr></thead><tbody>{rows}</tbody></table></div>"
        )

    def matrix_products(self) -> list[LoweredStep]:
        """The steps that are matrix products (a dense layer each)."""
        return [step for step in self.steps if step.kind == "matmul"]
