"""A drawn graph as LaTeX/TikZ for slides and papers, and as 16:9 slide-sized pictures.

:func:`to_tikz` places every node, cluster and edge where Graphviz's ``dot``
put them (its JSON layout, in points), and writes each node's text as LaTeX
(names with real sub- and superscripts, δ and ∂ as math), so the picture
matches the SVG and compiles with plain ``pdflatex`` (TikZ from the ``pgf``
package only; no ``standalone`` class or font packages). ``viz.save(graph,
"g.tex")`` writes a complete document; ``standalone=False`` gives just the
``tikzpicture`` to ``\\input`` into a Beamer frame.

:func:`slide` gives a copy of a graph laid out on a 16:9 page (13.33 × 7.5
inches: 1920 × 1080 px as PNG at 144 dpi), the drawing centred and scaled to fill it.
"""

from __future__ import annotations

from typing import Any

import graphviz

from .graph import Graph
from .layout import layout

__all__ = ["to_tikz", "slide", "SLIDE_INCHES", "SLIDE_DPI"]

SLIDE_INCHES = (13.333, 7.5)
"""A 16:9 slide (PowerPoint's and Google Slides' default size)."""
SLIDE_DPI = 144
"""PNG slides: 1920 × 1080 pixels."""
_PAD = 8.0  # points around the drawing in a TikZ document
_NORMAL = r"\sffamily\fontsize{10}{11.5}\selectfont"  # Graphviz sized the boxes for 11 pt Helvetica: the same room
_SMALL = r"\sffamily\fontsize{9}{10}\selectfont"  # ∂ labels, cluster titles, legend


def _color(value: str | None, default: str) -> str:
    """A Graphviz colour (#rrggbb) as an xcolor ``{HTML}`` spec name we define, or a default name."""
    if not value or not value.startswith("#") or len(value) != 7:
        return default
    return "c" + value[1:].upper()


def _points(pos: str) -> list[tuple[float, float]]:
    """Graphviz's ``pos`` of an edge ("e,x,y x,y x,y ...") as its spline's control points (end point dropped)."""
    pts = []
    end = None
    for token in pos.split():
        parts = token.split(",")
        if parts[0] in ("e", "s"):
            if parts[0] == "e":
                end = (float(parts[1]), float(parts[2]))
            continue
        pts.append((float(parts[0]), float(parts[1])))
    if end is not None:
        pts.append(end)
    return pts


def _pt(p: tuple[float, float]) -> str:
    return f"({p[0]:.1f},{p[1]:.1f})"


def to_tikz(graph: Graph, standalone: bool = True) -> str:
    r"""``graph`` as TikZ code (a whole pdflatex document, or just the ``tikzpicture`` when not ``standalone``).

    Needs Graphviz's ``dot`` for the layout. Nodes keep their shape and colours;
    the highlighted node of a backward frame stays red.
    """
    doc = layout(graph)
    texts: dict[str, str] = getattr(graph, "tex_labels", {})
    titles: dict[str, str] = getattr(graph, "tex_cluster_titles", {})
    objects: list[dict[str, Any]] = doc.get("objects", [])
    colors: dict[str, str] = {}

    def color(value: str | None, default: str) -> str:
        name = _color(value, default)
        if name != default:
            colors[name] = value[1:].upper()  # type: ignore[index]
        return name

    body: list[str] = []
    for obj in objects:  # clusters first: they are drawn under the nodes
        if "bb" in obj and obj.get("name", "").startswith("cluster") and "invis" not in obj.get("style", ""):
            x0, y0, x1, y1 = (float(c) for c in obj["bb"].split(","))
            style = ["rounded corners=4pt", f"draw={color(obj.get('color'), 'gray')}"]
            if "dashed" in obj.get("style", ""):
                style.append("dashed")
            if "filled" in obj.get("style", ""):
                style.append(f"fill={color(obj.get('fillcolor'), 'white')}")
            body.append(rf"\draw[{', '.join(style)}] ({x0:.1f},{y0:.1f}) rectangle ({x1:.1f},{y1:.1f});")
            title = titles.get(obj["name"])
            if title:  # in its corner, as Graphviz puts it (a layer's on the right, clear of the edges coming in)
                corner = ("north east", x1 - 2) if obj.get("labeljust") == "r" else ("north west", x0 + 2)
                body.append(rf"\node[anchor={corner[0]}, font={_SMALL}] at ({corner[1]:.1f},{y1 - 1:.1f}) {{{title}}};")
    names: dict[int, str] = {}
    for obj in objects:
        if "pos" not in obj or "bb" in obj or "invis" in obj.get("style", ""):  # clusters; room kept for a title
            continue
        name = obj["name"]
        names[obj["_gvid"]] = name
        x, y = (float(c) for c in obj["pos"].split(","))
        w, h = float(obj.get("width", 0.5)) * 72, float(obj.get("height", 0.3)) * 72
        shape, style = obj.get("shape", "box"), obj.get("style", "")
        opts = [f"minimum width={w:.1f}pt", f"minimum height={h:.1f}pt", "inner sep=1pt", "align=center"]
        if shape == "plaintext":
            opts.append(rf"font={_SMALL}")
        else:
            opts += [f"draw={color(obj.get('color'), 'black')}", rf"font={_NORMAL}"]
            opts.append("ellipse" if shape == "ellipse" else "rectangle")
            if "filled" in style:
                opts.append(f"fill={color(obj.get('fillcolor'), 'white')}")
            if "rounded" in style:
                opts.append("rounded corners=3pt")
            if "dashed" in style:
                opts.append("dashed")
            if obj.get("peripheries") == "2":
                opts.append("double")
            if float(obj.get("penwidth", 1)) > 1:
                opts.append("very thick")
        if obj.get("fontcolor"):
            opts.append(f"text={color(obj.get('fontcolor'), 'black')}")
        body.append(rf"\node[{', '.join(opts)}] ({name}) at ({x:.1f},{y:.1f}) {{{texts.get(name, '')}}};")
    for edge in doc.get("edges", []):
        if edge.get("style") == "invis" or "pos" not in edge:
            continue
        pts = _points(edge["pos"])
        arrow = "" if edge.get("arrowhead") == "none" else "-{Stealth[length=4pt]}"
        style = [s for s in (arrow, f"draw={color(edge.get('color'), 'black')}") if s]
        if float(edge.get("penwidth", 1)) > 1:
            style.append("very thick")
        path = _pt(pts[0])
        for i in range(1, len(pts) - 2, 3):
            path += f" .. controls {_pt(pts[i])} and {_pt(pts[i + 1])} .. {_pt(pts[i + 2])}"
        if len(pts) >= 4 and (len(pts) - 1) % 3 == 1:  # the arrow's tip after the last curve piece
            path += f" -- {_pt(pts[-1])}"
        body.append(rf"\draw[{', '.join(style)}] {path};")
    legend: list[tuple[str, str, str]] = getattr(graph, "tex_legend", [])
    if legend and "lp" in doc:  # the one-row legend where Graphviz put the graph's label
        x, y = (float(c) for c in doc["lp"].split(","))
        boxes = [
            rf"\fcolorbox{{{color(edge, 'black')}}}{{{color(fill, 'white')}}}{{{text}}}" for fill, edge, text in legend
        ]
        body.append(rf"\node[font={_SMALL}] at ({x:.1f},{y:.1f}) {{{r' '.join(boxes)}}};")
    defs = "\n".join(rf"\definecolor{{{name}}}{{HTML}}{{{hexa}}}" for name, hexa in sorted(colors.items()))
    picture = "\n".join(
        [
            rf"\begin{{tikzpicture}}[x=1pt, y=1pt, font={_NORMAL}]",
            defs,
            *body,
            r"\end{tikzpicture}",
        ]
    )
    if not standalone:
        return picture + "\n"
    return "\n".join(  # one page the size of the picture (as the standalone class makes it, in plain pdfTeX)
        [
            r"\documentclass{article}",
            r"\usepackage{tikz}",
            r"\usetikzlibrary{shapes.geometric, arrows.meta}",
            r"\begin{document}",
            r"\setbox0=\hbox{%",
            picture + "}",
            rf"\pdfpagewidth=\dimexpr\wd0+{2 * _PAD:.1f}pt\relax",
            rf"\pdfpageheight=\dimexpr\ht0+\dp0+{2 * _PAD:.1f}pt\relax",
            r"\hoffset=-1in \voffset=-1in",
            rf"\shipout\vbox{{\kern{_PAD:.1f}pt\hbox{{\kern{_PAD:.1f}pt\box0}}}}",
            r"\end{document}",
            "",
        ]
    )


def slide(graph: graphviz.Digraph, raster: bool = True) -> graphviz.Digraph:
    """A copy of ``graph`` on a 16:9 page: scaled (up or down) to fit 13.33 × 7.5 in, centred, with margins.

    A graph from ``draw_graph`` is laid out again in the direction that fills the page best.

    ``raster``: for PNG and other bitmaps, drawn at :data:`SLIDE_DPI` (1920 × 1080);
    else for PDF/SVG (960 × 540 pt).
    """
    page_w, page_h = SLIDE_INCHES[0] * 72, SLIDE_INCHES[1] * 72
    best: tuple[float, graphviz.Digraph, float, float] | None = None
    for candidate in [graph, *(build() for build in getattr(graph, "layouts", {}).values())]:
        out = candidate.copy()
        out.graph_attr.pop("size", None)
        _, _, w, h = (float(c) for c in layout(out)["bb"].split(","))
        zoom = 0.94 * min(page_w / w, page_h / h)
        if best is None or zoom > best[0]:
            best = (zoom, out, w, h)
    assert best is not None
    zoom, out, w, h = best
    out.graph_attr.update(viewport=f"{page_w:.0f},{page_h:.0f},{zoom:.4f},{w / 2:.1f},{h / 2:.1f}", pad="0", margin="0")
    if raster:
        out.graph_attr["dpi"] = str(SLIDE_DPI)
    return out
