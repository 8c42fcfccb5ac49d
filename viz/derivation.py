"""How a node's δ came to be: δ(a) = Σ over the nodes that read ``a`` of δ(reader)·∂reader/∂a, numbers filled in.

Backward gives a node read by several others the sum of one contribution per
edge (``a + a`` reads ``a`` twice, so two edges and two terms). This module
replays the pass from :func:`autograd.local_grads` and the nodes' ``inputs``
(the user's ``.grad`` is never touched) and writes each node's sum out as
plain text, LaTeX and MathML, every term naming the edge it travels along
(:func:`edge_name`, the ``class`` of that edge in :func:`viz.draw_graph`'s SVG).

During the pass a node's δ grows one term at a time: the term along the edge
x → c arrives when backward reaches the reader c. :meth:`Derivation.so_far`
writes the sum as it stands after the first m terms (the others pending, shown
as ``?``), which is what a frame of :func:`viz.backward_steps` shows for a node
backward has not finished yet.

Nodes are named for people by :func:`display_names`: a label when it is the
only node with it, else the op with a number in creation order (``mul_1``,
``mul_2``), so no two nodes of one graph read the same.
"""

from __future__ import annotations

import html
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from autograd import OPS, Constant, Value, local_grads, op_of
from autograd.value import walk

from .names import edge_name, node_name
from .text import format_number, math_pieces, tex_escape

__all__ = ["Term", "Derivation", "derivation", "derivations", "display_names", "edge_name", "backward_terms"]


def _kind_name(v: Value) -> str:
    """What an unlabelled node is: its op (``mul``, ``tanh``), ``const 2`` or ``input``."""
    if isinstance(v, Constant):
        return f"const {v.data:g}"
    if not v.op:
        return "input"
    symbol = op_of(v).symbol
    return v.op if v.op in OPS else f"op {symbol}"


def display_names(roots: Value | Iterable[Value]) -> dict[Value, str]:
    """A distinct, readable name for every node of the graph(s) of ``roots``.

    A node's label when no other node has it; a label shared by several nodes
    gets ``#1``, ``#2``... in creation order; an unlabelled node is named for
    what it is (``mul``, ``tanh``, ``input``, ``const 2``), numbered ``mul_1``,
    ``mul_2``... (written as subscripts) when several share that name.

    >>> a = Value(2.0, label="a"); y = a * a * 3
    >>> sorted(display_names(y).values())
    ['a', 'const 3', 'mul_1', 'mul_2']
    """
    order = walk([roots] if isinstance(roots, Value) else list(roots))
    order.reverse()  # creation order: numbers count the way the graph was built
    base = {v: v.label or _kind_name(v) for v in order}
    counts = Counter(base.values())
    seen: Counter[str] = Counter()
    names: dict[Value, str] = {}
    for v in order:
        name = base[v]
        if counts[name] > 1:
            seen[name] += 1
            name = f"{name}#{seen[name]}" if v.label else f"{name.replace(' ', '')}_{seen[name]}"
        names[v] = name
    used = Counter(names.values())
    for v in order:  # a generated name may still equal someone's label (a node labelled "mul_1"): primes apart
        while used[names[v]] > 1 and not v.label:
            used[names[v]] -= 1
            names[v] += "′"
            used[names[v]] += 1
    return names


@dataclass(frozen=True)
class Term:
    """One contribution to a node's δ: ``reader_delta · local``, along input ``position`` of ``reader``."""

    reader: Value
    position: int
    reader_delta: float
    local: float  # ∂reader/∂(its input ``position``); NaN where undefined and not needed (δ(reader) = 0)

    @property
    def value(self) -> float:
        """δ(reader)·∂reader/∂node; 0 when δ(reader) is 0 (backward passes nothing on from there)."""
        return 0.0 if self.reader_delta == 0.0 else self.reader_delta * self.local

    @property
    def edge(self) -> str:
        """The edge this contribution travels along (:func:`edge_name`)."""
        return edge_name(self.reader, self.position)


def backward_terms(
    root: Value, gradient: float = 1.0
) -> tuple[list[Value], dict[Value, float], dict[Value, list[Term]]]:
    """One backward pass replayed: the nodes in backward's order, every node's δ and the terms it was summed from.

    δ(root) = ``gradient``; for every other node x, δ(x) = Σ over the edges
    x → c of δ(c)·∂c/∂x, added in the order :meth:`autograd.Value.backward`
    adds them (the order of :meth:`~autograd.Value.walk`: reverse
    topological, so every reader comes before what it reads). A reader whose
    δ is 0 passes nothing on, so its local derivatives are not needed (and
    may be undefined there: NaN). The user's ``.grad`` is never touched.

    This is the one replay of backward in viz: :func:`derivations`,
    :func:`viz.backward_steps` and the lab's probe graph all read it.
    """
    order = root.walk()
    deltas: dict[Value, float] = {}
    terms: dict[Value, list[Term]] = {v: [] for v in order}
    for v in order:
        delta = float(gradient) if v is root else sum((t.value for t in terms[v] if t.reader_delta != 0.0), 0.0)
        deltas[v] = delta
        if v.inputs:
            grads = local_grads(v) if delta != 0.0 else _local_grads_or_nan(v)
            for position, (x, g) in enumerate(zip(v.inputs, grads)):
                terms[x].append(Term(v, position, delta, float(g)))
    return order, deltas, terms


def _local_grads_or_nan(v: Value) -> tuple[float, ...]:
    try:
        return tuple(float(g) for g in local_grads(v))
    except (ArithmeticError, ValueError):
        return (math.nan,) * len(v.inputs)


# ------------------------------------------------------------------------------ the formula in three forms
def _number(x: float, precision: int) -> str:
    return "undefined" if math.isnan(x) else format_number(x, precision)


def _signed(x: float, precision: int) -> str:
    text = _number(x, precision)
    return f"({text})" if text.startswith("-") else text


def _wrapped(name: str) -> str:
    """A name inside ∂·/∂·: bracketed when it has spaces or operators (``∂(const 2)``)."""
    return name if name.replace("_", "").replace("^", "").replace("#", "").replace("′", "").isalnum() else f"({name})"


@dataclass(frozen=True)
class Derivation:
    """δ of one node written out: ``δ(a) = δ(b)·∂b/∂a + δ(c)·∂c/∂a = 0.5·1.0 + 0.5·1.0 = 1.0``.

    ``terms`` are the contributions in the order backward adds them; a reader
    that reads the node several times (``a + a``) gives one term per edge,
    told apart by the input position. ``delta`` is their sum, or the seed
    for the output itself. ``str()`` is the text; :meth:`latex` and
    :meth:`html` (MathML) the typeset forms; Jupyter shows the MathML.

    Mid-pass (:meth:`so_far`) ``pending`` holds the terms whose reader
    backward has not reached yet: they are written with ``?`` for δ(reader),
    and ``delta`` is the sum of the terms arrived, what ``.grad`` holds at that
    moment (``δ(a) = δ(b)·∂b/∂a + δ(c)·∂c/∂a = 0.5·1.0 + ?·1.0 = 0.5 so far``).
    """

    node: Value
    delta: float
    terms: tuple[Term, ...]
    names: Mapping[Value, str]
    is_output: bool = False
    precision: int = 4
    pending: tuple[Term, ...] = ()

    @property
    def complete(self) -> bool:
        """Whether every term has arrived (``delta`` is the node's final δ)."""
        return not self.pending

    def so_far(self, arrived: int) -> Derivation:
        """This derivation as it stands mid-pass, after its first ``arrived`` terms (of ``len(terms)``) came in.

        δ so far = Σ over the first ``arrived`` terms of δ(reader)·∂reader/∂node,
        added in backward's order (so with every term it is exactly :attr:`delta`);
        the rest are :attr:`pending`. A complete derivation with ``arrived = len(terms)`` is returned as is.
        """
        every = self.terms + self.pending
        if isinstance(arrived, bool) or not isinstance(arrived, int) or not 0 <= arrived <= len(every):
            raise ValueError(f"Derivation.so_far: arrived must be an int in 0..{len(every)}, got {arrived!r}")
        if arrived == len(self.terms) and not self.pending:
            return self
        head = every[:arrived]
        delta = self.delta if self.is_output else sum((t.value for t in head if t.reader_delta != 0.0), 0.0)
        return Derivation(self.node, delta, head, self.names, self.is_output, self.precision, every[arrived:])

    @property
    def name(self) -> str:
        """The node's display name (:func:`display_names`)."""
        return self.names[self.node]

    def _repeated(self) -> set[Value]:
        counts = Counter(t.reader for t in self.terms + self.pending)
        return {r for r, n in counts.items() if n > 1}

    def _why(self) -> str | None:
        if self.is_output:
            return "the seed, ∂output/∂output" if self.delta == 1.0 else "the seed given to backward"
        return None if self.terms or self.pending else "no path to the output"

    def _progress(self) -> str:
        """`` so far (1 of 2 terms arrived)`` mid-pass, else nothing."""
        if not self.pending:
            return ""
        return f" so far ({len(self.terms)} of {len(self.terms) + len(self.pending)} terms arrived)"

    # ------------------------------------------------------------------ text
    def symbols(self) -> list[str]:
        """Each term as text, ``δ(c)·∂c/∂a`` (``∂c/∂a (input 2)`` when ``c`` reads ``a`` more than once),
        the pending ones too."""
        twice, a = self._repeated(), _wrapped(self.name)
        out = []
        for t in self.terms + self.pending:
            c = self.names[t.reader]
            where = f" (input {t.position + 1})" if t.reader in twice else ""
            out.append(f"δ({c})·∂{_wrapped(c)}/∂{a}{where}")
        return out

    def text(self) -> str:
        """The derivation as one line of plain text."""
        p, head = self.precision, f"δ({self.name})"
        why = self._why()
        if why is not None:
            return f"{head} = {format_number(self.delta, p)} ({why})"
        numbers = " + ".join(
            [f"{_signed(t.reader_delta, p)}·{_signed(t.local, p)}" for t in self.terms]
            + [f"?·{_signed(t.local, p)}" for t in self.pending]
        )
        return f"{head} = {' + '.join(self.symbols())} = {numbers} = {format_number(self.delta, p)}{self._progress()}"

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"Derivation({self.text()!r})"

    # ------------------------------------------------------------------ LaTeX
    def latex(self) -> str:
        r"""The derivation as LaTeX math (no ``$``): ``\delta(a) = \delta(c)\,\frac{\partial c}{\partial a} + ...``."""
        p = self.precision
        head = rf"\delta({_tex_name(self.name)})"
        why = self._why()
        if why is not None:
            return rf"{head} = {_tex_number(format_number(self.delta, p))} \quad \mbox{{({tex_escape(why)})}}"
        twice, a = self._repeated(), _tex_name(self.name)
        symbols = []
        for t in self.terms + self.pending:
            c = _tex_name(self.names[t.reader])
            where = rf"\big|_{{\mbox{{\scriptsize input {t.position + 1}}}}}" if t.reader in twice else ""
            symbols.append(rf"\delta({c})\cdot\frac{{\partial {c}}}{{\partial {a}}}{where}")
        numbers = " + ".join(
            [rf"{_tex_number(_signed(t.reader_delta, p))}\cdot{_tex_number(_signed(t.local, p))}" for t in self.terms]
            + [rf"\mbox{{?}}\cdot{_tex_number(_signed(t.local, p))}" for t in self.pending]
        )
        progress = rf" \quad \mbox{{{tex_escape(self._progress().strip())}}}" if self.pending else ""
        return rf"{head} = {' + '.join(symbols)} = {numbers} = {_tex_number(format_number(self.delta, p))}{progress}"

    def _repr_latex_(self) -> str:
        return f"$${self.latex()}$$"

    # ------------------------------------------------------------------ MathML
    def html(self) -> str:
        """The derivation as an HTML ``<math>`` element (MathML Core, typeset by browsers without scripts).

        Each term is an ``<mrow class="term" data-edge="...">`` (twice: in the
        symbols and in the numbers), so a page can light up the edge of the
        term under the pointer; a term still to come has the classes
        ``term pending`` and ``?`` for δ(reader).
        """
        p = self.precision
        head = f"<mi>δ</mi><mo>(</mo>{_mathml_name(self.name)}<mo>)</mo>"
        why = self._why()
        if why is not None:
            body = f'{head}<mo>=</mo><mn>{format_number(self.delta, p)}</mn><mspace width="0.5em"/>'
            body += f"<mtext>({html.escape(why)})</mtext>"
        else:
            twice, a = self._repeated(), _mathml_name(self.name)
            symbols, numbers = [], []
            for k, t in enumerate(self.terms + self.pending):
                c = _mathml_name(self.names[t.reader])
                where = f"<msub><mo>|</mo><mtext>input {t.position + 1}</mtext></msub>" if t.reader in twice else ""
                arrived = k < len(self.terms)
                kind = "term" if arrived else "term pending"
                attrs = f'class="{kind}" data-edge="{t.edge}" data-reader="{node_name(t.reader)}"'
                frac = f"<mfrac><mrow><mo>∂</mo>{c}</mrow><mrow><mo>∂</mo>{a}</mrow></mfrac>"
                symbols.append(f"<mrow {attrs}><mi>δ</mi><mo>(</mo>{c}<mo>)</mo><mo>·</mo>{frac}{where}</mrow>")
                reader = _mathml_number(_signed(t.reader_delta, p)) if arrived else "<mi>?</mi>"
                numbers.append(f"<mrow {attrs}>{reader}<mo>·</mo>{_mathml_number(_signed(t.local, p))}</mrow>")
            body = f"{head}<mo>=</mo>{'<mo>+</mo>'.join(symbols)}<mo>=</mo>{'<mo>+</mo>'.join(numbers)}"
            body += f"<mo>=</mo><mn>{format_number(self.delta, p)}</mn>"
            if self.pending:
                body += f'<mspace width="0.5em"/><mtext>{html.escape(self._progress().strip())}</mtext>'
        alt = html.escape(self.text(), quote=True)
        return f'<math display="block" class="derivation" alttext="{alt}"><mrow>{body}</mrow></math>'

    def _repr_html_(self) -> str:
        return self.html()

    def to_dict(self) -> dict[str, Any]:
        """Plain data for a page or widget: the text, the MathML, each arrived term's edge and numbers, and the
        edges of the terms still to come (``pending``; ``complete`` when there are none)."""
        return {
            "node": node_name(self.node),
            "name": self.name,
            "delta": self.delta,
            "complete": self.complete,
            "text": self.text(),
            "html": self.html(),
            "pending": [t.edge for t in self.pending],
            "terms": [
                {
                    "edge": t.edge,
                    "reader": node_name(t.reader),
                    "input": t.position,
                    "reader_delta": t.reader_delta,
                    "local": None if math.isnan(t.local) else t.local,
                    "value": t.value,
                }
                for t in self.terms
            ],
        }


def _tex_name(name: str) -> str:
    out = []
    for piece in math_pieces(name):
        if isinstance(piece, str):
            out.append(r"\mbox{" + tex_escape(piece) + "}")
        else:
            base, sup, sub = piece
            text = r"\mathit{\mbox{" + tex_escape(base) + "}}"
            text += r"^{\mbox{\scriptsize " + tex_escape(sup) + "}}" if sup else ""
            text += r"_{\mbox{\scriptsize " + tex_escape(sub) + "}}" if sub else ""
            out.append("{" + text + "}")
    return "".join(out)


def _tex_number(text: str) -> str:
    return text.replace("undefined", r"\mbox{undefined}")


def _mathml_name(name: str) -> str:
    out = []
    for piece in math_pieces(name):
        if isinstance(piece, str):
            out.append(f"<mi>{html.escape(piece)}</mi>" if len(piece) == 1 else f"<mtext>{html.escape(piece)}</mtext>")
        else:
            base, sup, sub = (html.escape(x) if x else x for x in piece)
            b = f"<mi>{base}</mi>"
            if sup and sub:
                out.append(f"<msubsup>{b}<mtext>{sub}</mtext><mtext>{sup}</mtext></msubsup>")
            elif sup:
                out.append(f"<msup>{b}<mtext>{sup}</mtext></msup>")
            else:
                out.append(f"<msub>{b}<mtext>{sub}</mtext></msub>")
    return f"<mrow>{''.join(out)}</mrow>"


def _mathml_number(text: str) -> str:
    if text.startswith("("):
        return f"<mrow><mo>(</mo><mn>{html.escape(text[1:-1])}</mn><mo>)</mo></mrow>"
    return f"<mn>{html.escape(text)}</mn>" if text != "undefined" else "<mtext>undefined</mtext>"


# ------------------------------------------------------------------------------ entry points
def derivations(root: Value, gradient: float = 1.0, precision: int = 4) -> dict[Value, Derivation]:
    """The :class:`Derivation` of every node of ``root``'s graph, for ``root.backward(gradient)``.

    One replayed pass (``.grad`` untouched); the δ of each equals what
    ``root.backward(gradient)`` puts in that node's ``.grad`` from zero.
    """
    if not isinstance(root, Value):
        raise TypeError(f"derivations: root must be a Value, got {type(root).__name__}")
    order, deltas, terms = backward_terms(root, gradient)
    names = display_names(root)
    return {v: Derivation(v, deltas[v], tuple(terms[v]), names, v is root, precision) for v in order}


def derivation(node: Value, root: Value, gradient: float = 1.0, precision: int = 4) -> Derivation:
    """How ``node``'s δ comes to be in ``root.backward(gradient)``: δ(node) = Σ δ(reader)·∂reader/∂node.

    One term per edge from ``node`` into a node that reads it, with the
    numbers filled in (``str()``: text, ``.latex()``, ``.html()``: MathML).

    >>> from autograd import Value
    >>> a = Value(3.0, label="a"); b = a + a; b.label = "b"
    >>> print(derivation(a, b, precision=1))
    δ(a) = δ(b)·∂b/∂a (input 1) + δ(b)·∂b/∂a (input 2) = 1.0·1.0 + 1.0·1.0 = 2.0
    """
    if not isinstance(node, Value) or not isinstance(root, Value):
        raise TypeError(
            f"derivation: node and root must be Values, got {type(node).__name__} and {type(root).__name__}"
        )
    everything = derivations(root, gradient, precision)
    if node not in everything:
        raise ValueError(f"derivation: {node!r} is not in the graph of {root!r} (root does not depend on it)")
    return everything[node]
