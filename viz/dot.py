"""A Value graph as Graphviz DOT source: every node's data and δ, each op its own node.

Pure: this module builds a :class:`~viz.graph.Graph` (a ``graphviz.Digraph``)
and never runs the ``dot`` program, so the DOT source can be built and tested
without Graphviz installed. Rendering lives in :mod:`viz.render`.

Every piece of text that reaches the DOT source goes through
:func:`viz.text.escape_label`: labels are Graphviz *HTML-like* labels, where only that
one function decides how ``<``, ``&``, quotes, backslashes, newlines and
control characters are written. Each node also gets its LaTeX text (kept on the
Graph, not in the source) for :mod:`viz.tikz`.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast

import graphviz

from autograd import OPS, Constant, Value, assigned_symbol, local_grads, op_of
from autograd.value import walk
from nn import ACTIVATIONS, Layer, Module, Parameter

from .derivation import derivations
from .graph import Graph
from .layout import DEFAULT_WIDTH, choose, layout
from .lowered import draw_lowered, is_lowered
from .names import derivative_node_name, edge_name, layer_cluster_name, node_name, op_node_name
from .options import (
    DEFAULT_MAX_NODES,
    DrawOptions,
    Group,
    LayerNumbering,
    Layout,
    Rankdir,
    check_options,
    group_flag,
    layout_candidates,
    roots_of,
    unmeasured_layout,
)
from .styles import FONT, STYLES
from .text import (
    escape_label,
    escaped_tooltip,
    format_number,
    label_markup,
    shorten,
    tex_escape,
    tex_markup,
    unicode_markup,
)

__all__ = [
    "draw_graph",
    "escape_label",
    "format_number",
    "label_markup",
    "node_kind",
    "node_name",
    "op_node_name",
    "derivative_node_name",
    "STYLES",
    "DEFAULT_MAX_NODES",
    "LayerNumbering",
    "Drawing",
    "in_reading_order",
]

DERIVATION_LIMIT = 1500
"""Graphs up to this many nodes get each value's δ derivation as its tooltip (one replayed backward pass)."""
_TIGHT = {"fontsize": "10", "width": "0", "height": "0", "margin": "0.02,0.01"}  # a ∂ label's box hugs its text,
# so its edges reach the text instead of stopping in mid-air
_BLOCK_MARGIN = {"margin": "0.18,0.08"}  # a block's lines of figures clear its 3-D edge (box3d) in the browser
_ROUGH_WIDTH = {"op": 54.0, "derivative": 50.0}  # points; a value's stacked box is about 80 (wrapping's estimate)
Kind = Literal["parameter", "input", "constant", "computed", "output", "op", "neuron", "layer"]


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


# ---------------------------------------------------------------------------- nn structure
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

    def path(self, module: Module) -> str:
        """``module``'s dotted path from the outermost module (``layers.0.neurons.1``)."""
        if id(module) not in self.paths:
            root = module
            while root.parent is not None:
                root = root.parent
            self.paths.update((id(m), path) for path, m in root.named_modules())
        return self.paths[id(module)]

    def slug(self, module: Module) -> str:
        """``module``'s dotted path as a DOT name fragment (``layers_0_neurons_1``)."""
        return re.sub(r"\W", "_", self.path(module)) or "root"

    def layer_title(self, layer: Module) -> str:
        """The slides' numbering (the input is layer 1: first Layer is "layer 2: W^[1], b^[1]") or model.layers[k]."""
        k = _position(layer)
        if self.numbering == "index":
            return f"layer {k}"
        w = layer.layer if isinstance(layer, Layer) else k + 1
        return f"layer {w + 1}: W^[{w}], b^[{w}]"

    def neuron_title(self, neuron: Module) -> str:
        """neuron 1..n (slides) or 0..n-1 (index), as in ``layer.neurons[i]``."""
        i = _position(neuron)
        return f"neuron {i if self.numbering == 'index' else i + 1}"


# ---------------------------------------------------------------------------- drawing
_Placed = tuple[str, str, str, str, dict[str, str], bool]  # name, kind, label, LaTeX, attributes, highlighted
_Place = dict[tuple[Module | None, Module | None], list[_Placed]]  # the nodes by (layer, neuron) cluster
_Edge = tuple[str, str, dict[str, str]]  # tail, head, attributes


class Drawing:
    """Builds the Graph of ``roots`` with ``options``: :func:`draw_graph`, every backward frame and the lab use it.

    ``deltas`` (optional) replaces each node's shown δ (missing or None shows
    '?'); ``highlight`` and ``highlight_edges`` mark the node and edges of a
    backward step; ``final`` (each node's last δ) sizes every δ cell for its
    final text, so frames of one pass keep one layout. ``blocks`` (optional)
    draws the values it maps to a block's DOT name as that one node, labelled
    ``block_labels[name]`` (lines of text), instead of collapsing by
    ``max_nodes``: the lab's layer view (:mod:`viz.layer_view`), where one
    edge joins two blocks however many values connect them. :meth:`build`
    returns the Graph.
    """

    recorded: tuple[dict[str, tuple[str, dict[str, str]]], list[_Edge]]  # while set: every node and edge drawn

    def __init__(
        self,
        roots: list[Value],
        options: DrawOptions,
        deltas: Mapping[Value, float | None] | None = None,
        highlight: Value | None = None,
        highlight_edges: frozenset[tuple[Value, Value]] = frozenset(),
        final: Mapping[Value, float] | None = None,
        blocks: Mapping[Value, str] | None = None,
        block_labels: Mapping[str, str] | None = None,
    ) -> None:
        self.roots = set(roots)
        self.o = options
        self.blocks, self.block_labels = blocks, block_labels or {}
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
        self.derivations = self._derivations()
        self.summary_names: dict[Hashable, str] = {}
        for v in self.forward:
            if v in self.unit:
                key = self.unit[v]
                self.summary_names.setdefault(key, _block_name(key) or f"s{len(self.summary_names)}")

    def _derivations(self) -> dict[Value, str]:
        """Each drawn value's δ written out (a tooltip), where the δ shown is the one backward from the root gives."""
        if len(self.roots) != 1 or len(self.forward) > DERIVATION_LIMIT:
            return {}
        (root,) = self.roots
        try:
            found = derivations(root, precision=self.o.precision)
        except (ArithmeticError, ValueError):  # a local derivative undefined where δ is needed: no tooltips
            return {}
        out = {}
        for v, d in found.items():
            # a backward frame's tooltips explain the final δ, so every frame has the same ones (one layout)
            shown = v.grad if self.deltas is None else (self.final or self.deltas).get(v)
            if shown is not None and math.isclose(shown, d.delta, rel_tol=1e-9, abs_tol=1e-12):
                out[v] = unicode_markup(d.text())
        return out

    # ------------------------------------------------------------- collapsing
    def _plan(self) -> dict[Value, Hashable]:
        """Each collapsed node -> its summary key; nodes drawn as themselves are absent.

        Tries no collapsing, then whole neurons, then whole layers, and keeps
        the first plan that fits in ``max_nodes`` (or the most collapsed one);
        with ``blocks``, those are the plan.
        """
        if self.blocks is not None:
            return {v: ("block", name) for v, name in self.blocks.items()}
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

    def _value_label(self, v: Value, title: str | None = None) -> tuple[str, str]:
        """The HTML-like label and the LaTeX text of a value's box: its name (``title`` or label), data and δ."""
        html_cells, tex_cells = [], []
        name = title if title is not None else shorten(v.label) if v.label else None
        if name is not None:
            html_cells.append(f"<B>{label_markup(name)}</B>")
            tex_cells.append(rf"\textbf{{{tex_markup(name)}}}")
        data = format_number(v.data, self.o.precision)
        html_cells.append(f"data {escape_label(data)}")
        tex_cells.append(f"data {tex_escape(data)}")
        delta, known = self._delta_text(v)
        text = f"δ {escape_label(delta)}" if known else f'<FONT COLOR="{_UNKNOWN}">δ {escape_label(delta)}</FONT>'
        tex_cells.append(f"$\\delta$ {tex_escape(delta)}")
        cells = [f"<TD>{c}</TD>" for c in html_cells]
        if self.final is not None and v in self.final:
            longest = max(len(delta), len(format_number(self.final[v], self.o.precision))) + 2
            cells.append(f'<TD FIXEDSIZE="TRUE" WIDTH="{round(6.2 * longest + 8)}" HEIGHT="17">{text}</TD>')
        else:
            cells.append(f"<TD>{text}</TD>")
        table = '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2"'
        if self.o.rows:
            rows = "".join(f"<TR>{c}</TR>" for c in cells)
            return f'{table} ROWS="*">{rows}</TABLE>>', r" \\ ".join(tex_cells)
        row = "".join(cells)
        return f'{table} COLUMNS="*"><TR>{row}</TR></TABLE>>', r" \enspace{}\vrule{}\enspace{} ".join(tex_cells)

    @staticmethod
    def _op_text(v: Value) -> str:
        assigned = assigned_symbol(v)  # micrograd's habit: `out._op = "ReLU"` names the op in the picture
        if assigned is not None:
            return assigned
        if v.op == "dot":  # a neuron's pre-activation in one node: inputs w1..wn, x1..xn (then b); param is n
            return "Σ wx + b" if len(v.inputs) == 2 * v.param + 1 else "Σ wx"
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
    def _node(
        self, g: Graph, name: str, kind: str, label: str, tex: str, highlighted: bool = False, **extra: str
    ) -> None:
        s = STYLES[kind]
        self.tex[name] = tex
        self.kinds_used.add(kind)
        attrs = {
            "shape": s.shape,
            "style": s.style,
            "fillcolor": _HIGHLIGHT_FILL if highlighted else s.fillcolor,
            "color": _HIGHLIGHT if highlighted else s.color,
            "class": (f"{kind} lit" if kind == "derivative" else f"{kind} highlight") if highlighted else kind,
        }
        if highlighted or s.penwidth != 1.0:
            attrs["penwidth"] = str(3.0 if highlighted else s.penwidth)
        if s.peripheries != 1:
            attrs["peripheries"] = str(s.peripheries)
        if hasattr(self, "recorded"):
            self.recorded[0][name] = (label, {**attrs, **extra})
        g.node(name, label, **{**attrs, **extra})

    def _edge(self, g: Graph, tail: str, head: str, highlighted: bool = False, **extra: str) -> None:
        if highlighted:
            extra.update(color=_HIGHLIGHT, penwidth="2.5", fontcolor=_HIGHLIGHT)
        if hasattr(self, "recorded"):
            self.recorded[1].append((tail, head, extra))
        g.edge(tail, head, **extra)

    def _rows(self, place: _Place, edges: list[_Edge]) -> dict[str, int] | None:
        """Each node's row (0, 1, ...) when the picture wraps into ``bands`` rows; None when it cannot.

        As text wraps: each row is a run of consecutive ranks. Ranks are longest
        paths from the inputs, each leaf and each ∂ pulled next to its first
        consumer. A row breaks near an even share of the width, where the fewest
        edges cross (an edge out of an op or a ∂ almost never: only values are
        drawn again), and never inside a cluster (a layer, the inputs' column).
        """
        kinds = {node[0]: node[1] for nodes in place.values() for node in nodes}
        level: dict[str, int] = dict.fromkeys(kinds, 0)
        consumers: dict[str, list[str]] = {}
        waiting = dict.fromkeys(kinds, 0)
        for tail, head, _ in edges:
            consumers.setdefault(tail, []).append(head)
            waiting[head] += 1
        ready = [name for name, n in waiting.items() if n == 0]
        sources = set(ready)
        while ready:  # Kahn's order: a node's level is final when its last input is done
            name = ready.pop()
            for head in consumers.get(name, ()):
                level[head] = max(level[head], level[name] + 1)
                waiting[head] -= 1
                if waiting[head] == 0:
                    ready.append(head)
        for name, kind in kinds.items():  # a ∂ sits on its edge, next to its op (a constant's is far from its leaf)
            if kind == "derivative":
                level[name] = level[consumers[name][0]] - 1
        for name in sources & set(consumers):  # leaves next to their first consumer
            level[name] = min(level[h] for h in consumers[name]) - 1
        top = max(level.values(), default=0)
        cut = [0] * (top + 2)  # cut[b]: edges from a level <= b to a level > b, those out of an op a lot more
        for tail, head, _ in edges:  # (a leaf just moves to its consumer's row)
            for b in range(level[tail] + (tail in sources), level[head]):
                cut[b] += 1000 if kinds[tail] in ("op", "derivative") else 1
        wide = [0.0] * (top + 1)  # each level's width (its widest node, roughly) and the gap after it
        for name, kind in kinds.items():
            wide[level[name]] = max(wide[level[name]], _ROUGH_WIDTH.get(kind, 80.0) + 22.0)
        until = list(itertools.accumulate(wide))  # until[b]: the width of levels 0..b
        row_of = {name: level[name] + (name in sources and name in consumers) for name in kinds}  # a leaf: its
        column = {node[0] for node in self._input_column(place)}  # consumer's level decides its row
        spans: dict[object, list[int]] = {}  # each cluster's levels
        for (layer, _), nodes in place.items():
            for name, *_ in nodes:
                group = layer if layer is not None else "inputs" if name in column else None
                if group is not None:
                    spans.setdefault(group, []).append(row_of[name])
        allowed = [b for b in range(top) if not any(min(ls) <= b < max(ls) for ls in spans.values())]
        bounds: list[int] = []
        for k in range(1, self.o.bands):
            share, slack = k * until[-1] / self.o.bands, until[-1] / (4 * self.o.bands)
            later = [b for b in allowed if not bounds or b > bounds[-1]]
            window = [b for b in later if abs(until[b] - share) <= slack]
            ideal = min(later, key=lambda b: abs(until[b] - share), default=None)
            if ideal is not None:
                bounds.append(min(window, key=lambda b: (cut[b], abs(until[b] - share)), default=ideal))
        band = {name: sum(row_of[name] > b for b in bounds) for name in kinds}
        used = sorted(set(band.values()))  # a break between levels where no node starts a row leaves it empty
        return {name: used.index(k) for name, k in band.items()} if len(used) > 1 else None

    def _fold(self, g: Graph, place: _Place) -> bool:
        """The picture wrapped into rows (:meth:`_rows`); False (nothing drawn) when it cannot wrap.

        Each row holds its part of ``place`` drawn as :meth:`_emit_nodes` draws
        it, so layers and neurons keep their clusters and their order. Each
        value an edge carries into a later row is drawn again (dashed, class
        ``continued``) at that row's start, so no edge runs back across the picture.
        """
        self.recorded = ({}, [])
        self._emit_edges(Graph())  # the edges, recorded
        edges = self.recorded[1]
        del self.recorded
        band = self._rows(place, edges)
        if band is None:
            return False
        rows = [Graph(name=f"cluster_row_{k}") for k in range(max(band.values()) + 1)]
        self.recorded = ({}, [])
        for k, row in enumerate(rows):
            row.attr(style="invis", margin="0")
            part = {key: [node for node in nodes if band[node[0]] == k] for key, nodes in place.items()}
            self._emit_nodes(row, {key: nodes for key, nodes in part.items() if nodes or key == (None, None)}, g)
        drawn = self.recorded[0]
        del self.recorded
        declared: set[tuple[str, int]] = set()  # (value, row) drawn again at that row's start
        if any(layer is not None for layer, _ in place):  # a network: the values carried into a row form one
            carried: dict[int, list[str]] = {}  # column in drawing order (a layer's a_1..a_n), like its inputs
            for tail, head, _ in edges:
                if band[tail] != band[head] and tail not in carried.setdefault(band[head], []):
                    carried[band[head]].append(tail)
            order = {name: i for i, name in enumerate(band)}
            for k, tails in ((k, sorted(t, key=order.__getitem__)) for k, t in carried.items() if len(t) > 1):
                column = Graph(name=f"cluster_row_{k}_carried")
                column.attr(style="invis")
                for tail in tails:
                    self._continued(column, tail, k, drawn[tail])
                    declared.add((tail, k))
                self._in_a_row(column, [f"{tail}_row{k}" for tail in tails])
                rows[k].subgraph(column)
        in_neuron = {node[0] for (_, neuron), nodes in place.items() if neuron is not None for node in nodes}
        for tail, head, extra in edges:
            k = band[head]
            if band[tail] == k:
                rows[k].edge(tail, head, **extra)
                continue
            if (tail, k) not in declared:
                declared.add((tail, k))
                self._continued(rows[k], tail, k, drawn[tail])
            before = {"minlen": "2"} if head in in_neuron else {}  # into a neuron: a rank before its parameters,
            rows[k].edge(f"{tail}_row{k}", head, **{**extra, **before})  # so the row starts with what it carries
        slots = dict(self.o.slots).get("rows", range(len(rows)))
        for k in slots:
            g.subgraph(rows[k])
        self.ordered_clusters["rows"] = [row.name for row in rows]
        return True

    def _continued(self, g: Graph, name: str, row: int, drawn: tuple[str, dict[str, str]]) -> None:
        """Value ``name`` (its label and attributes as ``drawn``) again, dashed, at the start of a later ``row``."""
        label, attrs = drawn
        more = {
            "class": f"{attrs.get('class', '')} continued",
            "style": ",".join(filter(None, [attrs.get("style", ""), "dashed"])),
            "tooltip": "continued from the row above",
        }
        g.node(f"{name}_row{row}", label, **{**attrs, **more})
        self.tex[f"{name}_row{row}"] = self.tex.get(name, "")

    def build(self) -> Graph:
        """The Graph: nodes in forward order, clusters (neurons 1..n in order), the legend."""
        o = self.o
        across = o.rankdir in ("TB", "BT")  # side by side nodes a little closer: notebook 02's loss graph fits 900 px
        attrs = {"rankdir": o.rankdir, "fontname": FONT, "nodesep": "0.08" if across else "0.12", "ranksep": "0.3"}
        attrs["remincross"] = "false"  # dot's last pass over the whole graph would undo the rows inside clusters
        g = Graph(name="deltagrad", graph_attr=attrs)
        g.attr("node", fontname=FONT, fontsize="11", margin="0.06,0.03")
        g.attr("edge", fontname=FONT, fontsize="10", arrowsize="0.6")
        self.tex: dict[str, str] = {}
        self.tex_clusters: dict[str, str] = {}
        self.tex_legend: list[tuple[str, str, str]] = []
        self.ordered_clusters: dict[str, list[str]] = {}
        place = self._placed_nodes()
        if o.bands == 1 or not self._fold(g, place):
            self._emit_nodes(g, place)
            self._emit_edges(g)
        if o.legend:
            self._legend(g)
        g.tex_labels, g.tex_cluster_titles, g.tex_legend = self.tex, self.tex_clusters, self.tex_legend
        g.ordered_clusters, g.options = self.ordered_clusters, o
        g.smallest_font_pt = 10.0 if "derivative" in self.kinds_used or o.legend else 11.0  # what _node and FONT use
        return g

    def _placed_nodes(self) -> _Place:
        """The nodes to draw, by (layer cluster, neuron cluster); None means outside any cluster."""
        s, unit = self.structure, self.unit
        place: dict[tuple[Module | None, Module | None], list] = {(None, None): []}  # inputs first: left, in order

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
                    op = self._op_text(v)
                    tooltip = {"tooltip": escape_label(op_of(v).doc)}
                    put(neuron, True, op_node_name(v), "op", f"<{escape_label(op)}>", tex_escape(op), tooltip, False)
                    if self.o.show_local_grads:  # each ∂ is a small node on its edge: it cannot drift away from it
                        lit = [(x, v) in self.highlight_edges for x in v.inputs]
                        for i, d in enumerate(self._local_grads(v)):
                            label, tex = f"<∂={escape_label(d)}>", f"$\\partial$={tex_escape(d)}"
                            put(
                                neuron,
                                True,
                                derivative_node_name(v, i),
                                "derivative",
                                label,
                                tex,
                                _TIGHT,
                                lit[i],
                            )
                kind = "output" if v in self.roots and v.inputs else node_kind(v)
                cut = v.label and shorten(v.label) != v.label  # the whole name in the tooltip, up to Graphviz's limit
                lines = ([v.label] if cut else []) + ([self.derivations[v]] if v in self.derivations else [])
                tooltip = {"tooltip": escaped_tooltip(": ".join(lines))} if lines else {}
                put(neuron, True, node_name(v), kind, *self._value_label(v), tooltip, v is self.highlight)
        for key, out in outputs.items():
            name = self.summary_names[key]
            if _block_name(key):
                title = self.block_labels.get(name, name)
                put(None, False, name, "layer", f"<{label_markup(title)}>", tex_markup(title), _BLOCK_MARGIN, False)
                continue
            neuron = s.unit[out]
            summary = cast(tuple[Any, ...], key)  # _plan's other keys: ("neuron", z) or ("layer", layer, its inputs)
            if summary[0] == "neuron":
                title = shorten(out.label) if out.label else s.neuron_title(neuron)
                put(neuron, False, name, "neuron", *self._value_label(out, title), {}, False)
            else:
                size = len({s.app[v] for v, k in unit.items() if k == key})
                title = f"{s.layer_title(summary[1])}\n{size} neuron{'s' if size > 1 else ''}"
                if size == 1:
                    put(None, False, name, "layer", *self._value_label(out, title), {}, False)
                else:  # one a per neuron: no single δ
                    put(None, False, name, "layer", f"<{label_markup(title)}>", tex_markup(title), {}, False)
        for layer, neuron in list(place):
            lone = neuron is None and len(place[(layer, None)]) == 1 and sum(k[0] is layer for k in place) == 1
            if layer is not None and lone:  # a layer collapsed to one box: a frame around it only gathers edge
                place[(None, None)].extend(place.pop((layer, None)))  # crossings over its title
        return place

    def _input_column(self, place: _Place) -> list[_Placed]:
        """A network's inputs x1..xn, drawn as one column in order when the ranks run left to right (else none)."""
        inputs = [node for node in place.get((None, None), []) if node[1] == "input"]
        layers = any(layer is not None for layer, _ in place)
        return inputs if layers and len(inputs) > 1 and self.o.rankdir in ("LR", "RL") else []

    def _emit_nodes(self, g: Graph, place: _Place, root: Graph | None = None) -> None:
        """``place``'s nodes into ``g`` (the picture, or one row of it inside ``root``), each in its clusters."""
        s = self.structure
        by_layer: dict[Module | None, list[Module | None]] = {}
        for layer, neuron in place:
            by_layer.setdefault(layer, []).append(neuron)
        slots = dict(self.o.slots)
        inputs = self._input_column(place)
        if inputs:  # x1..xn together, in order,
            column = Graph(name="cluster_inputs")  # not on both sides of the first layer (top down they sit above it)
            column.attr(style="invis")
            for name, kind, label, tex, extra, highlighted in inputs:
                self._node(column, name, kind, label, tex, highlighted, **extra)
            self._in_a_row(column, [node[0] for node in inputs])
            g.subgraph(column)
            place[(None, None)] = [node for node in place[(None, None)] if node[1] != "input"]
        for layer, neurons in by_layer.items():
            outer = g if layer is None else Graph(name=layer_cluster_name(s.path(layer)))
            clustered = sorted((n for n in neurons if n is not None), key=_position)
            if layer is not None and len(clustered) > 1:  # neuron clusters: dot's order is checked by in_reading_order
                self.ordered_clusters[outer.name] = [f"cluster_neuron_{s.slug(n)}" for n in clustered]
                emitted = [clustered[i] for i in slots.get(outer.name, range(len(clustered)))]
                neurons = [n for n in neurons if n is None] + emitted
            if layer is not None:
                title = s.layer_title(layer)
                outer.attr(label=f"<{label_markup(title)}>", style="rounded,dashed", color="#7e57c2")
                outer.attr(fontname=FONT, fontsize="12", labeljust="r", margin="6")  # edges arrive from the left
                self.tex_clusters[outer.name] = tex_markup(title)
            for neuron in neurons:
                inner = outer if neuron is None else Graph(name=f"cluster_neuron_{s.slug(neuron)}")
                if neuron is not None:
                    title = s.neuron_title(neuron)
                    inner.attr(label=f"<{escape_label(title)}>", style="rounded,filled", color="#b39ddb")
                    inner.attr(fillcolor="#f7f3fd", fontname=FONT, fontsize="11", labeljust="l", margin="4")
                    self.tex_clusters[inner.name] = tex_escape(title)
                nodes = place[(layer, neuron)]
                for name, kind, label, tex, extra, highlighted in nodes:
                    self._node(inner, name, kind, label, tex, highlighted, **extra)
                if neuron is not None:  # its parameters w1..wn, b in reading order
                    drawn = {node[0] for node in nodes}
                    self._in_a_row(inner, [n for n in map(node_name, neuron.parameters()) if n in drawn])
                summaries = [node[0] for node in nodes if node[1] == "neuron"]
                if layer is not None and neuron is None and len(summaries) > 1:  # one column, neurons 1..n in order
                    if self.o.rankdir in ("TB", "BT"):  # the title's room, right of a_n: edges into the row
                        room = f"{outer.name}_title"  # come from above and would cross it
                        width = 12 * sum(0.4 if c in " ,:[]()" else 0.6 for c in s.layer_title(layer)) / 72
                        outer.node(room, "", shape="box", style="invis", width=f"{width:.2f}", height="0.1")
                        summaries = [*summaries, room]
                    self._in_a_row(outer, summaries)
                    (root or g).attr(mclimit="0.01")  # fewer crossing-minimisation passes keep the order (measured)
                if inner is not outer:
                    outer.subgraph(inner)
            if outer is not g:
                g.subgraph(outer)

    def _in_a_row(self, g: Graph, names: list[str]) -> None:
        """Nodes of one cluster on one rank, in reading order (invisible flat edges, which dot keeps in order)."""
        if len(names) > 1:
            row = Graph()
            row.attr(rank="same")
            across = self.o.rankdir in ("TB", "BT")  # dot orders a flat chain left to right, LR bottom up
            for a, b in zip(names, names[1:]):
                row.edge(*((a, b) if across else (b, a)), style="invis")
            g.subgraph(row)

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
            lit = [(x, v) in self.highlight_edges for x in v.inputs]
            neuron = self.structure.unit.get(v) if self.o.rankdir in ("TB", "BT") else None
            for i, x in enumerate(v.inputs):
                if x in unit and _block_name(unit[x]):  # from a block: one edge, whichever of its values it carries
                    if (self._name(x), op_node_name(v)) in seen:
                        continue
                    seen.add((self._name(x), op_node_name(v)))
                # top down, a neuron's inputs a rank above its parameters: the input over the layer, not beside
                # it (notebook 02's loss graph: 792 px wide instead of 1163)
                before = {"minlen": "2"} if neuron is not None and self.structure.unit.get(x) is not neuron else {}
                carries = {"class": edge_name(v, i)}  # a derivation's term lights up the edge it travels along
                if self.o.show_local_grads:
                    tail = self._name(x)
                    self._edge(g, tail, derivative_node_name(v, i), lit[i], arrowhead="none", **before, **carries)
                    self._edge(g, derivative_node_name(v, i), op_node_name(v), lit[i], **carries)
                else:
                    self._edge(g, self._name(x), op_node_name(v), lit[i], **before, **carries)
            self._edge(g, op_node_name(v), node_name(v), any(lit))

    def _legend(self, g: Graph) -> None:
        """One row above the picture (the graph's label): a swatch per kind of node drawn, then the edge note."""
        order = ["parameter", "input", "constant", "computed", "output", "op", "neuron", "layer", "derivative"]
        cells = []
        for kind in (k for k in order if k in self.kinds_used):
            st = STYLES[kind]
            self.tex_legend.append((st.fillcolor, st.color, tex_escape(st.description)))
            if kind == "derivative":
                cells.append(f"<TD>{escape_label(st.description)}</TD>")
            else:
                swatch = f'BGCOLOR="{st.fillcolor}" COLOR="{st.color}" BORDER="1"'
                cells.append(f"<TD {swatch}>{escape_label(st.description)}</TD>")
        row = "".join(cells)
        table = f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="4" CELLPADDING="3"><TR>{row}</TR></TABLE>'
        g.attr(label=f'<<FONT POINT-SIZE="10">{table}</FONT>>', labelloc="t", labeljust="l")


def _block_name(key: Hashable) -> str | None:
    """The DOT name of a ``blocks`` summary key (("block", name)), None for other keys."""
    return key[1] if isinstance(key, tuple) and len(key) == 2 and key[0] == "block" else None


def _placement(graph: Graph, doc: Mapping[str, Any]) -> dict[str, list[int]]:
    """For each layer with neuron clusters: the neurons (0..n-1) in the order dot placed them.

    Natural order is top to bottom when ranks run left to right, left to right when they run top down.
    """
    boxes = {o["name"]: [float(c) for c in o["bb"].split(",")] for o in doc.get("objects", []) if "bb" in o}
    across = graph.graph_attr.get("rankdir", "TB") in ("TB", "BT")
    placed = {}
    for layer, names in graph.ordered_clusters.items():
        if all(name in boxes for name in names):
            where = [(b[0] + b[2]) / 2 if across else -(b[1] + b[3]) / 2 for b in (boxes[n] for n in names)]
            placed[layer] = sorted(range(len(names)), key=where.__getitem__)
    return placed


def in_reading_order(options: DrawOptions, draw: Callable[[DrawOptions], Graph]) -> Graph:
    """``draw(options)``, with each layer's neuron clusters where they belong: neurons 1..n in reading order.

    Graphviz's crossing minimisation places the clusters of interchangeable
    neurons in an order of its own (no constraint between clusters holds in
    every Graphviz version). It depends on the structure and on which cluster
    is written in which slot, not on the labels, so when the layout shows
    them out of order they are written again into the slots that land in
    order, and the layout is checked once more. The slots are kept in
    ``graph.options``, so every frame of a backward pass puts them alike.
    Without ``dot`` nothing can be checked and the graph is returned as drawn.
    """
    graph = draw(options)
    for _ in range(3):
        if not graph.ordered_clusters:
            return graph
        try:
            placed = _placement(graph, layout(graph))
        except graphviz.ExecutableNotFound:
            return graph
        if all(p == sorted(p) for p in placed.values()):
            return graph
        slots = dict(graph.options.slots)
        for layer, order in placed.items():
            current = slots.get(layer, tuple(range(len(order))))
            slot_of = {neuron: k for k, neuron in enumerate(current)}
            fixed = [0] * len(order)
            for position, neuron in enumerate(order):
                fixed[slot_of[neuron]] = position  # the slot that landed at this position gets this neuron
            slots[layer] = tuple(fixed)
        graph = draw(replace(graph.options, slots=tuple(sorted(slots.items()))))
    return graph


def draw_graph(
    root: Value | Iterable[Value],
    rankdir: Rankdir = "auto",
    show_local_grads: bool = False,
    group: Group = "auto",
    max_nodes: int | None = DEFAULT_MAX_NODES,
    precision: int = 4,
    legend: bool = False,
    layer_numbering: LayerNumbering = "slides",
    width: float | None = DEFAULT_WIDTH,
) -> Graph:
    """The computational graph of ``root`` as a :class:`~viz.graph.Graph` (a ``graphviz.Digraph``).

    Each value is a box showing its label (when set), its data and its δ
    (``.grad``, the derivative of the output with respect to it); each
    operation is a small ellipse between its inputs and its result (a
    neuron's z = wᵀx + b is one "Σ wx + b" node). Parameters, inputs,
    constants and the output are told apart by shape and colour;
    ``legend=True`` adds a one-row key above the picture. With
    ``show_local_grads`` every input edge carries the local derivative
    ∂out/∂in (a small label node sitting on the edge), so the chain rule
    δ_in += δ_out · ∂out/∂in can be read off the picture.

    The picture fits a column ``width`` CSS pixels wide (default 900, a
    notebook column; ``None``: natural size) with text at least 10 px there:
    ``rankdir="auto"`` lays it out left to right, else top to bottom, else
    left to right wrapped into 2-4 rows like text (never inside a layer: a
    network's loss may sit in a row under the network), each value carried
    into the next row drawn again, dashed, at its start; the first that
    keeps the text at 10 px wins (needs Graphviz's ``dot``; without it, left
    to right), and Graphviz scales it down to the width. When none does, the most readable
    is drawn and a :class:`~viz.NarrowWidthWarning` names the width at which
    it would be. A graph too big to lay out several times (over 1,500 lines
    of DOT) is laid out once, left to right when it is a few levels deep
    and many values wide (a network), else top down, and warned about alike.
    Jupyter's display and ``viz.save`` honour it.
    ``rankdir="LR"``/``"TB"``/... forces a direction (``"LR"`` may still wrap).

    Graphs of ``nn`` models are grouped into neuron clusters inside layer
    clusters, read from the model's structure (``Parameter.owner``,
    ``Module.parent``; ``group="none"`` turns that off), in reading order in
    every layout: layers along the ranks, neurons 1..n top to bottom (left to
    right when the layers run top down), each neuron's w1..wn then b. Layers
    are numbered as on the slides (``layer_numbering="slides"``: the input is
    layer 1, so ``model.layers[0]`` is "layer 2: W^[1], b^[1]") or by index
    (``"index"``: ``model.layers[0]`` is layer 0). When more than
    ``max_nodes`` nodes would be drawn, each neuron collapses into one summary
    node, and if that is still too many, each layer does.

    A compiled graph (what :func:`autograd.compile` returns, or an ``nn.CompiledTrainer``) is drawn as its
    lowered program instead (:mod:`viz.lowered`): one node per numpy step with its matrix formula and shapes.

    ``viz.save(graph, "g.svg")`` (or ``.png``/``.pdf``, ``.tex`` for TikZ,
    ``slide=True`` for a 16:9 slide) writes a file, and ``graph.source`` is the DOT text.

    >>> from autograd import Value
    >>> x = Value(2.0, label="x"); y = (x * x).tanh(); y.backward()
    >>> g = draw_graph(y)
    >>> g.source.count("->"), "data 2.0000" in g.source  # x→*, x→*, *→x², x²→tanh, tanh→y
    (5, True)
    """
    if is_lowered(root):  # a compiled graph or trainer: its matrix ops (viz.lowered)
        return draw_lowered(root, width=width)
    check_options("draw_graph", rankdir, precision, layer_numbering, width)
    if max_nodes is not None and (not isinstance(max_nodes, int) or max_nodes < 1):
        raise ValueError(f"draw_graph: max_nodes must be a positive int or None, got {max_nodes!r}")
    roots, grouped = roots_of(root), group_flag(group)
    show, legend = bool(show_local_grads), bool(legend)

    def build(choice: Layout) -> Graph:
        direction, stacked, rows = choice
        options = DrawOptions(
            direction, show, grouped, max_nodes, precision, legend, layer_numbering, stacked, bands=rows
        )
        return in_reading_order(options, lambda o: Drawing(roots, o).build())

    graph = choose(build, layout_candidates(rankdir), width, unmeasured_layout(layout_candidates(rankdir), roots))[1]
    graph.layouts = {choice: functools.partial(build, choice) for choice in layout_candidates(rankdir)}  # for slides
    return graph
