"""A Value graph as Graphviz DOT source: every node's data and δ, each op its own node.

Pure: this module builds a :class:`~viz.graph.Graph` (a ``graphviz.Digraph``)
and never runs the ``dot`` program, so the DOT source can be built and tested
without Graphviz installed. Rendering lives in :mod:`viz.render`.

Every piece of text that reaches the DOT source goes through
:func:`escape_label`: labels are Graphviz *HTML-like* labels, where only that
one function decides how ``<``, ``&``, quotes, backslashes, newlines and
control characters are written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from autograd import OPS, Constant, Value, local_grads, op_of
from autograd.value import walk
from nn import ACTIVATIONS, Layer, Module, Parameter

from .graph import Graph

__all__ = [
    "draw_graph",
    "escape_label",
    "format_number",
    "label_markup",
    "node_kind",
    "node_name",
    "op_node_name",
    "STYLES",
    "DEFAULT_MAX_NODES",
]

DEFAULT_MAX_NODES = 150
"""Above this many drawn nodes (values plus ops), whole neurons collapse into summary nodes."""

FONT = "Helvetica,Arial,sans-serif"
Group = Literal["auto", "none"] | bool
Kind = Literal["parameter", "input", "constant", "computed", "output", "op", "neuron", "layer"]


# ---------------------------------------------------------------------------- text
# Graphviz expands escString sequences (\N, \G, \E, \L, ...) even in HTML-like labels, after decoding entities,
# and reads a doubled backslash as one: so each backslash is written twice.
_ENTITIES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "]": "&#93;", "\\": "&#92;&#92;", "\t": " "}
)
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_label(text: str) -> str:
    r"""``text`` as a fragment of a Graphviz HTML-like label, shown literally.

    The only place viz escapes text. ``& < > " ]`` become entities (Graphviz's
    label parser rejects a bare ``]`` next to markup), a
    backslash is doubled (Graphviz would otherwise expand ``\N``, ``\G``...
    into node and graph names), a newline becomes ``<BR/>``, and characters
    that XML (hence HTML-like labels and SVG) cannot carry, such as control
    characters, are written visibly as ``\xNN``. Non-ASCII text (δ, ŷ) passes
    through as UTF-8.

    >>> escape_label('a<b> & "c"\\N')
    'a&lt;b&gt; &amp; &quot;c&quot;&#92;&#92;N'
    >>> escape_label("two\nlines\x01")
    'two<BR/>lines&#92;&#92;x01'
    """
    text = _UNPRINTABLE.sub(_visible, str(text).replace("\r\n", "\n").replace("\r", "\n"))
    return "<BR/>".join(line.translate(_ENTITIES) for line in text.split("\n"))


_MATH_LABEL = re.compile(r"(?P<base>[^\W_]+)(?:\^(?P<sup>\[[^\[\]]*\]|[^\W_]+))?(?:_(?P<sub>[^\W_]+))?")


def label_markup(text: str) -> str:
    """A node label as HTML-like label markup: slide-style names get super- and subscripts.

    ``z^[2]_1`` is drawn as z with superscript [2] and subscript 1 (the
    lecture's notation); any other text is shown literally via :func:`escape_label`.

    >>> label_markup("w^[1]_12")
    'w<SUP>[1&#93;</SUP><SUB>12</SUB>'
    >>> label_markup("x1 < 2")
    'x1 &lt; 2'
    """
    m = _MATH_LABEL.fullmatch(text)
    if m is None or (m["sup"] is None and m["sub"] is None):
        return escape_label(text)
    sup = f"<SUP>{escape_label(m['sup'])}</SUP>" if m["sup"] else ""
    sub = f"<SUB>{escape_label(m['sub'])}</SUB>" if m["sub"] else ""
    return escape_label(m["base"]) + sup + sub


def format_number(x: float, precision: int = 4) -> str:
    """``x`` with ``precision`` decimals, or in scientific notation when that would hide it.

    >>> format_number(0.70710678), format_number(-0.0), format_number(1.5e-7), format_number(3e9)
    ('0.7071', '0.0000', '1.500e-07', '3.000e+09')
    """
    x = float(x) + 0.0  # turns -0.0 into 0.0
    if x != 0.0 and math.isfinite(x) and not 10.0**-precision <= abs(x) < 1e6:
        return f"{x:.{max(precision - 1, 0)}e}"
    return f"{x:.{precision}f}"


# ---------------------------------------------------------------------------- styles
@dataclass(frozen=True)
class Style:
    """How one kind of node is drawn, and what the legend says about it."""

    shape: str
    style: str
    fillcolor: str
    color: str
    description: str
    peripheries: int = 1
    penwidth: float = 1.0


STYLES: dict[str, Style] = {
    "parameter": Style("box", "filled", "#fde0b4", "#a35a00", "parameter (nn.Parameter)", peripheries=2),
    "input": Style("box", "rounded,filled", "#d4e6fa", "#1f5f99", "input (leaf Value)"),
    "constant": Style("box", "rounded,dashed,filled", "#eeeeee", "#6e6e6e", "constant (a number)"),
    "computed": Style("box", "filled", "#ffffff", "#404040", "computed value"),
    "output": Style("box", "filled", "#dcf0d8", "#2e7d32", "output (root)", penwidth=2.0),
    "op": Style("ellipse", "filled", "#fff6c8", "#8a7300", "operation"),
    "neuron": Style("box3d", "filled", "#e8def8", "#5e35b1", "collapsed neuron"),
    "layer": Style("box3d", "filled", "#d9cff0", "#4527a0", "collapsed layer"),
}
_HIGHLIGHT = "#d32f2f"
_HIGHLIGHT_FILL = "#ffd7d4"
_UNKNOWN = "#9e9e9e"


def node_kind(v: Value) -> Kind:
    """``"parameter"``, ``"constant"``, ``"input"`` (other leaves) or ``"computed"``."""
    if v.inputs:
        return "computed"
    if isinstance(v, Parameter):
        return "parameter"
    if isinstance(v, Constant):
        return "constant"
    return "input"


def node_name(v: Value) -> str:
    """The DOT name of ``v``'s node in :func:`draw_graph`'s source (and the key of a lab's ``node_deltas``)."""
    return f"v{v._id}"


def op_node_name(v: Value) -> str:
    """The DOT name of the op node drawn between ``v``'s inputs and ``v`` (``v`` must be computed)."""
    return f"o{v._id}"


# ---------------------------------------------------------------------------- nn structure
LayerNumbering = Literal["slides", "index"]


def _position(module: Module) -> int:
    """Where ``module`` sits among its parent's sub-modules (0 for the outermost)."""
    parent = module.parent
    if parent is None:
        return 0
    return next((i for i, (_, m) in enumerate(parent.named_children()) if m is module), 0)


@dataclass
class _Structure:
    """Which nodes belong to which neuron, read from ``Parameter.owner`` and ``Module.parent``.

    A neuron is the module owning every parameter of a ``dot`` node; its layer
    is that module's parent (None for a bare neuron). z is the dot node and a
    its activation, one pair per application of the neuron to an input.
    """

    unit: dict[Value, Module]  # parameter, z or a -> its neuron
    app: dict[Value, Value]  # z or a -> z (one application of a neuron to one input)
    out: dict[Value, Value]  # z -> a, or z itself for a linear neuron
    numbering: LayerNumbering = "slides"
    paths: dict[int, str] = field(default_factory=dict)

    @classmethod
    def of(cls, forward: list[Value], numbering: LayerNumbering) -> _Structure:
        unit: dict[Value, Module] = {}
        consumers: dict[Value, int] = {}
        for v in forward:
            if isinstance(v, Parameter) and v.owner is not None:
                unit[v] = v.owner
            for x in v.inputs:
                consumers[x] = consumers.get(x, 0) + 1
        app, out = {}, {}
        for v in forward:
            if v.op == "dot":
                owners = {id(unit[x]): unit[x] for x in v.inputs if isinstance(x, Parameter) and x in unit}
                if len(owners) == 1:
                    (unit[v],) = owners.values()
                    app[v] = out[v] = v
            elif v.op in ACTIVATIONS and v.op in OPS and len(v.inputs) == 1:  # an nn activation that records an op
                z = v.inputs[0]
                if app.get(z) is z and out[z] is z and consumers.get(z) == 1:
                    unit[v], app[v], out[z] = unit[z], z, v
        return cls(unit, app, out, numbering)

    @staticmethod
    def layer(neuron: Module) -> Module | None:
        return neuron.parent

    def slug(self, module: Module) -> str:
        """``module``'s dotted path from the outermost module, as a DOT name fragment (``layers_0_neurons_1``)."""
        if id(module) not in self.paths:
            root = module
            while root.parent is not None:
                root = root.parent
            self.paths.update((id(m), re.sub(r"\W", "_", path) or "root") for path, m in root.named_modules())
        return self.paths[id(module)]

    def layer_title(self, layer: Module) -> str:
        """The slides' numbering (the input is layer 1: first Layer is "layer 2: W^[1], b^[1]") or model.layers[k]."""
        k = _position(layer)
        if self.numbering == "index":
            return escape_label(f"layer {k}")
        w = layer.layer if isinstance(layer, Layer) else k + 1
        return f"layer {w + 1}: {label_markup(f'W^[{w}]')}, {label_markup(f'b^[{w}]')}"

    def neuron_title(self, neuron: Module) -> str:
        i = _position(neuron)
        return escape_label(f"neuron {i if self.numbering == 'index' else i + 1}")


# ---------------------------------------------------------------------------- drawing
_Placed = tuple[str, str, str, dict[str, str], bool]  # name, kind, label, attributes, highlighted


@dataclass(frozen=True)
class _Options:
    rankdir: str
    show_local_grads: bool
    group: bool
    max_nodes: int | None
    precision: int
    legend: bool
    layer_numbering: LayerNumbering = "slides"


def _roots(root: Value | Iterable[Value]) -> list[Value]:
    roots = [root] if isinstance(root, Value) else list(root) if isinstance(root, Iterable) else None
    if not roots or not all(isinstance(r, Value) for r in roots):
        raise TypeError(f"draw_graph: expected a Value or a non-empty list of Values, got {type(root).__name__}")
    return roots


def _group_option(group: Group) -> bool:
    if group in ("auto", True):
        return True
    if group in ("none", False, None):
        return False
    raise ValueError(f"draw_graph: group must be 'auto' or 'none', got {group!r}")


class _Drawing:
    """Builds one Graph. ``deltas`` (optional) replaces each node's shown δ; missing or None shows '?'."""

    def __init__(
        self,
        roots: list[Value],
        options: _Options,
        deltas: Mapping[Value, float | None] | None = None,
        highlight: Value | None = None,
        highlight_edges: frozenset[tuple[Value, Value]] = frozenset(),
        final: Mapping[Value, float] | None = None,
    ) -> None:
        self.roots = set(roots)
        self.o = options
        self.deltas = deltas
        self.final = final  # when given, each δ cell is sized for its final text, so frames keep one layout
        self.highlight = highlight
        self.highlight_edges = highlight_edges
        self.forward = walk(roots)[::-1]
        self.structure = _Structure.of(self.forward if options.group else [], options.layer_numbering)
        self.consumers: dict[Value, list[Value]] = {}
        for v in self.forward:
            for x in v.inputs:
                self.consumers.setdefault(x, []).append(v)
        self.kinds_used: set[str] = set()
        self.unit = self._plan()
        self.summary_names: dict[Hashable, str] = {}
        for v in self.forward:
            if v in self.unit:
                self.summary_names.setdefault(self.unit[v], f"s{len(self.summary_names)}")

    # ------------------------------------------------------------- collapsing
    def _plan(self) -> dict[Value, Hashable]:
        """Each collapsed node -> its summary key; nodes drawn as themselves are absent.

        Tries no collapsing, then whole neurons, then whole layers, and keeps
        the first plan that fits in ``max_nodes`` (or the most collapsed one).
        """
        plans: list[dict[Value, Hashable]] = [{}]
        s = self.structure
        if s.app:
            plans.append({v: ("neuron", z) for v, z in s.app.items()})
            layers: dict[Value, Hashable] = {}
            for v, z in s.app.items():
                layer = s.unit[z].parent
                layer_input = tuple(
                    x for x in z.inputs if x not in s.unit or not isinstance(x, Parameter)
                )  # one application
                layers[v] = ("neuron", z) if layer is None else ("layer", layer, layer_input)
            plans.append(layers)
        limit = self.o.max_nodes
        return next((p for p in plans if limit is None or self._count(p) <= limit), plans[-1])

    def _hidden(self, x: Value, plan: Mapping[Value, Hashable]) -> bool:
        """A parameter whose every consumer is collapsed into a summary node is not drawn."""
        if x.inputs or x in self.roots or x not in self.structure.unit:
            return False
        consumers = self.consumers.get(x, ())
        return bool(consumers) and all(c in plan for c in consumers)

    def _count(self, plan: Mapping[Value, Hashable]) -> int:
        drawn = sum(1 + bool(v.inputs) for v in self.forward if v not in plan and not self._hidden(v, plan))
        return drawn + len(set(plan.values()))

    def _name(self, x: Value) -> str:
        return self.summary_names[self.unit[x]] if x in self.unit else node_name(x)

    # ------------------------------------------------------------- text
    def _delta_text(self, v: Value) -> tuple[str, bool]:
        if self.deltas is None:
            return format_number(v.grad, self.o.precision), True
        d = self.deltas.get(v)
        return ("?", False) if d is None else (format_number(d, self.o.precision), True)

    def _value_label(self, v: Value, title: str | None = None) -> str:
        cells = []
        if title is not None:
            cells.append(f"<B>{title}</B>")
        elif v.label:
            cells.append(f"<B>{label_markup(v.label)}</B>")
        cells.append(f"data {escape_label(format_number(v.data, self.o.precision))}")
        cells = [f"<TD>{c}</TD>" for c in cells]
        delta, known = self._delta_text(v)
        text = f"δ {escape_label(delta)}" if known else f'<FONT COLOR="{_UNKNOWN}">δ {escape_label(delta)}</FONT>'
        if self.final is not None and v in self.final:
            longest = max(len(delta), len(format_number(self.final[v], self.o.precision))) + 2
            cells.append(f'<TD FIXEDSIZE="TRUE" WIDTH="{round(6.2 * longest + 8)}" HEIGHT="17">{text}</TD>')
        else:
            cells.append(f"<TD>{text}</TD>")
        if self.o.rankdir in ("TB", "BT"):
            rows = "".join(f"<TR>{c}</TR>" for c in cells)
            return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" ROWS="*">{rows}</TABLE>>'
        row = "".join(cells)
        return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" COLUMNS="*"><TR>{row}</TR></TABLE>>'

    @staticmethod
    def _op_text(v: Value) -> str:
        symbol = op_of(v).symbol
        if v.op == "powc":
            return f"{symbol}{v.param:g}"
        if isinstance(v.param, float):
            return f"{symbol}({v.param:g})"
        return symbol

    def _local_grads(self, v: Value) -> tuple[str, ...]:
        try:
            return tuple(format_number(d, self.o.precision) for d in local_grads(v))
        except (ArithmeticError, ValueError):
            return ("undefined",) * len(v.inputs)

    # ------------------------------------------------------------- emitting
    def _node(self, g: Graph, name: str, kind: str, label: str, highlighted: bool = False, **extra: str) -> None:
        s = STYLES[kind]
        self.kinds_used.add(kind)
        attrs = {
            "shape": s.shape,
            "style": s.style,
            "fillcolor": _HIGHLIGHT_FILL if highlighted else s.fillcolor,
            "color": _HIGHLIGHT if highlighted else s.color,
            "class": f"{kind} highlight" if highlighted else kind,
        }
        if highlighted or s.penwidth != 1.0:
            attrs["penwidth"] = str(3.0 if highlighted else s.penwidth)
        if s.peripheries != 1:
            attrs["peripheries"] = str(s.peripheries)
        g.node(name, label, **{**attrs, **extra})

    @staticmethod
    def _edge(g: Graph, tail: str, head: str, highlighted: bool = False, **extra: str) -> None:
        if highlighted:
            extra.update(color=_HIGHLIGHT, penwidth="2.5", fontcolor=_HIGHLIGHT)
        g.edge(tail, head, **extra)

    def build(self) -> Graph:
        o = self.o
        g = Graph(name="deltagrad", graph_attr={"rankdir": o.rankdir, "fontname": FONT, "nodesep": "0.25"})
        g.attr("node", fontname=FONT, fontsize="11", margin="0.06,0.03")
        g.attr("edge", fontname=FONT, fontsize="9", arrowsize="0.6")
        self._emit_nodes(g, self._placed_nodes())
        self._emit_edges(g)
        if o.legend:
            self._legend(g)
        return g

    def _placed_nodes(self) -> dict[tuple[Module | None, Module | None], list[_Placed]]:
        """The nodes to draw, by (layer cluster, neuron cluster); None means outside any cluster."""
        s, unit = self.structure, self.unit
        place: dict[tuple[Module | None, Module | None], list] = {}

        def put(neuron: Module | None, in_neuron: bool, *node: object) -> None:
            layer = None if neuron is None else neuron.parent
            place.setdefault((layer, neuron if in_neuron else None), []).append(node)

        outputs: dict[Hashable, Value] = {}
        for v in self.forward:
            if v in unit:
                outputs[unit[v]] = v  # the last node of a summary (forward order) is its output
            elif not self._hidden(v, unit):
                neuron = s.unit.get(v)
                if v.inputs:
                    text = f"<{escape_label(self._op_text(v))}>"
                    put(neuron, True, op_node_name(v), "op", text, {"tooltip": escape_label(op_of(v).doc)}, False)
                kind = "output" if v in self.roots and v.inputs else node_kind(v)
                put(neuron, True, node_name(v), kind, self._value_label(v), {}, v is self.highlight)
        for key, out in outputs.items():
            neuron = s.unit[out]
            summary = cast(tuple[Any, ...], key)  # _plan's keys: ("neuron", z) or ("layer", layer, its inputs)
            if summary[0] == "neuron":
                title = label_markup(out.label) if out.label else s.neuron_title(neuron)
                put(neuron, False, self.summary_names[key], "neuron", self._value_label(out, title), {}, False)
            else:
                size = len({s.app[v] for v, k in unit.items() if k == key})
                title = f"{s.layer_title(summary[1])}<BR/>{size} neuron{'s' if size > 1 else ''}"
                label = self._value_label(out, title) if size == 1 else f"<{title}>"  # one a per neuron: no single δ
                put(None, False, self.summary_names[key], "layer", label, {}, False)
        return place

    def _emit_nodes(self, g: Graph, place: dict[tuple[Module | None, Module | None], list]) -> None:
        s = self.structure
        by_layer: dict[Module | None, list[Module | None]] = {}
        for layer, neuron in place:
            by_layer.setdefault(layer, []).append(neuron)
        for layer, neurons in by_layer.items():
            outer = g if layer is None else Graph(name=f"cluster_layer_{s.slug(layer)}")
            if layer is not None:
                outer.attr(label=f"<{s.layer_title(layer)}>", style="rounded,dashed", color="#7e57c2")
                outer.attr(fontname=FONT, fontsize="12", labeljust="l")
            for neuron in neurons:
                inner = outer if neuron is None else Graph(name=f"cluster_neuron_{s.slug(neuron)}")
                if neuron is not None:
                    inner.attr(label=f"<{s.neuron_title(neuron)}>", style="rounded,filled", color="#b39ddb")
                    inner.attr(fillcolor="#f7f3fd", fontname=FONT, fontsize="10", labeljust="l")
                for name, kind, label, extra, highlighted in place[(layer, neuron)]:
                    self._node(inner, name, kind, label, highlighted, **extra)
                if inner is not outer:
                    outer.subgraph(inner)
            if outer is not g:
                g.subgraph(outer)

    def _emit_edges(self, g: Graph) -> None:
        unit, seen = self.unit, set()
        for v in self.forward:
            if not v.inputs:
                continue
            if v in unit:  # inside a summary: one edge per distinct outside source
                head = self._name(v)
                for x in v.inputs:
                    tail = self._name(x)
                    if tail != head and not self._hidden(x, unit) and (tail, head) not in seen:
                        seen.add((tail, head))
                        self._edge(g, tail, head)
                continue
            grads = self._local_grads(v) if self.o.show_local_grads else ()
            lit = [(x, v) in self.highlight_edges for x in v.inputs]
            for i, x in enumerate(v.inputs):
                label = {"label": f"<∂={escape_label(grads[i])}>"} if grads else {}
                self._edge(g, self._name(x), op_node_name(v), lit[i], **label)
            self._edge(g, op_node_name(v), node_name(v), any(lit))

    def _legend(self, g: Graph) -> None:
        order = ["parameter", "input", "constant", "computed", "output", "op", "neuron", "layer"]
        kinds = [k for k in order if k in self.kinds_used]
        legend = Graph(name="cluster_legend")
        legend.attr(label="legend", fontname=FONT, fontsize="10", style="rounded", color="#bdbdbd")
        names = []
        for kind in kinds:
            text = f"<{escape_label(STYLES[kind].description)}>"
            self._node(legend, f"legend_{kind}", kind, text, False, fontsize="9", **{"class": f"legend {kind}"})
            names.append(f"legend_{kind}")
        if self.o.show_local_grads:
            note = f"<{escape_label('edge label ∂ = local derivative ∂out/∂in')}>"
            legend.node("legend_edge", note, shape="plaintext", fontsize="9", **{"class": "legend edge"})
            names.append("legend_edge")
        for a, b in zip(names, names[2:]):  # two lines of entries
            legend.edge(a, b, style="invis")
        g.subgraph(legend)


def draw_graph(
    root: Value | Iterable[Value],
    rankdir: str = "LR",
    show_local_grads: bool = False,
    group: Group = "auto",
    max_nodes: int | None = DEFAULT_MAX_NODES,
    precision: int = 4,
    legend: bool = True,
    layer_numbering: LayerNumbering = "slides",
) -> Graph:
    """The computational graph of ``root`` as a :class:`~viz.graph.Graph` (a ``graphviz.Digraph``).

    Each value is a box showing its label (when set), its data and its δ
    (``.grad``, the derivative of the output with respect to it); each
    operation is a small ellipse between its inputs and its result. Parameters,
    inputs, constants and the output are told apart by shape and colour (see
    the legend). With ``show_local_grads`` every input edge carries the local
    derivative ∂out/∂in, so the chain rule δ_in += δ_out · ∂out/∂in can be read
    off the picture.

    Graphs of ``nn`` models (``nn.Parameter`` names such as
    ``layers.0.neurons.1.w.0``) are grouped into neuron clusters inside layer
    clusters (``group="auto"``; ``"none"`` turns that off). When more than
    ``max_nodes`` nodes would be drawn, each neuron collapses into one summary
    node, and if that is still too many, each layer does.

    In Jupyter the result displays as SVG; ``viz.save(graph, "g.svg")`` (or
    ``.png``/``.pdf``, or ``graph.save_as(path)``) writes a file, and
    ``graph.source`` is the DOT text.

    >>> from autograd import Value
    >>> x = Value(2.0, label="x"); y = (x * x).tanh(); y.backward()
    >>> g = draw_graph(y, legend=False)
    >>> g.source.count("->"), "data 2.0000" in g.source  # x→*, x→*, *→x², x²→tanh, tanh→y
    (5, True)
    """
    if not isinstance(precision, int) or not 0 <= precision <= 17:
        raise ValueError(f"draw_graph: precision must be an int between 0 and 17, got {precision!r}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_graph: rankdir must be one of 'LR', 'RL', 'TB', 'BT', got {rankdir!r}")
    if max_nodes is not None and (not isinstance(max_nodes, int) or max_nodes < 1):
        raise ValueError(f"draw_graph: max_nodes must be a positive int or None, got {max_nodes!r}")
    if layer_numbering not in ("slides", "index"):
        raise ValueError(f"draw_graph: layer_numbering must be 'slides' or 'index', got {layer_numbering!r}")
    options = _Options(
        rankdir, bool(show_local_grads), _group_option(group), max_nodes, precision, bool(legend), layer_numbering
    )
    return _Drawing(_roots(root), options).build()
