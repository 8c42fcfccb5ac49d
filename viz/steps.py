"""Backprop, step by step: one picture per node, in the order backward visits them.

Frame k shows the graph after backward has finished the δ of its k-th node:
that node is highlighted, nodes already done show their δ, the others show
``?``. The δ values come from :func:`viz.derivation.backward_terms`, the one
replay of backward in viz (the chain rule δ_x = Σ over consumers c of
δ_c · ∂c/∂x, in the order of :meth:`autograd.Value.walk`, as
:meth:`Value.backward`), so the user's ``.grad`` fields are never touched.

Every node can explain its δ at every frame (:meth:`BackwardSteps.derivation`):
the terms δ_c · ∂c/∂x of the readers c backward has reached by then, and the
full sum once they all have. The slider widget and the saved page show it
when a node is clicked.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

import graphviz

from autograd import Value
from nn.atomic import write_atomically

from .derivation import Derivation, derivations
from .dot import Drawing, in_reading_order
from .graph import INSTALL_HINT, Graph, GraphvizNotFoundError
from .layout import DEFAULT_WIDTH, PX_PER_PT, choose, fit_to_width, natural_size
from .names import node_name
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
from .page import replay_page
from .text import html_markup, label_markup

__all__ = ["backward_steps", "BackwardSteps", "Frame", "FrameLayout", "MAX_FRAMES"]

MAX_FRAMES = 200
"""More nodes than this make a slide show nobody can follow; backward_steps refuses them."""


@dataclass(frozen=True)
class Frame:
    """One step of backward: ``node`` has just received its final δ."""

    index: int
    node: Value
    delta: float
    terms: tuple[tuple[Value, float, float], ...]  # (consumer c, δ_c, ∂c/∂node) for each edge into node's δ
    caption: str
    graph: Graph = field(repr=False)
    caption_width: float = 600.0  # points: the SVG's caption is wrapped to this width...
    caption_lines: int = 0  # ...on at least this many lines in a table this wide (every frame the same, so a
    caption_table: float = 0.0  # sequence of frames does not jump)

    def svg(self, caption: bool = True) -> str:
        """This frame's picture as SVG text (rendered with Graphviz's ``dot``), its caption on top.

        The caption's slide-style names (``z^[3]_1``) have real super- and
        subscripts (SVG ``baseline-shift``). ``caption=False``: the picture
        alone, as pages that print the caption in HTML show it.
        """
        return (self.captioned() if caption else self.graph).svg()

    def captioned(self) -> Graph:
        """A copy of :attr:`graph` with the caption above the picture, wrapped to the picture's width."""
        lines = _caption_lines(self.caption, self.caption_width)
        return _with_caption(self.graph, lines + [""] * (self.caption_lines - len(lines)), self.caption_table)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict[str, str]:
        page = f'<p style="font-size:15px">{html_markup(self.caption)}</p>{_inline_svg(self.svg(caption=False))}'
        return {"text/html": page, "image/svg+xml": self.svg(), "text/plain": self.caption}


class BackwardSteps(Sequence[Frame]):
    """The frames of one backward pass: a sequence, a notebook slider, an HTML page or SVG files."""

    def __init__(self, frames: list[Frame], explained: Mapping[Value, Derivation] | None = None) -> None:
        """``frames`` in backward's order; ``explained``: every node's complete :class:`~viz.Derivation`
        (by default replayed from the first frame's node, the output, seeded with its δ)."""
        if not frames:
            raise ValueError("BackwardSteps: no frames (a backward pass visits at least its output)")
        self._frames = frames
        self._explained = dict(explained or derivations(frames[0].node, frames[0].delta))
        self._step_of = {frame.node: frame.index for frame in frames}
        self._svgs: dict[bool, list[str]] = {}

    @overload
    def __getitem__(self, i: int) -> Frame: ...
    @overload
    def __getitem__(self, i: slice) -> list[Frame]: ...
    def __getitem__(self, i: int | slice) -> Frame | list[Frame]:
        return self._frames[i]

    def __len__(self) -> int:
        return len(self._frames)

    def __iter__(self) -> Iterator[Frame]:
        return iter(self._frames)

    def __repr__(self) -> str:
        return f"<BackwardSteps: {len(self)} frames>"

    def derivation(self, node: Value, step: int = -1) -> Derivation:
        """How ``node``'s δ stands after frame ``step`` (default: the last): δ(node) so far = Σ δ(c)·∂c/∂node over
        the readers c that backward reached by that frame (the edges x → c whose term has arrived); once every
        reader is done, the complete sum, the δ that ``root.backward()`` puts in ``.grad``.

        A node read several times (``a*b + a``) shows its contributions arriving one by one, a frame each.

        >>> from autograd import Value
        >>> a, b = Value(2.0, label="a"), Value(3.0, label="b")
        >>> c = a * b; c.label = "c"; out = c + a; out.label = "out"
        >>> steps = backward_steps(out)
        >>> print(steps.derivation(a, step=0))
        δ(a) = δ(out)·∂out/∂a + δ(c)·∂c/∂a = 1.0000·1.0000 + ?·3.0000 = 1.0000 so far (1 of 2 terms arrived)
        >>> print(steps.derivation(a))
        δ(a) = δ(out)·∂out/∂a + δ(c)·∂c/∂a = 1.0000·1.0000 + 1.0000·3.0000 = 4.0000
        """
        if isinstance(step, bool) or not isinstance(step, int) or not -len(self) <= step < len(self):
            raise ValueError(
                f"BackwardSteps.derivation: step must be an int in -{len(self)}..{len(self) - 1}, got {step!r}"
            )
        if not isinstance(node, Value) or node not in self._step_of:
            raise ValueError(f"BackwardSteps.derivation: {node!r} is not a node of this backward pass")
        return self._so_far(self._explained[node], step % len(self))

    def _so_far(self, full: Derivation, step: int) -> Derivation:
        """``full`` after frame ``step``: its terms from readers finished by then (a prefix: readers come first)."""
        return full.so_far(sum(1 for t in full.terms if self._step_of[t.reader] <= step))

    def svgs(self, caption: bool = True) -> list[str]:
        """Every frame rendered to SVG, with its caption or without (rendered once, in parallel, then cached)."""
        if caption not in self._svgs:
            self._svgs[caption] = _render_all([frame.captioned() if caption else frame.graph for frame in self])
        return self._svgs[caption]

    def save_svgs(self, directory: str | Path, stem: str = "step") -> list[Path]:
        """Write one SVG file per frame, ``{stem}_001.svg`` onwards, into ``directory``; return the paths.

        Each picture carries its caption (every frame the same size, so a sequence does not jump).
        SVG files are rendered by Graphviz's ``dot`` program: without it this raises
        :class:`~viz.GraphvizNotFoundError` saying how to install it, and that :meth:`save_html`
        works without it (the browser lays the frames out with Graphviz compiled to WebAssembly;
        Python alone cannot run that renderer).
        """
        directory = Path(directory)
        try:
            svgs = self.svgs()
        except graphviz.ExecutableNotFound as e:
            raise GraphvizNotFoundError(
                f"save_svgs({str(directory)!r}) renders SVG files with the Graphviz `dot` program, which was not"
                " found on PATH. Without it, .save_html(path) writes a page that lays the frames out in the browser"
                " (Graphviz compiled to WebAssembly); SVG files from Python need `dot`. " + INSTALL_HINT
            ) from e
        width = max(3, len(str(len(self))))
        paths = []
        for i, svg in enumerate(svgs, start=1):
            paths.append(write_atomically(directory / f"{stem}_{i:0{width}d}.svg", svg, make_folders=True))
        return paths

    def to_html(self, title: str = "Backpropagation, step by step", standalone: bool = True) -> str:
        """A self-contained page with a slider over the frames (everything inline, nothing fetched).

        The page replays the frames with the lab's own module (:func:`viz.page.replay_page`): a slider, and a
        click on a value shows its δ derivation as it stands at the frame shown (:meth:`derivation`; every form
        is in the page, so it needs no server). With Graphviz's ``dot`` the frames are the SVGs it draws and the
        page carries no layout engine; without it, their DOT source, laid out in the browser by Graphviz
        compiled to WebAssembly. With ``standalone=False`` only a ``<div>`` of inline SVGs and a small slider
        script, for a notebook's HTML output (that needs ``dot``).
        """
        if standalone:
            record = self._record(rendered=True)
            drawn = all("svg" in step for step in record["frames"][0]["steps"])
            return replay_page(record, title, renderer=not drawn)
        uid = f"deltagrad-steps-{next(_html_ids)}"
        svgs = self.svgs(caption=False)
        frames = "\n".join(
            f'<div class="frame"{"" if i == 0 else " hidden"}><p class="caption">{html_markup(frame.caption)}</p>'
            f"{_inline_svg(svg)}</div>"
            for i, (frame, svg) in enumerate(zip(self._frames, svgs))
        )
        widest = max(_svg_width_px(svg) for svg in svgs)
        return _HTML_BODY.format(uid=uid, last=len(self) - 1, n=len(self), frames=frames, max=round(ZOOM * widest))

    def explanations(self) -> dict[str, dict[str, Any]]:
        """Every node's derivation at every frame, as plain data for a page: keyed by the node's DOT name
        (:func:`viz.node_name`), ``{"arrivals": [k_1, ...], "forms": [form_0, ..., form_n]}``.

        ``k_i`` is the frame at which the i-th term arrives (its reader's step; ascending, since readers come
        first); at frame k the node's derivation is ``forms[m]`` with m = #{i : k_i ≤ k} terms arrived, each form
        the text and MathML of :meth:`Derivation.so_far` (``forms[n]``: the complete sum).
        """
        out = {}
        for v, full in self._explained.items():
            forms = [full.so_far(m) for m in range(len(full.terms))] + [full]
            out[node_name(v)] = {
                "arrivals": [self._step_of[t.reader] for t in full.terms],
                "forms": [
                    {k: d[k] for k in ("node", "name", "delta", "complete", "text", "html")}
                    for d in (form.to_dict() for form in forms)
                ],
            }
        return out

    def _record(self, rendered: bool = False) -> dict[str, Any]:
        """The frames as ``lab.js`` replays them: one recorded state ``{"view": "steps", "steps": [...],
        "derivations": ...}``, each step a frame's DOT source (``rendered``: the SVG ``dot`` draws from it,
        where ``dot`` is installed) and its caption as HTML (``<sub>``/``<sup>`` for slide names), and every
        node's derivation at every frame (:meth:`explanations`), shown on a click.

        The pictures are at natural size: the page scales each to its own width (CSS), instead of Graphviz
        shrinking it to ``width`` first.
        """
        graphs = [_natural_size(frame.graph) for frame in self]
        pictures: list[dict[str, str]] = [{"dot": graph.source} for graph in graphs]
        if rendered:
            try:
                pictures = [{"svg": _inline_svg(svg)} for svg in _render_all(graphs)]
            except graphviz.ExecutableNotFound:
                pass  # the browser lays the DOT out
        steps = [{**picture, "caption": html_markup(frame.caption)} for picture, frame in zip(pictures, self)]
        return {"view": "steps", "frames": [{"view": "steps", "steps": steps, "derivations": self.explanations()}]}

    def save_html(self, path: str | Path, title: str = "Backpropagation, step by step") -> Path:
        """Write :meth:`to_html` to ``path`` (atomically; with or without Graphviz's ``dot``); returns the path."""
        # a label may hold a lone surrogate (str allows it, UTF-8 does not): written as U+FFFD, the replacement mark
        page = self.to_html(title).encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return write_atomically(path, page, make_folders=True)

    def _repr_html_(self) -> str:
        return self.to_html(standalone=False)

    def view(self) -> Any:
        """The lab's slider over these frames (:class:`viz.widget.StepsView`, the ``lab`` extra): each frame's DOT
        laid out in the browser by Graphviz-WASM, and a click on a value shows its derivation at the frame shown
        (:meth:`explanations`, sent with the frames). What Jupyter and deltagrad's web page show."""
        from .widget import StepsView  # the `lab` extra (a web page's Python hosts it without anywidget)

        state = self._record()["frames"][0]
        return StepsView(state["steps"], state["derivations"])

    def widget(self) -> Any:
        """An ipywidgets slider (with a play button) over the frames; the slider runs in the browser alone."""
        import ipywidgets as widgets

        pages = [
            widgets.HTML(f'<p style="font-size:15px">{html_markup(frame.caption)}</p>{_inline_svg(svg)}')
            for frame, svg in zip(self._frames, self.svgs(caption=False))
        ]
        stack = widgets.Stack(pages, selected_index=0)
        slider = widgets.IntSlider(value=0, min=0, max=len(self) - 1, description="step", readout=False)
        play = widgets.Play(value=0, min=0, max=len(self) - 1, interval=900)
        widgets.jslink((play, "value"), (slider, "value"))
        widgets.jslink((slider, "value"), (stack, "selected_index"))
        return widgets.VBox([widgets.HBox([play, slider]), stack])

    def _ipython_display_(self) -> None:
        """Jupyter's display: the lab's slider (:class:`viz.widget.StepsView`, frames laid out in the browser by
        Graphviz-WASM, a click on a value shows its derivation at the frame shown). Without the ``lab`` extra:
        :meth:`widget` (``dot``'s SVGs), or the HTML slider; without ``dot`` either, the DOT source and a hint."""
        from IPython.display import HTML, display

        try:
            view = self.view()
        except ModuleNotFoundError as missing:
            no_widget = missing
        else:
            display(view)
            return
        try:
            try:
                display(self.widget())
            except ImportError:
                display(HTML(self.to_html(standalone=False)))
        except graphviz.ExecutableNotFound:
            hint = f"Graphviz's `dot` is missing, so is the lab's widget ({no_widget}). {INSTALL_HINT}"
            display(
                {"text/plain": f"{hint}\n\n{self!r}; the last frame's DOT source:\n{self[-1].graph.source}"},
                raw=True,
            )


def _render_all(graphs: list[Graph]) -> list[str]:
    """Each graph rendered to SVG by ``dot``, several at once (each is its own process)."""
    workers = min(len(graphs), os.cpu_count() or 1, 8)
    with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
        return list(pool.map(lambda graph: graph.svg(), graphs))


_html_ids = itertools.count(1)
ZOOM = 1.6
"""The step page scales each picture up to the page's width, to at most this factor (text >= 12 px at 1400 px)."""


CAPTION_PT = 14.0
"""The caption's font size in a frame's SVG, in points (the nodes' text is 11)."""
_EM_PER_CHAR = 0.58  # Helvetica's mean advance over a caption's digits, letters and symbols (a little generous)


def _caption_lines(caption: str, width_pt: float) -> list[str]:
    """``caption`` broken at spaces into lines that fit ``width_pt`` points at :data:`CAPTION_PT`."""
    limit = max(24, int(width_pt / (CAPTION_PT * _EM_PER_CHAR)))
    shown = lambda text: len(text.replace("^", "").replace("_", ""))  # z^[3]_1 shows as z, [3] and 1
    lines: list[str] = []
    for word in caption.split(" "):
        if lines and shown(lines[-1]) + 1 + shown(word) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _caption_width(lines: list[str]) -> float:
    """A generous estimate of the width of a caption's widest line, in points."""
    return max((len(line.replace("^", "").replace("_", "")) for line in lines), default=0) * CAPTION_PT * _EM_PER_CHAR


def _with_caption(graph: Graph, lines: list[str], width: float) -> Graph:
    """A copy of ``graph`` with a caption's ``lines`` as its title (HTML-like text: <SUP>/<SUB>), above any legend.

    Each line is a cell of one height (a line with sub- or superscripts is
    taller) in a table ``width`` points wide, so frames with captions of the
    same number of lines have the same size.
    """
    height = round(CAPTION_PT * 1.5)
    rows = "".join(f'<TR><TD ALIGN="LEFT" HEIGHT="{height}">{label_markup(line) or " "}</TD></TR>' for line in lines)
    table = f'<TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0" WIDTH="{round(width)}">{rows}</TABLE>'
    title = f'<FONT POINT-SIZE="{CAPTION_PT:g}">{table}</FONT>'
    out = graph.copy()
    legend = out.graph_attr.get("label")
    if legend:  # the legend's table under the caption
        rows = f'<TR><TD ALIGN="LEFT">{title}</TD></TR><TR><TD>{legend[1:-1]}</TD></TR>'
        title = f'<TABLE BORDER="0" CELLPADDING="0">{rows}</TABLE>'
    out.attr(label=f"<{title}>", labelloc="t", labeljust="l")
    return out


def _natural_size(graph: Graph) -> Graph:
    """A copy of ``graph`` without the ``size`` that scales it to a column (:func:`viz.layout.fit_to_width`)."""
    unscaled = graph.copy()
    unscaled.graph_attr.pop("size", None)
    return unscaled


def _svg_width_px(svg: str) -> float:
    """The width Graphviz wrote on an SVG (in points) as CSS pixels."""
    match = re.search(r'<svg[^>]*\bwidth="([\d.]+)pt"', svg)
    return float(match[1]) * 96 / 72 if match else 900.0


def _inline_svg(svg: str) -> str:
    """An SVG document as an element to inline in HTML (without its XML prolog and DOCTYPE)."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


_HTML_BODY = """<div id="{uid}" class="deltagrad-steps">
<style>
#{uid} .controls {{ font-family: sans-serif; display: flex; gap: 0.5em; align-items: center; }}
#{uid} .controls input {{ flex: 1; max-width: 40em; }}
#{uid} .caption {{ font-family: sans-serif; font-size: 16px; min-height: 1.5em; }}
#{uid} svg {{ width: 100%; max-width: {max}px; height: auto; }}
</style>
<div class="controls"><button type="button" class="prev">&#9664;</button>
<input type="range" min="0" max="{last}" value="0" step="1" aria-label="step">
<button type="button" class="next">&#9654;</button><span class="counter">1 / {n}</span></div>
{frames}
<script>
(function () {{
  var root = document.getElementById("{uid}");
  var frames = root.querySelectorAll(".frame"), slider = root.querySelector("input");
  var counter = root.querySelector(".counter");
  function show(i) {{
    i = Math.max(0, Math.min(frames.length - 1, i));
    frames.forEach(function (f, k) {{ f.hidden = k !== i; }});
    slider.value = i;
    counter.textContent = (i + 1) + " / " + frames.length;
  }}
  slider.addEventListener("input", function () {{ show(+slider.value); }});
  root.querySelector(".prev").addEventListener("click", function () {{ show(+slider.value - 1); }});
  root.querySelector(".next").addEventListener("click", function () {{ show(+slider.value + 1); }});
  show(0);
}})();
</script>
</div>"""


def backward_steps(
    root: Value,
    gradient: float = 1.0,
    rankdir: Rankdir = "auto",
    show_local_grads: bool = False,
    group: Group = "auto",
    precision: int = 4,
    legend: bool = False,
    layer_numbering: LayerNumbering = "slides",
    width: float | None = DEFAULT_WIDTH,
) -> BackwardSteps:
    """The backward pass of ``root`` as frames, one per node, in the order backward visits them.

    Frame k highlights the node whose δ has just become final, shows the δ of
    every node finished so far and ``?`` for the rest; its caption writes out
    δ = Σ δ(consumer)·∂consumer/∂node. The last frame's δ values equal what
    ``root.backward(gradient)`` would put in ``.grad`` (which is left untouched).

    Every frame has one layout, chosen (as :func:`viz.draw_graph` does, with
    ``rankdir``, ``width`` and ``layer_numbering`` meaning the same) for the
    last frame, so the slider never jumps. Captions show slide names with real
    sub- and superscripts, in HTML and in each frame's SVG (:meth:`Frame.svg`,
    ``save_svgs``), where they sit above the picture wrapped to its width.

    Iterate over the result for :class:`Frame` objects; in a notebook it
    displays as a slider; ``.save_html(path)`` and ``.save_svgs(directory)``
    export it.

    >>> from autograd import Value
    >>> x = Value(3.0, label="x"); y = x * x
    >>> steps = backward_steps(y)
    >>> [(f.node.label or f.node.op, f.delta) for f in steps]
    [('mul', 1.0), ('x', 6.0)]
    >>> x.grad
    0.0
    """
    (root,) = roots_of(root)
    check_options("backward_steps", rankdir, precision, layer_numbering, width)
    order = root.walk()
    if len(order) > MAX_FRAMES:
        raise ValueError(
            f"backward_steps: the graph has {len(order)} nodes (at most {MAX_FRAMES}); "
            "step through a smaller example and use viz.draw_graph for the big picture"
        )
    explained = derivations(root, float(gradient), precision)  # every node's δ and its terms, from one replay
    deltas = {v: d.delta for v, d in explained.items()}
    grouped, show = group_flag(group), bool(show_local_grads)

    def options(layout: Layout) -> DrawOptions:
        direction, stacked, rows = layout
        return DrawOptions(
            direction, show, grouped, DEFAULT_MAX_NODES, precision, bool(legend), layer_numbering, stacked, bands=rows
        )

    # the caption is the node's derivation; display_names keeps two unlabelled nodes apart (mul_1, mul_2)
    captions = [f"step {index + 1}: {explained[v].text()}" for index, v in enumerate(order)]
    layout = FrameLayout.choose(root, options, deltas, rankdir, width, captions)
    frames = []
    for index, v in enumerate(order):
        known = {u: deltas[u] for u in order[: index + 1]}
        terms = tuple((t.reader, t.reader_delta, t.local) for t in explained[v].terms)
        graph = layout.draw(root, known, deltas, v, frozenset((v, c) for c, _, _ in terms))
        frames.append(layout.frame(index, v, deltas[v], terms, captions[index], graph))
    return BackwardSteps(frames, explained)


@dataclass(frozen=True)
class FrameLayout:
    """What every frame of one pass shares: the drawing options, the width, and how captions wrap.

    The layout is chosen as :func:`viz.draw_graph` chooses it, for the last
    frame (every δ known), so a slider's frames never jump; captions wrap to
    the picture's width, or to the column's when the picture is narrower.
    """

    options: DrawOptions
    width: float | None
    caption_width: float  # points
    caption_lines: int
    caption_table: float

    @classmethod
    def choose(
        cls,
        root: Value,
        options: Callable[[Layout], DrawOptions],
        final: Mapping[Value, float],
        rankdir: Rankdir,
        width: float | None,
        captions: list[str],
    ) -> FrameLayout:
        """The layout :func:`viz.draw_graph` would choose for the last frame (every δ ``final``), and the
        captions' wrapping: to the picture's natural width, or to ``width`` when the picture is narrower."""

        def last_frame(layout: Layout) -> Graph:
            return in_reading_order(options(layout), lambda o: Drawing([root], o, deltas=final, final=final).build())

        candidates = layout_candidates(rankdir)
        last = choose(last_frame, candidates, width, unmeasured_layout(candidates, [root]))[1]
        try:
            natural = natural_size(last)[0]
        except graphviz.ExecutableNotFound:
            natural = 0.0
        caption_width = max(natural, width or DEFAULT_WIDTH) / PX_PER_PT
        wrapped = [_caption_lines(caption, caption_width) for caption in captions]
        table = min(caption_width, max(map(_caption_width, wrapped)))
        return cls(last.options, width, caption_width, max(map(len, wrapped)), table)  # neurons in order everywhere

    def draw(
        self,
        root: Value,
        deltas: Mapping[Value, float | None],
        final: Mapping[Value, float],
        highlight: Value,
        edges: frozenset[tuple[Value, Value]],
    ) -> Graph:
        """One frame's picture: ``deltas`` so far, ``highlight`` and its ``edges`` marked, fitted to the width."""
        drawing = Drawing([root], self.options, deltas=deltas, highlight=highlight, highlight_edges=edges, final=final)
        return fit_to_width(drawing.build(), self.width)

    def frame(
        self,
        index: int,
        v: Value,
        delta: float,
        terms: tuple[tuple[Value, float, float], ...],
        caption: str,
        graph: Graph,
    ) -> Frame:
        """The :class:`Frame` of step ``index`` (node ``v``, its δ, terms and caption), wrapped as every frame is."""
        return Frame(index, v, delta, terms, caption, graph, self.caption_width, self.caption_lines, self.caption_table)
