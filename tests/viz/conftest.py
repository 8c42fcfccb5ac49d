"""Shared fixtures for the viz tests: the lecture's neuron, hand-built nn-style graphs, an SVG reader."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest

from autograd import Value
from nn import Parameter

SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class SvgItem:
    """One node, edge or cluster of a rendered SVG: its DOT name, CSS classes and text lines."""

    title: str
    classes: list[str]
    texts: list[str]

    @property
    def text(self) -> str:
        return " ".join(self.texts)


def _text(element: ET.Element) -> str:
    return "".join(element.itertext()).replace("\xa0", " ")


def read_svg(svg: str) -> dict[str, list[SvgItem]]:
    """The SVG's nodes, edges and clusters by kind (as Graphviz writes them: <g class="node ...">)."""
    root = ET.fromstring(svg.encode("utf-8"))
    items: dict[str, list[SvgItem]] = {"node": [], "edge": [], "cluster": []}
    for g in root.iter(f"{SVG}g"):
        classes = g.get("class", "").split()
        if classes and classes[0] in items:
            title = g.find(f"{SVG}title")
            texts = [_text(t) for t in g.iter(f"{SVG}text")]
            items[classes[0]].append(SvgItem(_text(title) if title is not None else "", classes[1:], texts))
    return items


@pytest.fixture
def svg_reader():
    return read_svg


@dataclass
class Neuron:
    x1: Value
    x2: Value
    w1: Value
    w2: Value
    b: Value
    n: Value
    o: Value


def lecture_neuron() -> Neuron:
    """o = tanh(x1·w1 + x2·w2 + b) at the lecture's numbers, before backward."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2, b = Parameter(-3.0, label="w1"), Parameter(1.0, label="w2"), Parameter(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return Neuron(x1, x2, w1, w2, b, n, o)


@pytest.fixture
def neuron() -> Neuron:
    return lecture_neuron()


# ---------------------------------------------------------------------------- geometry of a rendered SVG
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in the SVG's user units (points before scaling)


@dataclass
class SvgGeometry:
    """What a reader sees of an SVG: its displayed size, its text sizes and where texts, clusters and edges lie."""

    width_px: float
    height_px: float
    scale: float  # Graphviz's scale(...) from the layout's points to the SVG's points
    texts: list[tuple[str, float, Box, str]]  # text, font size (pt), box, owner (node / cluster / edge / graph title)
    clusters: dict[str, Box]
    cluster_titles: dict[str, Box]
    edges: dict[str, list[tuple[float, float]]]  # points along each edge's path

    @property
    def min_text_px(self) -> float:
        """The smallest text as displayed (CSS px) when the SVG is shown at its own width."""
        return min(size for _, size, _, _ in self.texts) * self.scale * 96 / 72


def _box_of_points(numbers: list[float]) -> Box:
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def _numbers(text: str) -> list[float]:
    import re

    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text)]


def _bezier(numbers: list[float]) -> list[tuple[float, float]]:
    """Points along a Graphviz path "M x,y C x,y x,y x,y ..." (cubic pieces), 8 per piece."""
    pts = list(zip(numbers[0::2], numbers[1::2]))
    out = [pts[0]]
    for i in range(1, len(pts) - 2, 3):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[i + 1], pts[i + 2]
        for k in range(1, 9):
            t = k / 8
            a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
            out.append((a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]))
    return out


def _em(c: str) -> float:
    """A generous width of one Helvetica glyph, in em."""
    if c in "il.,:;|!' ":
        return 0.3
    if c in "[]()1tfjr-":
        return 0.4
    if c in "mwMW":
        return 0.95
    return 0.72 if c.isupper() else 0.6


def svg_geometry(svg: str) -> SvgGeometry:
    """Sizes and boxes read from the SVG itself; a text's box is estimated from its font size and glyphs."""
    import re

    root = ET.fromstring(svg.encode("utf-8"))
    width_px = float(root.get("width", "0pt").removesuffix("pt")) * 96 / 72
    height_px = float(root.get("height", "0pt").removesuffix("pt")) * 96 / 72
    graph = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "graph")
    match = re.search(r"scale\(([\d.]+)", graph.get("transform", ""))
    scale = float(match[1]) if match else 1.0
    texts, clusters, titles, edges = [], {}, {}, {}

    def text_boxes(g: ET.Element, owner: str) -> list[tuple[str, float, Box, str]]:
        out = []
        for t in g.findall(f"{SVG}text"):
            content = "".join(t.itertext())
            size = float(t.get("font-size", "14"))
            x, y = float(t.get("x")), float(t.get("y"))
            w = size * sum(_em(c) for c in content)
            x0 = {"start": x, "middle": x - w / 2, "end": x - w}[t.get("text-anchor", "start")]
            out.append((content, size, (x0, y - 0.8 * size, x0 + w, y + 0.2 * size), owner))
        return out

    texts.extend(text_boxes(graph, "graph"))
    for g in graph.iter(f"{SVG}g"):
        kind = g.get("class", "").split(" ")[0]
        title_el = g.find(f"{SVG}title")
        title = "".join(title_el.itertext()) if title_el is not None else ""
        if kind == "cluster":
            shape = g.find(f"{SVG}path") if g.find(f"{SVG}path") is not None else g.find(f"{SVG}polygon")
            if shape is None:  # an invisible cluster (a wrapped picture's row) draws no border
                continue
            clusters[title] = _box_of_points(_numbers(shape.get("d") or shape.get("points")))
            own = text_boxes(g, title)
            texts.extend(own)
            if own:
                boxes = [b for _, _, b, _ in own]
                titles[title] = (min(b[0] for b in boxes), min(b[1] for b in boxes),
                                 max(b[2] for b in boxes), max(b[3] for b in boxes))  # fmt: skip
        elif kind in ("node", "edge"):
            for a in g.iter(f"{SVG}a"):  # nodes with tooltips wrap their text in <a>
                texts.extend(text_boxes(a, title))
            texts.extend(text_boxes(g, title))
            if kind == "edge":
                path = g.find(f"{SVG}path")
                if path is not None:
                    edges[title] = _bezier(_numbers(path.get("d")))
    return SvgGeometry(width_px, height_px, scale, texts, clusters, titles, edges)


def _overlap(a: Box, b: Box, slack: float = 0.5) -> bool:
    return a[0] + slack < b[2] and b[0] + slack < a[2] and a[1] + slack < b[3] and b[1] + slack < a[3]


def _inside(inner: Box, outer: Box, slack: float = 0.5) -> bool:
    return (
        outer[0] - slack <= inner[0]
        and outer[1] - slack <= inner[1]
        and inner[2] <= outer[2] + slack
        and (inner[3] <= outer[3] + slack)
    )


def layout_problems(geometry: SvgGeometry) -> list[str]:
    """Texts overlapping each other, texts crossing a cluster border, edges through a cluster's title."""
    problems = []
    texts = geometry.texts
    for i, (a, _, box_a, owner_a) in enumerate(texts):
        for b, _, box_b, owner_b in texts[i + 1 :]:
            if owner_a != owner_b and _overlap(box_a, box_b):
                problems.append(f"text {a!r} ({owner_a}) overlaps {b!r} ({owner_b})")
        for name, box in geometry.clusters.items():
            if _overlap(box_a, box) and not _inside(box_a, box):
                problems.append(f"text {a!r} ({owner_a}) crosses the border of {name}")
    for edge, points in geometry.edges.items():
        for name, title in geometry.cluster_titles.items():
            if any(title[0] <= x <= title[2] and title[1] <= y <= title[3] for x, y in points):
                problems.append(f"edge {edge} crosses the title of {name}")
    return problems


@pytest.fixture
def geometry():
    return svg_geometry


@pytest.fixture
def problems():
    return layout_problems
